/** The supervisor's list of collections received by the hub, newest first. */
import { collectionsResponseSchema } from '../../shared/api.ts';
import { useHubList } from './hub-list.ts';
import { useApp, useText } from './context.ts';
import { dateTime, money } from './format.ts';

export function CollectionsScreen() {
  const app = useApp();
  const { t } = useText();
  const { data, error, reload } = useHubList('/api/collections', collectionsResponseSchema);

  return (
    <main class="screen collections wide">
      <div class="toolbar">
        <h2>{t('collections')}</h2>
        <button type="button" onClick={reload}>
          {t('refresh')}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && data.totals.length > 0 && (
        <p class="totals">
          {data.totals.map((total) => (
            <span key={total.currency}>
              {t('total')}: <strong>{money(total.amountMinor, total.currency)}</strong> (
              {total.count})
            </span>
          ))}
        </p>
      )}
      {data && data.collections.length === 0 && <p class="muted">{t('noCollections')}</p>}
      {data && data.collections.length > 0 && (
        <table class="collections-table" data-testid="collections">
          <thead>
            <tr>
              <th>{t('takenBy')}</th>
              <th>{t('accountNumber')}</th>
              <th>{t('customer')}</th>
              <th class="num">{t('amount')}</th>
              <th>{t('method')}</th>
              <th>{t('takenAt')}</th>
              <th>{t('received')}</th>
              <th>{t('status')}</th>
            </tr>
          </thead>
          <tbody>
            {data.collections.map((row) => (
              <tr key={row.factId} data-testid="collection-row">
                <td>{row.agentName}</td>
                <td>{row.accountNumber}</td>
                <td>{row.customerName}</td>
                <td class="num">{money(row.amountMinor, row.currency)}</td>
                <td>{t('cash')}</td>
                <td>{dateTime(row.takenAt, app.language)}</td>
                <td>{dateTime(row.receivedAt, app.language)}</td>
                <td class={row.status}>
                  {row.status === 'accepted'
                    ? t('accepted')
                    : `${t('flagged')}: ${row.flagReason ?? ''}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
