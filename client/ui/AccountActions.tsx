/**
 * What an agent can record about a customer besides a payment and a meter reading
 * (MeterReadingForm.tsx): a correction of a contact field, and a void of a payment. Each is a
 * new fact on the device, written before anything else happens; nothing is edited or deleted.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import {
  contactFields,
  parsePaymentReference,
  voidReasons,
  type ContactField,
  type VoidBody,
} from '../../shared/facts.ts';
import { parseAmount, type CurrencyCode } from '../../shared/money.ts';
import type { AccountView } from '../db/accounts.ts';
import type { StoredFact } from '../db/database.ts';
import { browserDeps, recordContactEdit, recordVoid } from '../db/facts.ts';
import { useApp, useText } from './context.ts';
import { money } from './format.ts';
import type { MessageKey } from './messages.ts';

/** The one error line each form shows, read out as soon as it appears. */
export function ErrorLine({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** An optional note of up to 200 characters, as requests and handovers take one. */
export function NoteField({
  name,
  value,
  onInput,
}: {
  name: string;
  value: string;
  onInput: (value: string) => void;
}) {
  const { t } = useText();
  return (
    <label>
      {t('requestNote')}
      <input
        name={name}
        autoComplete="off"
        maxLength={200}
        value={value}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
    </label>
  );
}

/** Name, phone and address as the agent should see them, each with a way to correct it. */
export function ContactCard({ view }: { view: AccountView }) {
  const app = useApp();
  const { errorOf } = useText();
  const [editing, setEditing] = useState<ContactField | undefined>();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const pendingFields = pendingContactFields(view);

  async function save(event: Event) {
    event.preventDefault();
    const session = app.session;
    if (!session || !editing) return setError(errorOf('not-signed-in'));
    const result = await recordContactEdit(
      app.db,
      { accountId: view.account.id, field: editing, value, agent: session.user },
      browserDeps,
    );
    if (!result.ok) return setError(errorOf(result.error));
    setEditing(undefined);
    setError(undefined);
    void app.requestSync();
  }

  return (
    <section class="card contact" data-testid="contact">
      <dl class="facts">
        {contactFields.map((field) => (
          <ContactFieldRow
            key={field}
            field={field}
            value={view.contact[field]}
            pending={pendingFields.has(field)}
            onEdit={() => {
              setEditing(field);
              setValue(view.contact[field]);
              setError(undefined);
            }}
          />
        ))}
      </dl>
      {editing && (
        <ContactEditForm
          field={editing}
          value={value}
          onInput={setValue}
          onSave={save}
          onCancel={() => {
            setEditing(undefined);
            setError(undefined);
          }}
        />
      )}
      <ErrorLine error={error} />
    </section>
  );
}

/** The contact fields this device corrected and has not yet synced. */
function pendingContactFields(view: AccountView): Set<ContactField> {
  return new Set(
    view.unsynced.flatMap((stored) =>
      stored.fact.kind === 'contact' ? [stored.fact.body.field] : [],
    ),
  );
}

/** One contact field: its value, a mark while a correction of it is unsynced, and Edit. */
function ContactFieldRow({
  field,
  value,
  pending,
  onEdit,
}: {
  field: ContactField;
  value: string;
  pending: boolean;
  onEdit: () => void;
}) {
  const { t } = useText();
  return (
    <Fragment>
      <dt>{t(field)}</dt>
      <dd data-testid={`contact-${field}`}>
        {value}
        {pending && (
          <span class="pending-tag" title={t('editPending')}>
            {' '}
            ●
          </span>
        )}{' '}
        <button
          type="button"
          class="link small"
          data-testid={`edit-${field}`}
          onClick={() => onEdit()}
        >
          {t('edit')}
        </button>
      </dd>
    </Fragment>
  );
}

/** The correction of one contact field, its current value to start from. */
function ContactEditForm({
  field,
  value,
  onInput,
  onSave,
  onCancel,
}: {
  field: ContactField;
  value: string;
  onInput: (value: string) => void;
  onSave: (event: Event) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useText();
  return (
    <form class="inline-form" onSubmit={onSave}>
      <label>
        {t(field)}
        <input
          name="contact-value"
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
          required
        />
      </label>
      <button type="submit" class="primary">
        {t('save')}
      </button>
      <button type="button" class="link" onClick={() => onCancel()}>
        {t('cancel')}
      </button>
    </form>
  );
}

function statusOf(stored: StoredFact, voided: ReadonlySet<string>): MessageKey {
  if (voided.has(stored.id)) return 'voided';
  return stored.status === 'acked' ? 'syncSynced' : 'syncPending';
}

/** The payments this tablet took for the customer, each of which can be voided once. */
export function OwnPayments({ view }: { view: AccountView }) {
  const app = useApp();
  const { t } = useText();
  return (
    <section class="card own-payments">
      {view.payments.length > 0 && <h3>{t('paymentsHere')}</h3>}
      {view.payments.length > 0 && (
        <ul class="plain">
          {view.payments.map((stored) =>
            stored.fact.kind === 'payment' ? (
              <li key={stored.id} data-testid="own-payment">
                <button
                  type="button"
                  class="link"
                  onClick={() => app.go({ name: 'receipt', seq: stored.seq })}
                >
                  {stored.fact.body.receiptNumber}
                </button>{' '}
                {money(stored.fact.body.amountMinor, stored.fact.body.currency)} ·{' '}
                <span class={voidedClass(stored, view.voided)}>
                  {t(statusOf(stored, view.voided))}
                </span>
              </li>
            ) : null,
          )}
        </ul>
      )}
      <VoidOtherForm accountId={view.account.id} currency={view.account.currency} />
    </section>
  );
}

function voidedClass(stored: StoredFact, voided: ReadonlySet<string>): string {
  return voided.has(stored.id) ? 'voided' : stored.status;
}

/** Voids a payment of this tablet's own: the reason, then the void is recorded. */
export function VoidForm({ payment }: { payment: StoredFact }) {
  const app = useApp();
  const { t, errorOf } = useText();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState<VoidBody['reason']>('wrong-account');
  const [error, setError] = useState<string | undefined>();

  async function submit(event: Event) {
    event.preventDefault();
    const session = app.session;
    if (!session) return setError(errorOf('not-signed-in'));
    const result = await recordVoid(
      app.db,
      { payment: { paymentId: payment.id }, reason, agent: session.user },
      browserDeps,
    );
    if (!result.ok) return setError(errorOf(result.error));
    void app.requestSync();
    app.go({ name: 'receipt', seq: result.value.seq });
  }

  if (!open)
    return (
      <button type="button" class="danger" data-testid="void-open" onClick={() => setOpen(true)}>
        {t('voidThis')}
      </button>
    );
  return (
    <form class="card void" onSubmit={submit} data-testid="void-form">
      <ReasonSelect value={reason} onChange={setReason} />
      <ErrorLine error={error} />
      <button type="submit" class="danger">
        {t('confirmVoid')}
      </button>
      <button type="button" class="link" onClick={() => setOpen(false)}>
        {t('cancel')}
      </button>
    </form>
  );
}

function ReasonSelect({
  value,
  onChange,
}: {
  value: VoidBody['reason'];
  onChange: (reason: VoidBody['reason']) => void;
}) {
  const { t } = useText();
  return (
    <label>
      {t('voidReason')}
      <select
        name="void-reason"
        value={value}
        onChange={(e) => onChange(e.currentTarget.value as VoidBody['reason'])}
      >
        {voidReasons.map((reason) => (
          <option key={reason} value={reason}>
            {t(`reason.${reason}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Voids a payment taken on another tablet, from what its receipt says: its receipt number as
 * printed (or its QR code, scanned into the same field) and amount. The hub holds the void
 * until that payment reaches it.
 */
function VoidOtherForm({ accountId, currency }: { accountId: string; currency: CurrencyCode }) {
  const app = useApp();
  const { t, errorOf } = useText();
  const [reference, setReference] = useState('');
  const [amountText, setAmountText] = useState('');
  const [reason, setReason] = useState<VoidBody['reason']>('entered-twice');
  const [error, setError] = useState<string | undefined>();

  async function submit(event: Event) {
    event.preventDefault();
    const session = app.session;
    if (!session) return setError(errorOf('not-signed-in'));
    const payment = parsePaymentReference(reference);
    if (!payment.ok) return setError(errorOf(payment.error));
    const amount = parseAmount(amountText, currency);
    if (!amount.ok) return setError(errorOf(amount.error));
    const result = await recordVoid(
      app.db,
      {
        payment: payment.value,
        reason,
        agent: session.user,
        receipt: { accountId, amountMinor: amount.value },
      },
      browserDeps,
    );
    if (!result.ok) return setError(errorOf(result.error));
    void app.requestSync();
    app.go({ name: 'receipt', seq: result.value.seq });
  }

  return (
    <details class="void-other">
      <summary>{t('voidOther')}</summary>
      <form onSubmit={submit} noValidate>
        <label>
          {t('paymentReference')}
          <input
            name="payment-reference"
            value={reference}
            placeholder="R-6966D5-000001"
            autocapitalize="characters"
            onInput={(e) => setReference(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          {t('receiptAmount')} ({currency})
          <input
            name="receipt-amount"
            inputMode="decimal"
            value={amountText}
            onInput={(e) => setAmountText(e.currentTarget.value)}
            required
          />
        </label>
        <ReasonSelect value={reason} onChange={setReason} />
        <ErrorLine error={error} />
        <button type="submit" class="danger">
          {t('confirmVoid')}
        </button>
      </form>
    </details>
  );
}
