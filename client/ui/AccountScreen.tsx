/**
 * One customer: what is owed and which bills are open, as the device knows it; the cash
 * payment form; the payments this tablet took, each of which can be voided; the meter reading
 * with its bill; and the contact fields, each of which can be corrected. Everything is stored
 * on the device before anything else happens; the receipt follows at once, online or not.
 */
import { useState } from 'preact/hooks';
import {
  formatAmount,
  minor,
  parseAmount,
  ZERO,
  type CurrencyCode,
  type MinorUnits,
} from '../../shared/money.ts';
import { cashTender } from '../../shared/payments.ts';
import { outstanding } from '../../shared/billing.ts';
import { accountView } from '../db/accounts.ts';
import { ContactCard, MeterReadingForm, OwnPayments } from './AccountActions.tsx';
import {
  browserDeps,
  recentDuplicate,
  recordCashPayment,
  type DuplicateWarning,
} from '../db/facts.ts';
import { useApp, useRevoked, useText } from './context.ts';
import { ago, fill, money } from './format.ts';
import { useLiveQuery } from './live.ts';

export function AccountScreen({ accountId }: { accountId: string }) {
  const app = useApp();
  const { t } = useText();
  const view = useLiveQuery(() => accountView(app.db, accountId), [accountId]);
  const revoked = useRevoked();
  if (!view) return <main class="screen" />;
  const { account, balanceMinor } = view;
  return (
    <main class="screen account">
      <button type="button" class="link" onClick={() => app.go({ name: 'search' })}>
        ← {t('back')}
      </button>
      <section class="card">
        <h2 data-testid="customer-name">{view.contact.name}</h2>
        <dl class="facts">
          <dt>{t('accountNumber')}</dt>
          <dd>{account.accountNumber}</dd>
          <dt>{t('meter')}</dt>
          <dd>{account.meterNumber}</dd>
        </dl>
        <p class="balance">
          <span>{balanceMinor >= 0 ? t('balanceOwed') : t('credit')}</span>
          <strong data-testid="balance">
            {money(balanceMinor >= 0 ? balanceMinor : minor(-balanceMinor), account.currency)}
          </strong>
        </p>
        {view.unsynced.length > 0 && (
          <p class="pending-note">
            {view.unsynced.length} {t('unsynced')}
          </p>
        )}
      </section>
      <section class="card">
        <h3>{t('openBills')}</h3>
        {view.openBills.length === 0 ? (
          <p class="muted">{t('noOpenBills')}</p>
        ) : (
          <table class="bills">
            <thead>
              <tr>
                <th>{t('period')}</th>
                <th>{t('due')}</th>
                <th class="num">{t('amount')}</th>
                <th class="num">{t('left')}</th>
              </tr>
            </thead>
            <tbody>
              {view.openBills.map((bill) => (
                <tr key={bill.id}>
                  <td>
                    {bill.period.from} – {bill.period.to}
                  </td>
                  <td>{bill.dueOn}</td>
                  <td class="num">{formatAmount(bill.amountMinor, account.currency)}</td>
                  <td class="num">{formatAmount(outstanding(bill), account.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {/* A revoked device records nothing: the banner at the top says why. */}
      {!revoked && (
        <>
          <CashPaymentForm
            accountId={account.id}
            currency={account.currency}
            suggestedMinor={balanceMinor > 0 ? balanceMinor : ZERO}
          />
          <OwnPayments view={view} />
          <MeterReadingForm view={view} />
          <ContactCard view={view} />
        </>
      )}
    </main>
  );
}

function CashPaymentForm({
  accountId,
  currency,
  suggestedMinor,
}: {
  accountId: string;
  currency: CurrencyCode;
  suggestedMinor: MinorUnits;
}) {
  const app = useApp();
  const { t, errorOf } = useText();
  const [amountText, setAmountText] = useState(
    suggestedMinor > 0 ? formatAmount(suggestedMinor, currency).replaceAll(',', '') : '',
  );
  const [tenderedText, setTenderedText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [warning, setWarning] = useState<DuplicateWarning | undefined>();
  const [busy, setBusy] = useState(false);

  const amount = parseAmount(amountText, currency);
  const tendered = parseAmount(tenderedText === '' ? amountText : tenderedText, currency);
  const tender = amount.ok && tendered.ok ? cashTender(amount.value, tendered.value) : undefined;

  async function submit(event: Event, duplicateConfirmed = false) {
    event.preventDefault();
    const session = app.session;
    if (!amount.ok) return setError(errorOf(amount.error));
    if (!tendered.ok) return setError(errorOf(tendered.error));
    if (!session) return setError(errorOf('not-signed-in'));
    setBusy(true);
    const result = await recordCashPayment(
      app.db,
      {
        accountId,
        currency,
        amountMinor: amount.value,
        tenderedMinor: tendered.value,
        agent: session.user,
        duplicateConfirmed,
      },
      browserDeps,
    );
    setBusy(false);
    if (!result.ok && result.error === 'possible-duplicate') {
      setError(undefined);
      return setWarning(await recentDuplicate(app.db, accountId, amount.value, Date.now()));
    }
    setWarning(undefined);
    if (!result.ok) return setError(errorOf(result.error));
    app.requestSync();
    app.go({ name: 'receipt', seq: result.value.seq });
  }

  return (
    <form class="card pay" onSubmit={(e) => void submit(e)}>
      <h3>{t('takeCash')}</h3>
      <label>
        {t('amountPaid')} ({currency})
        <input
          name="amount"
          inputMode="decimal"
          value={amountText}
          onInput={(e) => {
            setAmountText(e.currentTarget.value);
            setWarning(undefined);
          }}
          required
        />
      </label>
      <label>
        {t('tendered')} ({currency})
        <input
          name="tendered"
          inputMode="decimal"
          placeholder={amountText}
          value={tenderedText}
          onInput={(e) => setTenderedText(e.currentTarget.value)}
        />
      </label>
      <p class="change">
        {t('change')}:{' '}
        <strong data-testid="change">
          {tender?.ok ? money(tender.value.changeMinor, currency) : '—'}
        </strong>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {warning ? (
        <div class="warning" role="alert" data-testid="duplicate-warning">
          <p>
            {fill(t('duplicateWarning'), {
              amount: money(warning.amountMinor, warning.currency),
              ago: ago(warning.takenAt, Date.now(), t),
              receipt: warning.receiptNumber,
            })}
          </p>
          <button
            type="button"
            class="danger"
            data-testid="confirm-duplicate"
            disabled={busy}
            onClick={(e) => void submit(e, true)}
          >
            {t('takeAnyway')}
          </button>{' '}
          <button type="button" class="link" onClick={() => setWarning(undefined)}>
            {t('cancel')}
          </button>
        </div>
      ) : (
        <button type="submit" class="primary" disabled={busy}>
          {t('recordPayment')}
        </button>
      )}
    </form>
  );
}
