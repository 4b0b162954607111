/** How sync stands: unsynced count, online or not, the last success; tap to sync now. */
import { useApp, useText } from './context.ts';
import { dateTime } from './format.ts';
import { useLiveQuery } from './live.ts';
import type { MessageKey } from './messages.ts';

export function SyncBadge() {
  const app = useApp();
  const { t, errorOf } = useText();
  const pending =
    useLiveQuery(() => app.db.facts.where('status').equals('pending').count(), []) ?? 0;
  const state = useLiveQuery(() => app.db.settings.get('sync'), []);
  const lastSuccess = state?.key === 'sync' ? state.lastSuccessAt : undefined;
  const report = app.syncReport;
  const label: MessageKey =
    pending > 0 && (!report || report.state === 'synced')
      ? 'syncPending'
      : report?.state === 'offline'
        ? 'syncOffline'
        : report?.state === 'refused'
          ? 'syncRefused'
          : report?.state === 'failed'
            ? 'syncFailed'
            : report?.state === 'signed-out'
              ? 'syncSignedOut'
              : report?.state === 'not-enrolled'
                ? 'syncNotEnrolled'
                : 'syncSynced';
  return (
    <button
      type="button"
      class={`sync-badge ${pending > 0 ? 'has-pending' : ''} ${label}`}
      onClick={() => app.requestSync()}
      title={t('syncNow')}
      data-testid="sync-badge"
    >
      <span class="state">{t(label)}</span>
      {pending > 0 && (
        <span class="count" data-testid="pending-count">
          {pending} {t('unsynced')}
        </span>
      )}
      <span class="last">
        {t('lastSync')}: {lastSuccess ? dateTime(lastSuccess, app.language) : t('never')}
      </span>
      {report?.state === 'refused' && report.error && (
        <span class="why">{errorOf(report.error)}</span>
      )}
    </button>
  );
}
