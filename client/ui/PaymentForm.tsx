/**
 * Taking a payment from a customer: the amount (the balance owed, to start with) and how it is
 * paid. Cash: what was handed over and the change. Mobile money: the service, the transaction
 * reference on the payer's SMS and the payer's phone. Card on a separate terminal: the scheme,
 * the last four digits and the approval code of its slip, never the card number. Bank transfer:
 * the reference. The payment is stored on the device before anything else happens, and the
 * receipt follows at once. A payment close to one taken for the account in the last hour is
 * recorded only once the agent confirms that it is not the same payment twice.
 */
import { useState } from 'preact/hooks';
import {
  cardBrands,
  mobileMoneyProviders,
  paymentMethods,
  type CardBrand,
  type MobileMoneyProvider,
  type PaymentDetails,
  type PaymentMethod,
} from '../../shared/facts.ts';
import {
  formatAmount,
  parseAmount,
  type CurrencyCode,
  type MinorUnits,
} from '../../shared/money.ts';
import { cashTender } from '../../shared/payments.ts';
import { browserDeps, recentDuplicate, recordPayment, type DuplicateWarning } from '../db/facts.ts';
import { useApp, useText } from './context.ts';
import { ago, fill, money } from './format.ts';

interface PaymentProps {
  readonly accountId: string;
  readonly currency: CurrencyCode;
  readonly suggestedMinor: MinorUnits;
}

export function PaymentForm({ accountId, currency, suggestedMinor }: PaymentProps) {
  const { t } = useText();
  const payment = usePayment({ accountId, currency, suggestedMinor });
  const { method, amountText, error, warning, busy, submit } = payment;
  return (
    <form class="card pay" onSubmit={(e) => void submit(e)}>
      <h3>{t('takePayment')}</h3>
      <div class="tabs methods" role="radiogroup" aria-label={t('howPaid')}>
        {paymentMethods.map((m) => (
          <button
            type="button"
            role="radio"
            aria-checked={method === m}
            class={method === m ? 'tab active' : 'tab'}
            data-testid={`method-${m}`}
            onClick={() => payment.setMethod(m)}
          >
            {t(`method.${m}`)}
          </button>
        ))}
      </div>
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
      <MethodFields payment={payment} currency={currency} />
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

type Payment = ReturnType<typeof usePayment>;

/** The fields of the chosen method. */
function MethodFields({ payment, currency }: { payment: Payment; currency: CurrencyCode }) {
  const { t } = useText();
  const { method, fields, set, tender, amountText } = payment;
  switch (method) {
    case 'cash':
      return (
        <>
          <label>
            {t('tendered')} ({currency})
            <input
              name="tendered"
              inputMode="decimal"
              placeholder={amountText}
              value={fields.tendered}
              onInput={(e) => set('tendered', e.currentTarget.value)}
            />
          </label>
          <p class="change">
            {t('change')}:{' '}
            <strong data-testid="change">
              {tender?.ok ? money(tender.value.changeMinor, currency) : '—'}
            </strong>
          </p>
        </>
      );
    case 'mobile-money':
      return (
        <>
          <label>
            {t('mobileProvider')}
            <select
              name="provider"
              value={fields.provider}
              onChange={(e) => set('provider', e.currentTarget.value)}
            >
              {mobileMoneyProviders.map((p) => (
                <option value={p}>{t(`provider.${p}`)}</option>
              ))}
            </select>
          </label>
          <ReferenceField payment={payment} />
          <label>
            {t('payerPhone')}
            <input
              name="payer-phone"
              type="tel"
              inputMode="tel"
              autocomplete="off"
              placeholder="+254…"
              value={fields.payerPhone}
              onInput={(e) => set('payerPhone', e.currentTarget.value)}
              required
            />
          </label>
        </>
      );
    case 'card':
      return (
        <>
          <p class="muted">{t('cardSlipHint')}</p>
          <label>
            {t('cardBrand')}
            <select
              name="brand"
              value={fields.brand}
              onChange={(e) => set('brand', e.currentTarget.value)}
            >
              {cardBrands.map((b) => (
                <option value={b}>{t(`brand.${b}`)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('cardLast4')}
            <input
              name="last4"
              inputMode="numeric"
              autocomplete="off"
              maxLength={4}
              value={fields.last4}
              onInput={(e) => set('last4', e.currentTarget.value)}
              required
            />
          </label>
          <label>
            {t('approvalCode')}
            <input
              name="approval-code"
              autocomplete="off"
              value={fields.approvalCode}
              onInput={(e) => set('approvalCode', e.currentTarget.value)}
              required
            />
          </label>
        </>
      );
    case 'bank-transfer':
      return <ReferenceField payment={payment} />;
  }
}

function ReferenceField({ payment }: { payment: Payment }) {
  const { t } = useText();
  return (
    <label>
      {t('txReference')}
      <input
        name="reference"
        autocomplete="off"
        title={t('txReferenceHint')}
        value={payment.fields.reference}
        onInput={(e) => payment.set('reference', e.currentTarget.value)}
        required
      />
    </label>
  );
}

interface Fields {
  tendered: string;
  provider: string;
  reference: string;
  payerPhone: string;
  brand: string;
  last4: string;
  approvalCode: string;
}

const NO_FIELDS: Fields = {
  tendered: '',
  provider: 'mpesa',
  reference: '',
  payerPhone: '',
  brand: 'visa',
  last4: '',
  approvalCode: '',
};

/**
 * What the agent typed, as the fact will say it: references and codes in upper case without
 * spaces, a phone as digits after `+`. The fact's own schema then decides (record-invalid).
 */
function detailsOf(
  method: PaymentMethod,
  fields: Fields,
  tenderedMinor: MinorUnits,
): PaymentDetails {
  const code = (text: string) => text.replace(/\s+/g, '').toUpperCase();
  switch (method) {
    case 'cash':
      return { method, tenderedMinor };
    case 'mobile-money':
      return {
        method,
        provider: fields.provider as MobileMoneyProvider,
        reference: code(fields.reference),
        payerPhone: `+${fields.payerPhone.replace(/\D/g, '')}`,
      };
    case 'card':
      return {
        method,
        brand: fields.brand as CardBrand,
        last4: fields.last4.replace(/\D/g, ''),
        approvalCode: code(fields.approvalCode),
      };
    case 'bank-transfer':
      return { method, reference: code(fields.reference) };
  }
}

/**
 * The form's state and its submission. The amount and what was tendered are parsed at every
 * keystroke, so the change shown is always what would be recorded.
 */
function usePayment({ accountId, currency, suggestedMinor }: PaymentProps) {
  const app = useApp();
  const { errorOf } = useText();
  const [method, setMethod] = useState<PaymentMethod>('cash');
  const [amountText, setAmountText] = useState(
    suggestedMinor > 0 ? formatAmount(suggestedMinor, currency).replaceAll(',', '') : '',
  );
  const [fields, setFields] = useState<Fields>(NO_FIELDS);
  const [error, setError] = useState<string | undefined>();
  const [warning, setWarning] = useState<DuplicateWarning | undefined>();
  const [busy, setBusy] = useState(false);

  const amount = parseAmount(amountText, currency);
  const tendered = parseAmount(fields.tendered === '' ? amountText : fields.tendered, currency);
  const tender = amount.ok && tendered.ok ? cashTender(amount.value, tendered.value) : undefined;

  async function submit(event: Event, duplicateConfirmed = false) {
    event.preventDefault();
    const session = app.session;
    if (!amount.ok) return setError(errorOf(amount.error));
    if (method === 'cash' && !tendered.ok) return setError(errorOf(tendered.error));
    if (!session) return setError(errorOf('not-signed-in'));
    setBusy(true);
    const result = await recordPayment(
      app.db,
      {
        accountId,
        currency,
        amountMinor: amount.value,
        details: detailsOf(method, fields, tendered.ok ? tendered.value : amount.value),
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
    if (!result.ok)
      return setError(
        errorOf(result.error === 'record-invalid' ? 'payment-details-invalid' : result.error),
      );
    app.requestSync();
    app.go({ name: 'receipt', seq: result.value.seq });
  }

  return {
    method,
    setMethod: (next: PaymentMethod) => {
      setMethod(next);
      setError(undefined);
    },
    amountText,
    setAmountText,
    fields,
    set: (field: keyof Fields, value: string) => setFields({ ...fields, [field]: value }),
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
