/**
 * How sync stands, in plain words: the unsynced count and how old the oldest is, the last
 * successful sync, a progress bar while a long pull runs, and why sync is failing if it is.
 * Tapping it syncs now. It never says more than it knows: with the browser offline it says so
 * at once (not at the next round), and "synced" always says how long ago, since a hub that went
 * down since is only learnt at the next attempt (a screen whose read of the hub fails asks for
 * one at once).
 */
import { useEffect, useState } from 'preact/hooks';
import { useApp, useText } from './context.ts';
import { ago, dateTime, fill } from './format.ts';
import { useLiveQuery } from './live.ts';
import type { MessageKey } from './messages.ts';
import type { SyncState } from '../sync/engine.ts';

const labels: Record<SyncState, MessageKey> = {
  synced: 'syncSynced',
  offline: 'syncOffline',
  refused: 'syncRefused',
  failed: 'syncFailed',
  'signed-out': 'syncSignedOut',
  'not-enrolled': 'syncNotEnrolled',
};

function ageText(fromIso: string, nowMs: number, t: (key: MessageKey) => string): string {
  const minutes = Math.max(0, Math.round((nowMs - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} ${t('minutesOld')}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} ${t('hoursOld')}`;
  return `${Math.round(hours / 24)} ${t('daysOld')}`;
}

/** Whether the browser says it has a network, kept up to date by its events. */
function useBrowserOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    addEventListener('online', update);
    addEventListener('offline', update);
    return () => {
      removeEventListener('online', update);
      removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/** Now, again every half minute: "synced 3 min ago" grows older on a screen left open. */
function useMinuteClock(): number {
  const [nowMs, setNowMs] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return nowMs;
}

export function SyncBadge() {
  const app = useApp();
  const browserOnline = useBrowserOnline();
  const nowMs = Math.max(useMinuteClock(), Date.now());
  const { t, errorOf } = useText();
  const oldest = useLiveQuery(async () => {
    const pending = await app.db.facts.where('status').equals('pending').sortBy('seq');
    return { count: pending.length, oldestAt: pending[0]?.fact.recordedAt };
  }, []);
  const state = useLiveQuery(() => app.db.settings.get('sync'), []);
  const sync = state?.key === 'sync' ? state : undefined;
  const pending = oldest?.count ?? 0;
  const report = app.syncReport;
  // Before this session's first sync ends the hub's state is unknown: it says so, not "Synced".
  const label: MessageKey = !browserOnline
    ? 'syncOffline'
    : pending > 0 && (!report || report.state === 'synced')
      ? 'syncPending'
      : report
        ? labels[report.state]
        : 'syncChecking';
  const stateText =
    label === 'syncSynced' && sync?.lastSuccessAt
      ? fill(t('syncedAgo'), { time: ago(sync.lastSuccessAt, nowMs, t) })
      : t(label);
  const progress = sync?.pullProgress;
  return (
    <button
      type="button"
      class={`sync-badge ${pending > 0 ? 'has-pending' : ''} ${label}`}
      onClick={() => void app.requestSync()}
      title={t('syncNow')}
      data-testid="sync-badge"
    >
      <span class="state" data-testid="sync-state">
        {stateText}
      </span>
      {pending > 0 && (
        <span class="count" data-testid="pending-count">
          {pending} {t('unsynced')}
        </span>
      )}
      {oldest?.oldestAt && (
        <span class="age" data-testid="pending-age">
          {t('oldest')}: {ageText(oldest.oldestAt, Date.now(), t)}
        </span>
      )}
      <span class="last">
        {t('lastSync')}:{' '}
        {sync?.lastSuccessAt ? dateTime(sync.lastSuccessAt, app.language) : t('never')}
      </span>
      {progress && (
        <progress max={progress.total} value={progress.done} data-testid="pull-progress">
          {progress.done}/{progress.total}
        </progress>
      )}
      {browserOnline && report && report.state !== 'synced' && report.error && (
        <span class="why">{errorOf(report.error)}</span>
      )}
    </button>
  );
}
