/**
 * The supervisor's review list: every fact the hub flagged or holds, newest first, with the
 * reason in words and the device's own record as evidence, read by its kind's schema and said
 * in words. Nothing here is resolved by the sync; a flag stays until a supervisor decides.
 */
import type { FlaggedFact } from '../../shared/api.ts';
import { flagsResponseSchema } from '../../shared/api.ts';
import { isFactKind, readBody, type KindAndBody } from '../../shared/facts.ts';
import { useHubList } from './hub-list.ts';
import { useApp, useText } from './context.ts';
import { minor } from '../../shared/money.ts';
import { dateTime, money } from './format.ts';
import { faultText, flagText, type MessageKey } from './messages.ts';
import { methodLines, methodName } from './payment-method.ts';

export function FlagsScreen() {
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
              <FlagRow key={row.factId} row={row} />
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function FlagRow({ row }: { row: FlaggedFact }) {
  const app = useApp();
  const { t } = useText();
  return (
    <tr data-testid="flag-row">
      <td>{isFactKind(row.kind) ? t(`kind.${row.kind}`) : t('kind.unknown')}</td>
      <td class={row.outcome} data-testid="flag-reason">
        {row.outcome === 'held' ? t('held') : row.reason ? flagText(app.language, row.reason) : ''}
      </td>
      <td>{row.accountNumber ?? row.accountId ?? ''}</td>
      <td>{row.customerName ?? ''}</td>
      <td>{row.agentName}</td>
      <td>{dateTime(row.recordedAt, app.language)}</td>
      <td class="details" data-testid="flag-details">
        <Evidence row={row} />
      </td>
    </tr>
  );
}

/** The device's record in words, read by the same schema the hub reads it with. */
function Evidence({ row }: { row: FlaggedFact }) {
  const app = useApp();
  const { t } = useText();
  if (row.fault) return <>{faultText(app.language, row.fault)}</>;
  const read = readBody(row.kind, row.body);
  if (!read.ok) return <>{faultText(app.language, read.error)}</>;
  return <>{describe(read.value, row, t)}</>;
}

function describe(fact: KindAndBody, row: FlaggedFact, t: (key: MessageKey) => string): string {
  const amount = (minorUnits: Parameters<typeof money>[0]) =>
    row.currency ? money(minorUnits, row.currency) : String(minorUnits);
  switch (fact.kind) {
    case 'payment':
      return [
        money(fact.body.amountMinor, fact.body.currency),
        `${t('receiptNumber')} ${fact.body.receiptNumber}`,
        methodName(fact.body, t),
        ...methodLines(fact.body, t).map(([label, value]) => `${label} ${value}`),
      ].join(' · ');
    case 'void':
      return `${t('voidOf')} ${fact.body.receiptNumber ?? fact.body.paymentId ?? ''} · ${amount(fact.body.amountMinor)} · ${t(`reason.${fact.body.reason}`)}`;
    case 'contact':
      return `${t(fact.body.field)}: ${fact.body.value} (${t('was')} ${fact.body.previous || '—'})`;
    case 'reading':
      return `${fact.body.registerKwh} kWh · ${fact.body.readOn}${fact.body.confirmedImplausible ? ` · ${t('confirmedByAgent')}` : ''}`;
    case 'spot-bill':
      return `${t('bill')} ${fact.body.billNumber} · ${fact.body.period.from} – ${fact.body.period.to} · ${fact.body.kwh} kWh · ${money(fact.body.totalMinor, fact.body.currency)}`;
    case 'budget':
      return `${t('kind.budget')}: ${money(minor(fact.body.monthlyMinor), fact.body.currency)}`;
    case 'refund-request':
      return [
        money(fact.body.amountMinor, fact.body.currency),
        t(`reason.${fact.body.reason}`),
        `${t('payTo')} ${t(`payout.${fact.body.payTo}`)}${fact.body.payToDetail ? ` ${fact.body.payToDetail}` : ''}`,
        ...(fact.body.note ? [fact.body.note] : []),
      ].join(' · ');
    case 'transfer-request':
      return [
        money(fact.body.amountMinor, fact.body.currency),
        `${t('toAccountNumber')} ${fact.body.toAccountNumber}`,
        t(`reason.${fact.body.reason}`),
        ...(fact.body.note ? [fact.body.note] : []),
      ].join(' · ');
    case 'handover':
      return [
        `${t('countedTotal')} ${money(fact.body.countedMinor, fact.body.currency)}`,
        `${t('expectedCash')} ${money(fact.body.expectedMinor, fact.body.currency)}`,
        ...(fact.body.varianceReason ? [t(`reason.${fact.body.varianceReason}`)] : []),
        ...(fact.body.note ? [fact.body.note] : []),
      ].join(' · ');
  }
}
