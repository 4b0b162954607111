/**
 * A Preact hook over Dexie's liveQuery: the screen re-renders whenever the tables a query
 * read change, also when the change came from the sync worker or another tab.
 */
import { liveQuery } from 'dexie';
import { useLayoutEffect, useState } from 'preact/hooks';

export function useLiveQuery<T>(query: () => Promise<T>, deps: readonly unknown[]): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  // Subscribed as soon as the screen is rendered: an effect would wait for the next frame
  // (up to 16 ms), on every keystroke in the search box.
  useLayoutEffect(() => {
    const subscription = liveQuery(query).subscribe({
      next: (next) => setValue(() => next),
      error: (error: unknown) => console.error('[live query]', error),
    });
    return () => subscription.unsubscribe();
  }, deps);
  return value;
}
