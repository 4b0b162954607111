/**
 * A screen part loaded only when first shown, so the app starts on less JavaScript (the build
 * splits each into its own file, which the service worker keeps for offline use like the rest).
 * Until it arrives nothing is drawn in its place; it is fetched once for the page's life.
 */
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export function lazily<P extends object>(
  load: () => Promise<ComponentType<P>>,
): (props: P) => JSX.Element | null {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<void> | undefined;
  const start = () =>
    (loading ??= load().then((component) => {
      loaded = component;
    }));
  return function Lazy(props: P) {
    const [, setReady] = useState(loaded !== undefined);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      void start().then(() => {
        if (live) setReady(true);
      });
      return () => {
        live = false;
      };
    }, []);
    const Component = loaded;
    return Component ? <Component {...props} /> : null;
  };
}
