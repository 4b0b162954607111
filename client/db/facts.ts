/**
 * Recording facts on the device. A fact gets its id, sequence number, clock stamp and chain
 * link, and is written with the new chain head in one transaction, before any network call;
 * a retry of its sync reuses all of it. A payment that fails the cash rules is refused here
 * with a named error and nothing is written.
 */
import { uuidv7 } from 'uuidv7';
import type { User } from '../../shared/api.ts';
import { formatHlc, hlcStart, hlcTick, parseHlc } from '../../shared/clock.ts';
import { duplicateOf, type PaymentSeen } from '../../shared/conflicts.ts';
import {
  sealFact,
  unsignedFactFault,
  type PaymentReference,
  type PaymentBody,
  type PaymentDetails,
  MAX_BUDGET_MINOR,
  type BudgetBody,
  type RefundRequestBody,
  type TransferRequestBody,
  type ContactBody,
  type ContactField,
  type UnsignedFact,
  type VoidBody,
} from '../../shared/facts.ts';
import { GENESIS_HASH, type Sha256Hex } from '../../shared/hash.ts';
import { minor, type CurrencyCode, type MinorUnits } from '../../shared/money.ts';
import { appliesUnder, deviceBalance, pendingEffects } from '../../shared/protocol.ts';
import { creditRequestFlag } from '../../shared/rules/request.ts';
import { cashTender, type CashPaymentError } from '../../shared/payments.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import {
  DEFAULT_DEVICE_SETTINGS,
  maxAmountMinor,
  riskCapBreached,
  type DeviceSettings,
  type RiskCapError,
} from '../../shared/risk.ts';
import type { DeviceRecord, GridtallyDatabase, StoredAccount, StoredFact } from './database.ts';
import { deviceRecord, readSetting } from './database.ts';
import type { TopUpError } from './pricing.ts';

/** The pricing code, loaded before a transaction opens (an import inside one would end it). */
export const loadPricing = () => import('./pricing.ts');

export interface DeviceDeps {
  readonly makeId: () => string;
  readonly nowMs: () => number;
}

export const browserDeps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => Date.now() };

/** The device's identity, made on first use and kept for the life of the database. */
export async function ensureDevice(db: GridtallyDatabase, deps: DeviceDeps): Promise<DeviceRecord> {
  // Read first: a read-write transaction commits to disk even when it writes nothing, and a
  // device is made only once.
  const held = await readSetting(db, 'device');
  if (held) return held;
  return makeDevice(db, deps);
}

/** Databases known to hold the device record (it is never deleted): not read again. */
const withDevice = new WeakSet<GridtallyDatabase>();

async function makeDevice(db: GridtallyDatabase, deps: DeviceDeps): Promise<DeviceRecord> {
  return db.transaction('rw', db.settings, async () => {
    const existing = await db.settings.get('device');
    if (existing?.key === 'device') return existing;
    const deviceId = deps.makeId();
    const device: DeviceRecord = {
      key: 'device',
      deviceId,
      headSeq: 0,
      headHash: GENESIS_HASH,
      hlc: formatHlc(hlcStart(deviceId, deps.nowMs())),
    };
    await db.settings.put(device);
    return device;
  });
}

export interface CashPaymentInput {
  readonly accountId: string;
  readonly currency: CurrencyCode;
  readonly amountMinor: MinorUnits;
  readonly tenderedMinor: MinorUnits;
  readonly agent: User;
  /** The agent saw the warning of a payment that looks the same, and takes this one anyway. */
  readonly duplicateConfirmed?: boolean;
}

export function receiptNumber(deviceId: string, seq: number): string {
  return `R-${deviceId.replace(/-/g, '').slice(-6).toUpperCase()}-${String(seq).padStart(6, '0')}`;
}

/** A fact about to be written: its body and what it does on the device until acknowledged. */
export interface Draft {
  readonly id: string;
  readonly fact: Pick<UnsignedFact, 'kind' | 'body'>;
  readonly accountId: string;
  readonly amountMinor: MinorUnits;
  readonly balanceDeltaMinor: number;
}

export interface DraftContext {
  readonly head: DeviceRecord;
  /** The sequence number the first draft will take. */
  readonly firstSeq: number;
  readonly nowMs: number;
  readonly newId: () => string;
}

/** What any recording can be refused for, whatever the fact. */
export type AppendError = 'device-revoked' | 'record-invalid' | 'card-number-refused';

/**
 * Appends facts to the device's chain: each takes the next seq, a clock stamp and the previous
 * hash, and all are written with the new chain head in one transaction, or none are. `build`
 * runs inside the transaction, so what it reads (the head, pending facts, caps) cannot change
 * under it; returning an error string writes nothing. A device that learnt it was revoked
 * records nothing, and every fact is checked by the schema the hub reads it with before it is
 * sealed, so a fact the hub could not read is never recorded.
 */
export async function appendFacts<E extends string>(
  db: GridtallyDatabase,
  agent: User,
  deps: DeviceDeps,
  build: (context: DraftContext) => Promise<Draft[] | E>,
  /** What `build` reads or writes beyond the chain (settings and facts): all by default. */
  scope: 'all' | 'chain' = 'all',
): Promise<Result<StoredFact[], E | AppendError>> {
  if (!withDevice.has(db)) {
    await ensureDevice(db, deps);
    withDevice.add(db);
  }
  // A narrower scope waits on nothing the sync worker writes to accounts, tariffs or leases.
  const tables =
    scope === 'chain'
      ? [db.settings, db.facts]
      : [db.settings, db.facts, db.accounts, db.tariffs, db.leases];
  const written = await db.transaction(
    'rw',
    tables,
    async (): Promise<StoredFact[] | E | AppendError> => {
      const head = await deviceRecord(db);
      if (head.revokedAt !== undefined) return 'device-revoked';
      const nowMs = deps.nowMs();
      const drafts = await build({ head, firstSeq: head.headSeq + 1, nowMs, newId: deps.makeId });
      if (typeof drafts === 'string') return drafts;
      let clock = parseHlc(head.hlc) ?? hlcStart(head.deviceId, nowMs);
      let seq = head.headSeq;
      let prevHash = head.headHash;
      const records: StoredFact[] = [];
      for (const draft of drafts) {
        clock = hlcTick(clock, nowMs);
        seq += 1;
        const unsigned = {
          id: draft.id,
          deviceId: head.deviceId,
          seq,
          prevHash,
          hlc: formatHlc(clock),
          agentId: agent.id,
          recordedAt: new Date(nowMs).toISOString(),
          ...draft.fact,
        } as UnsignedFact;
        const fault = unsignedFactFault(unsigned);
        if (fault)
          return fault.problem === 'card-number' ? 'card-number-refused' : 'record-invalid';
        const fact = sealFact(unsigned);
        prevHash = fact.hash as Sha256Hex;
        records.push({
          seq,
          id: fact.id,
          kind: fact.kind,
          accountId: draft.accountId,
          amountMinor: draft.amountMinor,
          balanceDeltaMinor: draft.balanceDeltaMinor,
          fact,
          status: 'pending',
        });
      }
      await db.facts.bulkAdd(records);
      await db.settings.put({ ...head, headSeq: seq, headHash: prevHash, hlc: formatHlc(clock) });
      return records;
    },
  );
  return typeof written === 'string' ? err(written) : ok(written);
}

/** The device learnt from the hub that it was revoked: from now on it records nothing new. */
export async function markRevoked(db: GridtallyDatabase, at: Date): Promise<void> {
  await db.transaction('rw', db.settings, async () => {
    const device = await db.settings.get('device');
    if (device?.key === 'device' && device.revokedAt === undefined)
      await db.settings.put({ ...device, revokedAt: at.toISOString() });
  });
}

/** The hub's caps as last pulled, or the defaults before the first pull. */
export async function capsOf(db: GridtallyDatabase): Promise<DeviceSettings> {
  const caps = await db.settings.get('caps');
  return caps?.key === 'caps' ? caps : DEFAULT_DEVICE_SETTINGS;
}

/** A payment that looks like the one about to be taken, for the agent to see first. */
export interface DuplicateWarning {
  readonly amountMinor: MinorUnits;
  readonly currency: CurrencyCode;
  readonly receiptNumber: string;
  readonly takenAt: string;
  /** Taken on this tablet (true), or known from the hub's snapshot of the account. */
  readonly here: boolean;
}

/**
 * The payment on the account that a payment of `amountMinor` now would look like a duplicate
 * of, by the hub's own rule (`duplicateOf`): this tablet's payments not voided, and those the
 * hub's snapshot lists.
 */
export async function recentDuplicate(
  db: GridtallyDatabase,
  accountId: string,
  amountMinor: number,
  nowMs: number,
  /** The account's snapshot, when the caller read it already (outside its transaction). */
  snapshot?: { account: StoredAccount | undefined },
): Promise<DuplicateWarning | undefined> {
  const account = snapshot ? snapshot.account : await db.accounts.get(accountId);
  const own = await db.facts.where('accountId').equals(accountId).toArray();
  const voided = voidedOwn(own);
  const candidates = new Map<string, PaymentSeen & { warning: DuplicateWarning }>();
  for (const stored of own) {
    const fact = stored.fact;
    if (fact.kind !== 'payment' || voided.has(stored.id)) continue;
    candidates.set(stored.id, {
      factId: stored.id,
      accountId,
      amountMinor: fact.body.amountMinor,
      hlc: fact.hlc,
      warning: { ...fact.body, takenAt: fact.recordedAt, here: true },
    });
  }
  for (const payment of account?.recentPayments ?? []) {
    if (candidates.has(payment.factId) || !account) continue;
    candidates.set(payment.factId, {
      factId: payment.factId,
      accountId,
      amountMinor: payment.amountMinor,
      // The hub's snapshot gives when the payment was taken by its device's clock, which is
      // the wall time of its stamp: what the duplicate rule compares.
      hlc: '',
      wallMs: Date.parse(payment.takenAt),
      warning: { ...payment, currency: account.currency, here: false },
    });
  }
  const match = duplicateOf({ factId: '', accountId, amountMinor, hlc: '', wallMs: nowMs }, [
    ...candidates.values(),
  ]);
  return match ? candidates.get(match.factId)?.warning : undefined;
}

/** Ids of this device's payments a void recorded here names, by id or by receipt number. */
export function voidedOwn(own: readonly StoredFact[]): Set<string> {
  const byReceipt = new Map(
    own.flatMap((stored) =>
      stored.fact.kind === 'payment' ? [[stored.fact.body.receiptNumber, stored.id] as const] : [],
    ),
  );
  const voided = new Set<string>();
  for (const stored of own) {
    if (stored.fact.kind !== 'void') continue;
    const { paymentId, receiptNumber } = stored.fact.body;
    const id =
      paymentId ?? (receiptNumber === undefined ? undefined : byReceipt.get(receiptNumber));
    if (id !== undefined) voided.add(id);
  }
  return voided;
}

export type CashPaymentRefusal =
  CashPaymentError | RiskCapError | AppendError | 'amount-above-limit' | 'possible-duplicate';

/** Records a cash payment (`recordPayment` with what was handed over). */
export async function recordCashPayment(
  db: GridtallyDatabase,
  input: CashPaymentInput,
  deps: DeviceDeps,
): Promise<Result<StoredFact, PaymentRefusal>> {
  const { tenderedMinor, ...rest } = input;
  return recordPayment(db, { ...rest, details: { method: 'cash', tenderedMinor } }, deps);
}

/** Why a payment of any kind is refused, with nothing written. */
export type PaymentRefusal = CashPaymentRefusal | TopUpError;

export interface PaymentInput extends Omit<CashPaymentInput, 'tenderedMinor'> {
  /** How the customer paid: cash handed over, or what names a mobile, card or bank payment. */
  readonly details: PaymentDetails;
  /** A prepaid top-up: the money buys energy, and the payment carries its tokens. */
  readonly topUp?: boolean;
  /**
   * The account as the screen taking the payment holds it (kept current by a live query), so
   * that it is not read again: that read could wait on the sync worker writing accounts.
   */
  readonly snapshot?: StoredAccount;
}

/**
 * Records a payment by any method. Refused, with nothing written, when it breaks the cash rules
 * (cash) or its details are not as printed (`record-invalid`), a risk cap or the most one
 * payment may carry; and, until the agent confirms (`duplicateConfirmed`), when it looks like a
 * payment already taken (`recentDuplicate` tells which). Only cash counts as cash in the
 * agent's hands, for the unsynced-cash cap and the day's cash. A top-up is priced and gets its
 * tokens in the same transaction (client/db/prepaid.ts), or is refused with why it cannot.
 */
export async function recordPayment(
  db: GridtallyDatabase,
  input: PaymentInput,
  deps: DeviceDeps,
): Promise<Result<StoredFact, PaymentRefusal>> {
  const details = input.details;
  const tender = cashTender(
    input.amountMinor,
    details.method === 'cash' ? details.tenderedMinor : input.amountMinor,
  );
  if (!tender.ok) return err(tender.error);
  const cashInHand = details.method === 'cash' ? tender.value.amountMinor : minor(0);
  const pricing = input.topUp ? await loadPricing() : undefined;
  // Without a top-up the account is only read, for the payments the hub's snapshot lists: read
  // first, so the payment's transaction holds the chain alone and waits on no write of the
  // sync worker's to accounts, tariffs or leases. This tablet's own payments, which two taps
  // could double, are read inside it.
  const held = input.snapshot?.id === input.accountId ? input.snapshot : undefined;
  const snapshot = input.topUp
    ? undefined
    : { account: held ?? (await db.accounts.get(input.accountId)) };
  const written = await appendFacts<CashPaymentRefusal | TopUpError>(
    db,
    input.agent,
    deps,
    async ({ head, firstSeq, nowMs, newId }) => {
      const caps = await capsOf(db);
      if (tender.value.amountMinor > maxAmountMinor(caps.maxAmountMinor, input.currency))
        return 'amount-above-limit';
      const breach = await riskCapCheck(db, head, caps, cashInHand, nowMs);
      if (breach) return breach;
      if (
        !input.duplicateConfirmed &&
        (await recentDuplicate(db, input.accountId, tender.value.amountMinor, nowMs, snapshot))
      )
        return 'possible-duplicate';
      const topUp = pricing
        ? await pricing.draftTopUp(db, input.accountId, tender.value.amountMinor, nowMs)
        : undefined;
      if (topUp && !topUp.ok) return topUp.error;
      const common = {
        accountId: input.accountId,
        currency: input.currency,
        amountMinor: tender.value.amountMinor,
        receiptNumber: receiptNumber(head.deviceId, firstSeq),
        ...(topUp ? { topUp: topUp.value } : {}),
      };
      const body: PaymentBody =
        details.method === 'cash'
          ? {
              ...common,
              method: 'cash',
              tenderedMinor: tender.value.tenderedMinor,
              changeMinor: tender.value.changeMinor,
            }
          : { ...common, ...details };
      return [
        {
          id: newId(),
          fact: { kind: 'payment', body },
          accountId: input.accountId,
          amountMinor: cashInHand,
          // A top-up's energy is charged as its money is paid: only the rest moves the balance.
          balanceDeltaMinor: -tender.value.amountMinor + (topUp ? topUp.value.costMinor : 0),
        },
      ];
    },
    input.topUp ? 'all' : 'chain',
  );
  return written.ok ? ok(written.value[0] as StoredFact) : written;
}

export type VoidError = 'payment-not-found' | 'already-voided';

export interface VoidInput {
  /**
   * The payment: its fact id (this device's log, or a receipt's QR code) or its receipt number
   * as printed (`parsePaymentReference` reads what the agent typed).
   */
  readonly payment: PaymentReference;
  readonly reason: VoidBody['reason'];
  readonly note?: string;
  readonly agent: User;
  /** For a payment not taken on this device: what its receipt says. */
  readonly receipt?: { readonly accountId: string; readonly amountMinor: MinorUnits };
}

/**
 * The payment a reference names as this device knows it: one of its own, by id or receipt
 * number; or, by receipt number, one the hub's snapshot of the account lists, whose id it then
 * knows. Otherwise the reference goes as it is, and the hub resolves it.
 */
async function resolvePayment(
  db: GridtallyDatabase,
  reference: PaymentReference,
  accountId: string | undefined,
): Promise<{ own?: StoredFact; reference: PaymentReference }> {
  const own = (
    'paymentId' in reference
      ? await db.facts.where('id').equals(reference.paymentId).toArray()
      : await db.facts
          .filter(
            (stored) =>
              stored.fact.kind === 'payment' &&
              stored.fact.body.receiptNumber === reference.receiptNumber,
          )
          .toArray()
  ).find((stored) => stored.fact.kind === 'payment');
  if (own) return { own, reference: { paymentId: own.id } };
  if ('receiptNumber' in reference && accountId !== undefined) {
    const listed = (await db.accounts.get(accountId))?.recentPayments.find(
      (payment) => payment.receiptNumber === reference.receiptNumber,
    );
    if (listed) return { reference: { paymentId: listed.factId } };
  }
  return { reference };
}

/**
 * Voids a payment: a new fact that reverses it, never an edit or a delete. A payment of this
 * device's own is voided from its log, and the balance shown moves back at once; one taken on
 * another device is voided from what its receipt says, and the hub holds the void until the
 * payment arrives there.
 */
export async function recordVoid(
  db: GridtallyDatabase,
  input: VoidInput,
  deps: DeviceDeps,
): Promise<Result<StoredFact, VoidError | AppendError>> {
  const written = await appendFacts<VoidError>(db, input.agent, deps, async ({ newId }) => {
    const { own, reference } = await resolvePayment(db, input.payment, input.receipt?.accountId);
    const target =
      own?.fact.kind === 'payment'
        ? { accountId: own.accountId, amountMinor: own.fact.body.amountMinor }
        : input.receipt;
    if (!target) return 'payment-not-found';
    const already = voidedOwn(await db.facts.where('accountId').equals(target.accountId).toArray());
    if ('paymentId' in reference && already.has(reference.paymentId)) return 'already-voided';
    const earlierByReceipt = await db.facts
      .where('accountId')
      .equals(target.accountId)
      .filter(
        (f) =>
          f.fact.kind === 'void' &&
          'receiptNumber' in reference &&
          f.fact.body.receiptNumber === reference.receiptNumber,
      )
      .first();
    if (earlierByReceipt) return 'already-voided';
    // The balance moves back only for a payment the device itself counted: one the hub has
    // not answered yet, or answered with a flag under which it counts (the one rule).
    const countedByHub = own === undefined || own.outcome === undefined || appliesUnder(own.reason);
    const body: VoidBody = {
      accountId: target.accountId,
      ...reference,
      amountMinor: target.amountMinor,
      reason: input.reason,
      ...(input.note ? { note: input.note } : {}),
    };
    return [
      {
        id: newId(),
        fact: { kind: 'void', body },
        accountId: target.accountId,
        // Cash goes back only for cash this device took (a card or mobile payment put none in
        // the agent's hands).
        amountMinor: own ? minor(0 - own.amountMinor) : minor(0),
        balanceDeltaMinor: own && countedByHub ? target.amountMinor : 0,
      },
    ];
  });
  return written.ok ? ok(written.value[0] as StoredFact) : written;
}

export type ContactEditError = 'account-not-found' | 'unchanged';

/** Corrects one contact field of an account, from the snapshot the agent is looking at. */
export async function recordContactEdit(
  db: GridtallyDatabase,
  input: { accountId: string; field: ContactField; value: string; agent: User },
  deps: DeviceDeps,
): Promise<Result<StoredFact, ContactEditError | AppendError>> {
  const written = await appendFacts<ContactEditError>(db, input.agent, deps, async ({ newId }) => {
    const account = await db.accounts.get(input.accountId);
    if (!account) return 'account-not-found';
    const value = input.value.trim();
    const shown = await contactShown(db, account);
    if (value === shown[input.field] || value.length === 0) return 'unchanged';
    const body: ContactBody = {
      accountId: account.id,
      field: input.field,
      value,
      previous: shown[input.field],
      baseChangeSeq: account.changeSeq,
    };
    return [
      {
        id: newId(),
        fact: { kind: 'contact', body },
        accountId: account.id,
        amountMinor: minor(0),
        balanceDeltaMinor: 0,
      },
    ];
  });
  return written.ok ? ok(written.value[0] as StoredFact) : written;
}

export type CreditRequestError =
  | 'account-not-found'
  | 'currency-mismatch'
  | 'amount-must-be-positive'
  | 'credit-not-available'
  | 'transfer-to-same-account'
  | 'transfer-target-not-found';

export type CreditRequestInput =
  | {
      readonly kind: 'refund-request';
      readonly body: Omit<RefundRequestBody, 'currency'>;
      readonly agent: User;
    }
  | {
      readonly kind: 'transfer-request';
      readonly body: Omit<TransferRequestBody, 'currency'>;
      readonly agent: User;
    };

/** What this device's own requests on the account ask that its snapshot does not count yet. */
export function ownRequested(account: StoredAccount, own: readonly StoredFact[]): number {
  return pendingEffects(account, own).reduce(
    (sum, stored) =>
      (stored.fact.kind === 'refund-request' || stored.fact.kind === 'transfer-request') &&
      stored.outcome !== 'flagged'
        ? sum + stored.fact.body.amountMinor
        : sum,
    account.creditRequestedMinor ?? 0,
  );
}

/**
 * Asks for credit back, or for it to be moved to another account: checked here by the hub's own
 * rule (shared/rules/request.ts) against the balance and the requests already waiting, then
 * recorded to wait for a supervisor. A transfer's target is checked here when the tablet holds
 * it; otherwise the hub finds it by its number.
 */
export async function recordCreditRequest(
  db: GridtallyDatabase,
  input: CreditRequestInput,
  deps: DeviceDeps,
): Promise<Result<StoredFact, CreditRequestError | AppendError>> {
  const written = await appendFacts<CreditRequestError>(
    db,
    input.agent,
    deps,
    async ({ newId }) => {
      const account = await db.accounts.get(input.body.accountId);
      if (!account) return 'account-not-found';
      const own = await db.facts.where('accountId').equals(account.id).sortBy('seq');
      const fact =
        input.kind === 'refund-request'
          ? ({ kind: input.kind, body: { ...input.body, currency: account.currency } } as const)
          : ({ kind: input.kind, body: { ...input.body, currency: account.currency } } as const);
      let target: { id: string; currency: CurrencyCode } | undefined;
      if (fact.kind === 'transfer-request') {
        const held = await db.accounts
          .where('accountNumber')
          .equals(fact.body.toAccountNumber)
          .first();
        // Not on this tablet: the hub finds it by its number, or flags the request.
        target = held
          ? { id: held.id, currency: held.currency }
          : { id: `number:${fact.body.toAccountNumber}`, currency: account.currency };
      }
      const flag = creditRequestFlag(fact, {
        provenance: undefined,
        account: { currency: account.currency, balanceMinor: deviceBalance(account, own) },
        requestedMinor: ownRequested(account, own),
        target,
      });
      if (flag !== undefined) return flag as CreditRequestError;
      return [
        {
          id: newId(),
          fact,
          accountId: account.id,
          amountMinor: minor(0),
          balanceDeltaMinor: 0,
        },
      ];
    },
  );
  return written.ok ? ok(written.value[0] as StoredFact) : written;
}

/** Sets the customer's monthly budget for bills (0: none). */
export async function recordBudget(
  db: GridtallyDatabase,
  input: { accountId: string; monthlyMinor: MinorUnits; agent: User },
  deps: DeviceDeps,
): Promise<Result<StoredFact, 'account-not-found' | 'amount-too-large' | AppendError>> {
  const written = await appendFacts<'account-not-found' | 'amount-too-large'>(
    db,
    input.agent,
    deps,
    async ({ newId }) => {
      const account = await db.accounts.get(input.accountId);
      if (!account) return 'account-not-found';
      if (input.monthlyMinor < 0 || input.monthlyMinor > MAX_BUDGET_MINOR)
        return 'amount-too-large';
      const body: BudgetBody = {
        accountId: account.id,
        currency: account.currency,
        monthlyMinor: input.monthlyMinor,
      };
      return [
        {
          id: newId(),
          fact: { kind: 'budget', body },
          accountId: account.id,
          amountMinor: minor(0),
          balanceDeltaMinor: 0,
        },
      ];
    },
  );
  return written.ok ? ok(written.value[0] as StoredFact) : written;
}

/** The contact fields as the agent should see them: the hub's, with this device's pending edits on top. */
export async function contactShown(
  db: GridtallyDatabase,
  account: StoredAccount,
): Promise<Record<ContactField, string>> {
  const shown: Record<ContactField, string> = {
    name: account.name,
    phone: account.phone,
    address: account.address,
  };
  const own = await db.facts.where('accountId').equals(account.id).sortBy('seq');
  for (const stored of pendingEffects(account, own)) {
    if (stored.fact.kind === 'contact') shown[stored.fact.body.field] = stored.fact.body.value;
  }
  return shown;
}

/** Whether a new collection would pass a risk cap the hub set (defaults before the first pull). */
async function riskCapCheck(
  db: GridtallyDatabase,
  device: DeviceRecord,
  settings: DeviceSettings,
  amountMinor: number,
  nowMs: number,
): Promise<RiskCapError | undefined> {
  const sync = await db.settings.get('sync');
  const lastSuccess =
    sync?.key === 'sync' && sync.lastSuccessAt !== undefined
      ? Date.parse(sync.lastSuccessAt)
      : -Infinity;
  const enrolled = device.enrolledAt === undefined ? -Infinity : Date.parse(device.enrolledAt);
  const lastContact = Math.max(lastSuccess, enrolled);
  const pending = await db.facts.where('status').equals('pending').toArray();
  const unsyncedCashMinor = pending.reduce((total, stored) => total + stored.amountMinor, 0);
  const exposure = {
    unsyncedCashMinor,
    lastContactMs: Number.isFinite(lastContact) ? lastContact : nowMs,
    nowMs,
  };
  return riskCapBreached(settings, exposure, amountMinor);
}

export async function pendingCount(db: GridtallyDatabase): Promise<number> {
  return db.facts.where('status').equals('pending').count();
}
