/**
 * Taking cash from a customer: the amount (the balance owed, to start with), what was handed
 * over and the change. The payment is stored on the device before anything else happens, and
 * the receipt follows at once. A payment close to one taken for the account in the last hour
 * is recorded only once the agent confirms that it is not the same payment twice.
 */
import { useState } from 'preact/hooks';
import {
  formatAmount,
  parseAmount,
  type CurrencyCode,
  type MinorUnits,
} from '../../shared/money.ts';
import { cashTender } from '../../shared/payments.ts';
import {
  browserDeps,
  recentDuplicate,
  recordCashPayment,
  type DuplicateWarning,
} from '../db/facts.ts';
import { useApp, useText } from './context.ts';
import { ago, fill, money } from './format.ts';

interface CashPaymentProps {
  readonly accountId: string;
  readonly currency: CurrencyCode;
  readonly suggestedMinor: MinorUnits;
}

export function CashPaymentForm({ accountId, currency, suggestedMinor }: CashPaymentProps) {
  const { t } = useText();
  const payment = useCashPayment({ accountId, currency, suggestedMinor });
  const { amountText, tenderedText, tender, error, warning, busy, submit } = payment;
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
            payment.setAmountText(e.currentTarget.value);
            payment.setWarning(undefined);
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
          onInput={(e) => payment.setTenderedText(e.currentTarget.value)}
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
        <DuplicateWarningPanel
          warning={warning}
          busy={busy}
          onConfirm={(e) => void submit(e, true)}
          onCancel={() => payment.setWarning(undefined)}
        />
      ) : (
        <button type="submit" class="primary" disabled={busy}>
          {t('recordPayment')}
        </button>
      )}
    </form>
  );
}

/**
 * The form's state and its submission. The amount and what was tendered are parsed at every
 * keystroke, so the change shown is always what would be recorded.
 */
function useCashPayment({ accountId, currency, suggestedMinor }: CashPaymentProps) {
  const app = useApp();
  const { errorOf } = useText();
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

  return {
    amountText,
    setAmountText,
    tenderedText,
    setTenderedText,
    tender,
    error,
    warning,
    setWarning,
    busy,
    submit,
  };
}

/** The payment it may repeat, and the agent's choice: take this one anyway, or not. */
function DuplicateWarningPanel({
  warning,
  busy,
  onConfirm,
  onCancel,
}: {
  warning: DuplicateWarning;
  busy: boolean;
  onConfirm: (event: Event) => void;
  onCancel: () => void;
}) {
  const { t } = useText();
  return (
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
        onClick={(e) => onConfirm(e)}
      >
        {t('takeAnyway')}
      </button>{' '}
      <button type="button" class="link" onClick={onCancel}>
        {t('cancel')}
      </button>
    </div>
  );
}
