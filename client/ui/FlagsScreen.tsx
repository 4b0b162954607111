/**
 * The supervisor's review list: every fact the hub flagged or holds, newest first, with the
 * reason in words and the device's own record as evidence. Nothing here is resolved by the
 * sync; a flag stays until a supervisor decides.
 */
import { flagsResponseSchema } from '../../shared/api.ts';
import { useHubList } from './hub-list.ts';
import { useApp, useText } from './context.ts';
import { dateTime } from './format.ts';
import type { MessageKey } from './messages.ts';

const KINDS = new Set(['payment', 'void', 'contact', 'reading', 'spot-bill']);

function summary(body: Record<string, unknown>): string {
  return Object.entries(body)
    .filter(([key]) => key !== 'accountId')
    .map(
      ([key, value]) =>
        `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join(' · ');
}

export function FlagsScreen() {
  const app = useApp();
  const { t } = useText();
  const { data, error, reload } = useHubList('/api/flags', flagsResponseSchema);

  return (
    <main class="screen flags wide">
      <div class="toolbar">
        <h2>{t('flags')}</h2>
        <button type="button" onClick={reload}>
          {t('refresh')}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && data.flags.length === 0 && <p class="muted">{t('noFlags')}</p>}
      {data && data.flags.length > 0 && (
        <table class="collections-table" data-testid="flags">
          <thead>
            <tr>
              <th>{t('kind')}</th>
              <th>{t('reasonCol')}</th>
              <th>{t('accountNumber')}</th>
              <th>{t('customer')}</th>
              <th>{t('takenBy')}</th>
              <th>{t('takenAt')}</th>
              <th>{t('details')}</th>
            </tr>
          </thead>
          <tbody>
            {data.flags.map((row) => (
              <tr key={row.factId} data-testid="flag-row">
                <td>{KINDS.has(row.kind) ? t(`kind.${row.kind}` as MessageKey) : row.kind}</td>
                <td class={row.outcome}>
                  {row.outcome === 'held' ? t('held') : (row.reason ?? row.outcome)}
                </td>
                <td>{row.accountNumber ?? row.accountId}</td>
                <td>{row.customerName ?? ''}</td>
                <td>{row.agentName}</td>
                <td>{dateTime(row.recordedAt, app.language)}</td>
                <td class="details">{summary(row.body)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
