/**
 * The supervisor's list of collections received by the hub, newest first, each in its standing
 * (applied, applied and flagged, voided, not applied) in words, and the totals of each currency
 * by standing: the net (applied less what voids gave back) equals the balance movements.
 */
import type { Collection, CollectionTotals } from '../../shared/api.ts';
import { collectionsResponseSchema } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import { useHubList } from './hub-list.ts';
import { useApp, useText } from './context.ts';
import { dateTime, money } from './format.ts';
import { flagText, standingText } from './messages.ts';

export function CollectionsScreen() {
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
      {data?.totals.map((totals) => (
        <Totals key={totals.currency} totals={totals} />
      ))}
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
              <CollectionRow key={row.factId} row={row} />
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function Totals({ totals }: { totals: CollectionTotals }) {
  const app = useApp();
  const { t } = useText();
  const amount = (text: string) => formatMoney(BigInt(text), totals.currency);
  return (
    <section class="totals" data-testid={`totals-${totals.currency}`}>
      <p>
        {t('netCollected')}: <strong data-testid="net">{amount(totals.netMinor)}</strong>{' '}
        <span class="muted">
          ({t('appliedTotal')} {amount(totals.appliedMinor)} − {t('reversedTotal')}{' '}
          {amount(totals.reversedMinor)})
        </span>
      </p>
      <ul class="plain by-standing">
        {totals.byStanding.map((entry) => (
          <li
            key={entry.standing}
            class={entry.standing}
            data-testid={`standing-${entry.standing}`}
          >
            {standingText(app.language, entry.standing)}: {amount(entry.amountMinor)} ({entry.count}
            )
          </li>
        ))}
      </ul>
    </section>
  );
}

function CollectionRow({ row }: { row: Collection }) {
  const app = useApp();
  const { t } = useText();
  return (
    <tr data-testid="collection-row">
      <td>{row.agentName}</td>
      <td>{row.accountNumber}</td>
      <td>{row.customerName}</td>
      <td class="num">{money(row.amountMinor, row.currency)}</td>
      <td>
        {t(`method.${row.method}`)}
        {row.reference && <span class="muted"> · {row.reference}</span>}
      </td>
      <td>{dateTime(row.takenAt, app.language)}</td>
      <td>{dateTime(row.receivedAt, app.language)}</td>
      <td class={row.standing} data-testid="standing">
        {standingText(app.language, row.standing)}
        {row.flagReason && ` · ${flagText(app.language, row.flagReason)}`}
        {row.voidedBy && (
          <span class="muted">
            {' '}
            · {t('voidedByAgent')} {row.voidedBy.agentName},{' '}
            {dateTime(row.voidedBy.recordedAt, app.language)} ({t(`reason.${row.voidedBy.reason}`)})
          </span>
        )}
      </td>
    </tr>
  );
}
