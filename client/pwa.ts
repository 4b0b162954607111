/**
 * The service worker, managed with workbox-window. A new version waits until the app says
 * so; the app says so only when the agent asks and nothing waits to be synced, so an update
 * never reloads the page over unsynced payments.
 */
import { Workbox } from 'workbox-window';

export function registerServiceWorker(onUpdateReady: (apply: () => void) => void): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  const workbox = new Workbox('/sw.js', { scope: '/' });
  workbox.addEventListener('waiting', () => {
    onUpdateReady(() => {
      workbox.addEventListener('controlling', () => location.reload());
      workbox.messageSkipWaiting();
    });
  });
  workbox
    .register()
    .catch((error: unknown) => console.warn('[pwa] service worker not registered', error));
}
