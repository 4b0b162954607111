/**
 * A screen part loaded only when first shown, so the app starts on less JavaScript (the build
 * splits each into its own file, which the service worker keeps for offline use like the rest).
 * Until it arrives nothing is drawn in its place; it is fetched once for the page's life.
 */
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useText } from './context.ts';

export function lazily<P extends object>(
  load: () => Promise<ComponentType<P>>,
): ((props: P) => JSX.Element | null) & { preload(): void } {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<void> | undefined;
  const start = () =>
    (loading ??= load().then(
      (component) => {
        loaded = component;
      },
      (error: unknown) => {
        // Not kept: the next showing tries again (a file an app update replaced, a hiccup).
        loading = undefined;
        throw error;
      },
    ));
  function Lazy(props: P) {
    const { t } = useText();
    const [state, setState] = useState<'waiting' | 'ready' | 'failed'>(
      loaded ? 'ready' : 'waiting',
    );
    useEffect(() => {
      if (loaded) {
        setState('ready');
        return;
      }
      let live = true;
      start().then(
        () => live && setState('ready'),
        (error: unknown) => {
          console.error('[lazy]', error);
          if (live) setState('failed');
        },
      );
      return () => {
        live = false;
      };
    }, [state]);
    const Component = loaded;
    if (Component) return <Component {...props} />;
    if (state !== 'failed') return null;
    // The app's files changed under this page (an update elsewhere): a reload takes the new ones.
    return (
      <p class="warning" role="alert">
        {t('partNotLoaded')}{' '}
        <button type="button" onClick={() => location.reload()}>
          {t('reload')}
        </button>
      </p>
    );
  }
  /** Fetches the part ahead of its first showing (say, the receipt while a payment is typed). */
  Lazy.preload = () => void start().catch(() => undefined);
  return Lazy;
}
