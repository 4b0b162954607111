/**
 * What the agent hands the customer for a fact just recorded, shown at once, online or not:
 * a receipt for a payment (with its reference as a QR code, so a void elsewhere can name it),
 * a bill printed at the door (line by line, by the same engine the hub uses), or a void slip.
 * Each says whether it has synced.
 */
import { lineLabelIn } from '../../shared/tariff/line-names.ts';
import { Fragment } from 'preact';
import { qrSvg } from './qr.ts';
import { useEffect, useState } from 'preact/hooks';
import type { FactOf, TopUp } from '../../shared/facts.ts';
import { groupDigits } from '../../shared/token-lease.ts';
import { minor } from '../../shared/money.ts';
import { deviceBalance } from '../../shared/protocol.ts';
import type { BillLine } from '../../shared/tariff/lines.ts';
import type { StoredAccount, StoredFact } from '../db/database.ts';
import { VoidForm } from './AccountActions.tsx';
import { StsTokens } from './StsTokens.tsx';
import type * as PricingModule from '../db/pricing.ts';

type Pricing = typeof PricingModule;
import { useApp, useText, type Recorded } from './context.ts';
import { billPeriod, dateTime, kwh, money, wholeKwh } from './format.ts';
import { useLiveQuery } from './live.ts';
import { methodLines, methodName } from './payment-method.ts';

export function ReceiptScreen({ seq, recorded }: { seq: number; recorded?: Recorded }) {
  const app = useApp();
  const { t } = useText();
  const read = useLiveQuery(async () => {
    // One transaction for the three reads: a sync round started with the payment waits for
    // them, instead of writing between them.
    const held = await app.db.transaction('r', app.db.facts, app.db.accounts, async () => {
      const stored = await app.db.facts.get(seq);
      if (!stored) return undefined;
      const [account, own] = await Promise.all([
        app.db.accounts.get(stored.accountId),
        app.db.facts.where('accountId').equals(stored.accountId).toArray(),
      ]);
      return { stored, account, own };
    });
    return held && shownOf(held);
  }, [seq]);
  // Just recorded: what was committed is shown at once, until the read back replaces it.
  const data = read ?? (recorded?.stored.seq === seq ? shownOf(recorded) : undefined);
  if (!data) return <main class="screen" />;
  const { stored, account, balance } = data;
  const fact = stored.fact;
  return (
    <main class="screen receipt">
      {fact.kind === 'payment' && (
        <PaymentReceipt stored={stored} fact={fact} account={account} balance={balance} />
      )}
      {fact.kind === 'spot-bill' && <BillReceipt stored={stored} fact={fact} account={account} />}
      {fact.kind === 'void' && (
        <VoidSlip
          stored={stored}
          fact={fact}
          account={account}
          voidedReceipt={data.voidedReceipt}
        />
      )}
      {fact.kind === 'payment' &&
        (data.voidedBy ? (
          <p class="voided-note" data-testid="voided-note">
            {t('voided')} ·{' '}
            <button
              type="button"
              class="link"
              onClick={() => app.go({ name: 'receipt', seq: data.voidedBy?.seq ?? seq })}
            >
              {t('voidSlip')}
            </button>
          </p>
        ) : (
          <VoidForm payment={stored} />
        ))}
      <div class="actions no-print">
        <button type="button" onClick={() => window.print()} data-testid="print-again">
          {t('printAgain')}
        </button>
        <button type="button" class="primary" onClick={() => app.go({ name: 'search' })}>
          {t('newCustomer')}
        </button>
      </div>
    </main>
  );
}

function SyncLine({ stored }: { stored: StoredFact }) {
  const { t } = useText();
  const state =
    stored.status !== 'acked' ? 'pending' : stored.outcome === 'held' ? 'held' : 'synced';
  return (
    <p class={`sync-state ${state}`} data-testid="receipt-sync">
      {state === 'pending' ? t('syncPending') : state === 'held' ? t('held') : t('syncSynced')}
    </p>
  );
}

function Qr({ text }: { text: string }) {
  const [svg, setSvg] = useState<string | undefined>();
  useEffect(() => {
    void qrSvg(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then(setSvg);
  }, [text]);
  return svg ? <div class="qr small" dangerouslySetInnerHTML={{ __html: svg }} /> : null;
}

function PaymentReceipt({
  stored,
  fact,
  account,
  balance,
}: {
  stored: StoredFact;
  fact: FactOf<'payment'>;
  account: StoredAccount | undefined;
  balance: number | undefined;
}) {
  const app = useApp();
  const { t } = useText();
  const body = fact.body;
  return (
    <section class="card paper" data-testid="receipt">
      <h2>{t('receipt')}</h2>
      <dl class="facts">
        <dt>{t('receiptNumber')}</dt>
        <dd data-testid="receipt-number">{body.receiptNumber}</dd>
        <dt>{t('customer')}</dt>
        <dd>{account?.name ?? body.accountId}</dd>
        <dt>{t('accountNumber')}</dt>
        <dd>{account?.accountNumber ?? body.accountId}</dd>
        <dt>{t('method')}</dt>
        <dd data-testid="receipt-method">
          {methodName(body, t)}
          {body.method === 'mobile-money' &&
            (stored.status === 'pending' || stored.reason === 'mobile-money-unconfirmed') && (
              <span class="muted" data-testid="receipt-unconfirmed">
                {' '}
                · {t('unconfirmed')}
              </span>
            )}
        </dd>
        <dt>{t('amountPaid')}</dt>
        <dd data-testid="receipt-amount">{money(body.amountMinor, body.currency)}</dd>
        {methodLines(body, t).map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
        {body.topUp && (
          <>
            <dt>{t('energy')}</dt>
            <dd data-testid="receipt-kwh">{kwh(body.topUp.energyWh, app.language)}</dd>
            <dt>{t('energyCost')}</dt>
            <dd>{money(body.topUp.costMinor, body.currency)}</dd>
          </>
        )}
        {balance !== undefined && (
          <>
            <dt>{balance >= 0 ? t('balanceAfter') : t('creditAfter')}</dt>
            <dd data-testid="receipt-balance">{money(minor(Math.abs(balance)), body.currency)}</dd>
          </>
        )}
        <dt>{t('takenBy')}</dt>
        <dd>{app.session?.user.displayName ?? fact.agentId}</dd>
        <dt>{t('takenAt')}</dt>
        <dd>{dateTime(fact.recordedAt, app.language)}</dd>
      </dl>
      {body.topUp?.system === 'openpaygo' && <TokenBox tokens={body.topUp.tokens} />}
      {body.topUp?.system === 'sts' && (
        <StsTokens stored={stored} account={account} meterNumber={body.topUp.meterNumber} />
      )}
      <div class="reference">
        <Qr text={fact.id} />
        <small data-testid="payment-reference">
          {t('reference')}: {fact.id}
        </small>
      </div>
      <SyncLine stored={stored} />
    </section>
  );
}

/** The top-up's tokens, large and in groups of digits, to read out or type on the meter. */
export function TokenBox({
  tokens,
}: {
  tokens: Pick<TopUp['tokens'][number], 'count' | 'digits'>[];
}) {
  const { t } = useText();
  return (
    <div class="tokens" data-testid="tokens">
      <p>{tokens.length > 1 ? t('tokensMany') : t('tokens')}</p>
      <ol class={tokens.length > 1 ? 'many' : 'one'}>
        {tokens.map((token) => (
          <li key={token.count} class="token" data-testid="token">
            {groupDigits(token.digits)
              .split(' ')
              .map((group, i) => (
                <span key={i}>{i === 0 ? group : ` ${group}`}</span>
              ))}
          </li>
        ))}
      </ol>
    </div>
  );
}

function BillReceipt({
  stored,
  fact,
  account,
}: {
  stored: StoredFact;
  fact: FactOf<'spot-bill'>;
  account: StoredAccount | undefined;
}) {
  const app = useApp();
  const { t } = useText();
  const body = fact.body;
  const held = useLiveQuery(
    () => app.db.tariffs.where('tariffId').equals(body.tariffId).toArray(),
    [fact.id],
  );
  // The engine loads with the pricing code (the app starts without it).
  const [pricing, setPricing] = useState<Pricing | undefined>();
  useEffect(() => {
    void import('../db/pricing.ts').then(setPricing);
  }, []);
  let lines: readonly BillLine[] = [];
  if (pricing && held) {
    const versions = held
      .filter((v) => v.version <= body.tariffVersion)
      .map((v) => pricing.parseTariff(v.document))
      .flatMap((parsed) => (parsed.ok ? [parsed.value] : []));
    const bill = pricing.computeBill(versions, { period: body.period, kwh: body.kwh });
    lines = bill.ok ? bill.value.lines : [];
  }
  return (
    <section class="card paper" data-testid="bill">
      <h2>{t('bill')}</h2>
      <dl class="facts">
        <dt>{t('billNumber')}</dt>
        <dd data-testid="bill-number">{body.billNumber}</dd>
        <dt>{t('customer')}</dt>
        <dd>{account?.name ?? body.accountId}</dd>
        <dt>{t('accountNumber')}</dt>
        <dd>{account?.accountNumber ?? body.accountId}</dd>
        <dt>{t('period')}</dt>
        <dd>{billPeriod(body.period, app.language)}</dd>
        <dt>{t('usage')}</dt>
        <dd data-testid="bill-kwh">{wholeKwh(body.kwh, app.language)}</dd>
        <dt>{t('tariffVersion')}</dt>
        <dd>
          {body.tariffId} v{body.tariffVersion}
        </dd>
      </dl>
      <BillLinesTable lines={lines} body={body} />
      <p class="muted">
        {t('takenBy')}: {app.session?.user.displayName ?? fact.agentId} ·{' '}
        {dateTime(fact.recordedAt, app.language)}
      </p>
      <SyncLine stored={stored} />
    </section>
  );
}

/**
 * The bill's lines as the tariff engine gives them, then what was carried from earlier bills,
 * then the total the bill was printed with.
 */
function BillLinesTable({
  lines,
  body,
}: {
  lines: readonly BillLine[];
  body: FactOf<'spot-bill'>['body'];
}) {
  const { t } = useText();
  const { language } = useApp();
  return (
    <table class="bill-lines">
      <tbody>
        {lines.map((line) => (
          <tr key={line.id}>
            <td>{lineLabelIn(line, language)}</td>
            <td class="num">{money(line.amountMinor, body.currency)}</td>
          </tr>
        ))}
        {body.carried.map((item) => (
          <tr key={item.sourceId} data-testid="bill-carried">
            <td>{t('carriedLine')}</td>
            <td class="num">{money(item.amountMinor, body.currency)}</td>
          </tr>
        ))}
        <tr class="total">
          <th>{t('billTotal')}</th>
          <th class="num" data-testid="bill-total">
            {money(body.totalMinor, body.currency)}
          </th>
        </tr>
      </tbody>
    </table>
  );
}

/** What a receipt shows of a fact, its account and the device's facts on that account. */
function shownOf({ stored, account, own }: Recorded) {
  const voidedBy = own.find(
    (other) => other.fact.kind === 'void' && other.fact.body.paymentId === stored.id,
  );
  return {
    stored,
    account,
    voidedBy,
    voidedReceipt: voidedReceiptOf(stored, own),
    balance: account ? deviceBalance(account, own) : undefined,
  };
}

/**
 * The receipt number a void slip names: the one printed on the voided payment's receipt when
 * this tablet took it, or the one the agent typed; a payment id (from a QR code) otherwise.
 */
function voidedReceiptOf(stored: StoredFact, own: readonly StoredFact[]): string {
  if (stored.fact.kind !== 'void') return '';
  const { paymentId, receiptNumber } = stored.fact.body;
  const payment = own.find((other) => other.id === paymentId);
  if (payment?.fact.kind === 'payment') return payment.fact.body.receiptNumber;
  return receiptNumber ?? paymentId ?? '';
}

function VoidSlip({
  stored,
  fact,
  account,
  voidedReceipt,
}: {
  stored: StoredFact;
  fact: FactOf<'void'>;
  account: StoredAccount | undefined;
  voidedReceipt: string;
}) {
  const app = useApp();
  const { t } = useText();
  const body = fact.body;
  return (
    <section class="card paper" data-testid="void-slip">
      <h2>{t('voidSlip')}</h2>
      <dl class="facts">
        <dt>{t('voidOf')}</dt>
        <dd data-testid="void-of">{voidedReceipt}</dd>
        <dt>{t('customer')}</dt>
        <dd>{account?.name ?? body.accountId}</dd>
        <dt>{t('amount')}</dt>
        <dd data-testid="void-amount">
          {account ? money(body.amountMinor, account.currency) : body.amountMinor}
        </dd>
        <dt>{t('voidReason')}</dt>
        <dd>{t(`reason.${body.reason}`)}</dd>
        <dt>{t('takenBy')}</dt>
        <dd>{app.session?.user.displayName ?? fact.agentId}</dd>
        <dt>{t('takenAt')}</dt>
        <dd>{dateTime(fact.recordedAt, app.language)}</dd>
      </dl>
      <SyncLine stored={stored} />
    </section>
  );
}
