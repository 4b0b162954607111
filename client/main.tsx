/**
 * Entry point of the PWA: opens the device database, asks the browser to keep its storage,
 * registers the service worker and renders the app.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { joinOtherTabs } from './auth/tabs.ts';
import { GridtallyDatabase } from './db/database.ts';
import { registerServiceWorker } from './pwa.ts';
import { SyncScheduler } from './sync/scheduler.ts';
import { App, initialLanguage } from './ui/App.tsx';
import { applyContrast } from './ui/ContrastSwitch.tsx';
import { loadLanguage } from './ui/messages.ts';
import './styles.css';

const db = new GridtallyDatabase();
let announceUpdate: ((apply: () => void) => void) | undefined;
let waitingUpdate: (() => void) | undefined;

// Storage the browser may evict is no place for cash that has not synced yet.
void navigator.storage?.persist?.().catch(() => false);

registerServiceWorker((apply) => {
  waitingUpdate = apply;
  announceUpdate?.(apply);
});

function Root() {
  const [update, setUpdate] = useState<(() => void) | undefined>(() => waitingUpdate);
  useEffect(() => {
    announceUpdate = (apply) => setUpdate(() => apply);
  }, []);
  return (
    <App
      db={db}
      makeScheduler={(onReport) => new SyncScheduler(onReport, db.vault)}
      updateReady={update}
    />
  );
}

// The theme before anything is drawn, so a tablet set for sunlight never flashes the other.
applyContrast();

// Another open tab may hold the data key: then this one opens without asking for the PIN.
const root = document.getElementById('app');
// The chosen language's words load first (English is built in), so the first screen is in it.
if (root)
  void Promise.all([joinOtherTabs(db.vault), loadLanguage(initialLanguage()).catch(() => {})]).then(
    () => render(<Root />, root),
  );
