/**
 * Taking a payment from a customer: the amount (the balance owed, to start with) and how it is
 * paid. Cash: what was handed over and the change. Mobile money: the service, the transaction
 * reference on the payer's SMS and the payer's phone. Card on a separate terminal: the scheme,
 * the last four digits and the approval code of its slip, never the card number. Bank transfer:
 * the reference. The payment is stored on the device before anything else happens, and the
 * receipt follows at once. A payment close to one taken for the account in the last hour is
 * recorded only once the agent confirms that it is not the same payment twice.
 */
import { useEffect, useState } from 'preact/hooks';
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
  minor,
  parseAmount,
  type CurrencyCode,
  type MinorUnits,
} from '../../shared/money.ts';
import { allocatePayment, type Bill } from '../../shared/billing.ts';
import { cashTender, farAboveOwed } from '../../shared/payments.ts';
import { likelyTenders } from '../../shared/denominations.ts';
import { browserDeps, recentDuplicate, recordPayment, type DuplicateWarning } from '../db/facts.ts';
import { deviceRecord, type StoredAccount, type StoredFact } from '../db/database.ts';
import { fetchLeases } from '../db/prepaid.ts';
import type { TopUpPreview, TopUpError } from '../db/pricing.ts';
import type { Result } from '../../shared/result.ts';
import { useApp, useText } from './context.ts';
import { ago, billPeriod, fill, kwh, money } from './format.ts';

interface PaymentProps {
  readonly accountId: string;
  /** The account as the screen shows it: the payment's duplicate check reads it. */
  readonly snapshot?: StoredAccount;
  /** This device's facts on the account, as the screen shows them: the receipt starts from them. */
  readonly own?: readonly StoredFact[];
  readonly currency: CurrencyCode;
  readonly suggestedMinor: MinorUnits;
  /** What the account owes as the device sees it (negative: credit). */
  readonly owedMinor: number;
  /** Its open bills, which the preview pays oldest first. */
  readonly bills: readonly Bill[];
  /** A prepaid account: the form sells a top-up unless the agent chooses to pay bills. */
  readonly prepaid?: boolean;
}

export function PaymentForm(props: PaymentProps) {
  const { currency, bills } = props;
  const { t } = useText();
  const payment = usePayment(props);
  const { method, amountText, error, warning, busy, submit, amount, bigAmount, topUp } = payment;
  return (
    <form class="card pay" onSubmit={(e) => void submit(e)} data-testid="payment-form">
      <h3>{topUp ? t('topUp') : t('takePayment')}</h3>
      {props.prepaid && (
        <div class="tabs purpose" role="radiogroup" aria-label={t('paymentFor')}>
          {([true, false] as const).map((forTopUp) => (
            <button
              type="button"
              role="radio"
              aria-checked={topUp === forTopUp}
              class={topUp === forTopUp ? 'tab active' : 'tab'}
              data-testid={forTopUp ? 'purpose-top-up' : 'purpose-bills'}
              onClick={() => payment.setTopUp(forTopUp)}
            >
              {forTopUp ? t('topUp') : t('payBills')}
            </button>
          ))}
        </div>
      )}
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
      {amount.ok &&
        amount.value > 0 &&
        (topUp ? (
          <TopUpPreviewBox
            accountId={props.accountId}
            amountMinor={amount.value}
            currency={currency}
            bills={bills}
          />
        ) : (
          <SettlesPreview bills={bills} amountMinor={amount.value} currency={currency} />
        ))}
      <MethodFields payment={payment} currency={currency} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {bigAmount ? (
        <ConfirmPanel
          testId="big-amount-warning"
          message={fill(t('farAboveOwed'), {
            amount: money(bigAmount, currency),
            owed: money(minor(Math.max(props.owedMinor, 0)), currency),
          })}
          confirmTestId="confirm-big-amount"
          confirmLabel={t('amountIsRight')}
          busy={busy}
          onConfirm={(e) => void submit(e, false, true)}
          onCancel={() => payment.setBigAmount(undefined)}
        />
      ) : warning ? (
        <ConfirmPanel
          testId="duplicate-warning"
          message={fill(t('duplicateWarning'), {
            amount: money(warning.amountMinor, warning.currency),
            ago: ago(warning.takenAt, Date.now(), t),
            receipt: warning.receiptNumber,
          })}
          confirmTestId="confirm-duplicate"
          confirmLabel={t('takeAnyway')}
          busy={busy}
          onConfirm={(e) => void submit(e, true)}
          onCancel={() => payment.setWarning(undefined)}
        />
      ) : (
        <button type="submit" class="primary" disabled={busy}>
          {topUp ? t('sellTopUp') : t('recordPayment')}
        </button>
      )}
    </form>
  );
}

type Payment = ReturnType<typeof usePayment>;

/** What the amount buys: the energy, what it costs, what is left as credit, tokens in the lease. */
function TopUpPreviewBox({
  accountId,
  amountMinor,
  currency,
  bills,
}: {
  accountId: string;
  amountMinor: MinorUnits;
  currency: CurrencyCode;
  bills: readonly Bill[];
}) {
  const app = useApp();
  const { t, errorOf } = useText();
  const [preview, setPreview] = useState<Result<TopUpPreview, TopUpError> | undefined>();
  useEffect(() => {
    let current = true;
    void import('../db/pricing.ts')
      .then(({ previewTopUp }) => previewTopUp(app.db, accountId, amountMinor, Date.now()))
      .then((answer) => {
        if (current) setPreview(answer);
      });
    return () => {
      current = false;
    };
  }, [accountId, amountMinor]);
  if (!preview) return null;
  if (!preview.ok)
    return (
      <p class="muted" data-testid="top-up-preview">
        {errorOf(preview.error)}
      </p>
    );
  const { energyWh, costMinor, creditMinor, tokensLeft } = preview.value;
  return (
    <ul class="settles" data-testid="top-up-preview" aria-label={t('topUpBuys')}>
      <li>
        {t('energy')}: <strong data-testid="top-up-kwh">{kwh(energyWh, app.language)}</strong> ·{' '}
        {money(costMinor, currency)}
      </li>
      {/* The rest of the money pays open bills, oldest first, as the hub will; then credit. */}
      <SettlesLines bills={bills} amountMinor={creditMinor} currency={currency} />
      {tokensLeft !== undefined && (
        <li class={tokensLeft === 0 ? 'warn' : 'muted'}>
          {fill(t('tokensLeftHere'), { count: String(tokensLeft) })}
        </li>
      )}
    </ul>
  );
}

/** Which bills the amount would pay, oldest first, and what would be left as credit. */
function SettlesPreview({
  bills,
  amountMinor,
  currency,
}: {
  bills: readonly Bill[];
  amountMinor: MinorUnits;
  currency: CurrencyCode;
}) {
  const { t } = useText();
  return (
    <ul class="settles" data-testid="settles-preview" aria-label={t('settles')}>
      <SettlesLines bills={bills} amountMinor={amountMinor} currency={currency} />
    </ul>
  );
}

/** The bills an amount pays, oldest first, and the credit it leaves, as list items. */
function SettlesLines({
  bills,
  amountMinor,
  currency,
}: {
  bills: readonly Bill[];
  amountMinor: MinorUnits;
  currency: CurrencyCode;
}) {
  const app = useApp();
  const { t } = useText();
  const { allocations, creditMinor } = allocatePayment(bills, amountMinor);
  const byId = new Map(bills.map((bill) => [bill.id, bill]));
  return (
    <>
      {allocations.map(({ billId, amountMinor: paid }) => {
        const bill = byId.get(billId);
        const owed = bill ? bill.amountMinor - bill.paidMinor : paid;
        return (
          <li key={billId}>
            {bill ? billPeriod(bill.period, app.language) : billId}: {money(paid, currency)} ·{' '}
            {paid >= owed ? t('paidInFull') : t('paidInPart')}
          </li>
        );
      })}
      {creditMinor > 0 && (
        <li>
          {t('leftAsCredit')}: {money(creditMinor, currency)}
        </li>
      )}
    </>
  );
}

/**
 * One tap for what the customer hands over: the exact amount, or the notes most likely given
 * for it (a queue at a pop-up point moves on taps, not typing).
 */
function QuickTenders({ payment, currency }: { payment: Payment; currency: CurrencyCode }) {
  const { t } = useText();
  const { amount, set } = payment;
  if (!amount.ok || amount.value <= 0) return null;
  const choices = [amount.value, ...likelyTenders(amount.value, currency)];
  return (
    <div class="quick-tenders" role="group" aria-label={t('tendered')}>
      {choices.map((choice, i) => (
        <button
          type="button"
          key={choice}
          class="tab"
          data-testid="quick-tender"
          onClick={() => set('tendered', formatAmount(minor(choice), currency).replaceAll(',', ''))}
        >
          {i === 0 ? t('exactAmount') : money(minor(choice), currency)}
        </button>
      ))}
    </div>
  );
}

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
          <QuickTenders payment={payment} currency={currency} />
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
function usePayment({
  accountId,
  snapshot,
  own = [],
  currency,
  suggestedMinor,
  owedMinor,
  prepaid,
}: PaymentProps) {
  const app = useApp();
  const { errorOf } = useText();
  const [method, setMethod] = useState<PaymentMethod>('cash');
  const [topUp, setTopUp] = useState(prepaid === true);
  const suggested =
    suggestedMinor > 0 ? formatAmount(suggestedMinor, currency).replaceAll(',', '') : '';
  const [amountText, setAmountText] = useState(prepaid === true ? '' : suggested);
  const [fields, setFields] = useState<Fields>(NO_FIELDS);
  const [error, setError] = useState<string | undefined>();
  const [warning, setWarning] = useState<DuplicateWarning | undefined>();
  /** An amount far above what is owed, waiting for the agent to confirm it. */
  const [bigAmount, setBigAmount] = useState<MinorUnits | undefined>();
  /** The amount the agent confirmed: not asked again while it stays the same. */
  const [confirmedAmount, setConfirmedAmount] = useState<MinorUnits | undefined>();
  const [busy, setBusy] = useState(false);

  const amount = parseAmount(amountText, currency);
  const tendered = parseAmount(fields.tendered === '' ? amountText : fields.tendered, currency);
  const tender = amount.ok && tendered.ok ? cashTender(amount.value, tendered.value) : undefined;

  async function submit(event: Event, duplicateConfirmed = false, bigConfirmed = false) {
    event.preventDefault();
    const session = app.session;
    if (!amount.ok) return setError(errorOf(amount.error));
    if (method === 'cash' && !tendered.ok) return setError(errorOf(tendered.error));
    if (!session) return setError(errorOf('not-signed-in'));
    if (bigConfirmed) setConfirmedAmount(amount.value);
    const confirmed = bigConfirmed || confirmedAmount === amount.value;
    // A top-up buys energy, not bills: what is owed says nothing of how much is too much.
    if (!topUp && !confirmed && farAboveOwed(amount.value, owedMinor)) {
      setError(undefined);
      return setBigAmount(amount.value);
    }
    setBigAmount(undefined);
    setBusy(true);
    const input = {
      accountId,
      currency,
      amountMinor: amount.value,
      details: detailsOf(method, fields, tendered.ok ? tendered.value : amount.value),
      agent: session.user,
      duplicateConfirmed,
      topUp,
      snapshot,
    };
    let result = await recordPayment(app.db, input, browserDeps);
    const leaseWanted = (r: typeof result) =>
      !r.ok && (r.error === 'no-lease' || r.error === 'lease-used-up');
    if (leaseWanted(result)) {
      // A sync first: it pushes this tablet's sales, after which the hub renews a used-up lease.
      await app.requestSync();
      result = await recordPayment(app.db, input, browserDeps);
    }
    if (leaseWanted(result)) {
      // Online, the hub can lease this meter's next counts to this tablet (taking them from
      // another that held them): the customer is here now.
      const leased = await fetchLeases(
        app.db,
        {
          baseUrl: app.baseUrl,
          token: session.token,
          deviceId: (await deviceRecord(app.db)).deviceId,
        },
        [accountId],
        true,
      );
      if (leased.ok) result = await recordPayment(app.db, input, browserDeps);
    }
    setBusy(false);
    if (!result.ok && result.error === 'possible-duplicate') {
      setError(undefined);
      // Confirmed once already: the duplicate's own confirmation takes it on.
      if (bigConfirmed) setBigAmount(undefined);
      return setWarning(await recentDuplicate(app.db, accountId, amount.value, Date.now()));
    }
    setWarning(undefined);
    if (!result.ok)
      return setError(
        errorOf(result.error === 'record-invalid' ? 'payment-details-invalid' : result.error),
      );
    const stored = result.value;
    app.go({
      name: 'receipt',
      seq: stored.seq,
      recorded: { stored, account: snapshot, own: [...own, stored] },
    });
    // To the hub once the receipt's screen has asked for what it shows (rendering it takes
    // microtasks, a timer comes after them): the round's writes then wait for that read, not
    // the receipt for them.
    setTimeout(() => void app.requestSync(), 0);
  }

  return {
    topUp,
    setTopUp: (next: boolean) => {
      setTopUp(next);
      setError(undefined);
      setBigAmount(undefined);
      setAmountText(next ? '' : suggested);
    },
    method,
    setMethod: (next: PaymentMethod) => {
      setMethod(next);
      setError(undefined);
    },
    amount,
    bigAmount,
    setBigAmount,
    amountText,
    setAmountText: (text: string) => {
      setAmountText(text);
      setBigAmount(undefined);
      setConfirmedAmount(undefined);
    },
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

/**
 * A question before a payment is recorded: what the agent should check, and the choice to record
 * it anyway or not. One panel for each question the form asks (a duplicate, an amount far above
 * what is owed).
 */
function ConfirmPanel({
  testId,
  message,
  confirmTestId,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
}: {
  testId: string;
  message: string;
  confirmTestId: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: (event: Event) => void;
  onCancel: () => void;
}) {
  const { t } = useText();
  return (
    <div class="warning" role="alert" data-testid={testId}>
      <p>{message}</p>
      <button
        type="button"
        class="danger"
        data-testid={confirmTestId}
        disabled={busy}
        onClick={(e) => onConfirm(e)}
      >
        {confirmLabel}
      </button>{' '}
      <button type="button" class="link" onClick={onCancel}>
        {t('cancel')}
      </button>
    </div>
  );
}
