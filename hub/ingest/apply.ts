/**
 * Applies a push's new facts, in the device's order, to the state read for them (state.ts):
 * every decision is made by the pure rules in shared/rules/, and what they decide is gathered
 * as rows (rows.ts). There is one way a fact is applied, whether it came alone or among 1,000.
 *
 * Each fact takes the next change number; a fact that names a known account gives the account
 * that number, applied or not, so the device's next snapshot of it reaches the fact's
 * acknowledgement. A held void decided by a payment's arrival takes that payment's number, or
 * a number of its own when it names another account.
 */
import { allocatePayment } from '../../shared/billing.ts';
import { concurrentEdits, contactWinner, releaseOrder } from '../../shared/conflicts.ts';
import {
  factTexts,
  readFact,
  type Fact,
  type FactEnvelope,
  type FactOf,
} from '../../shared/facts.ts';
import { minor, type CurrencyCode } from '../../shared/money.ts';
import type { FactOutcome, FactOutcomeKind, FlagReason } from '../../shared/protocol.ts';
import { maxAmountMinor, type AmountLimits } from '../../shared/risk.ts';
import { provenanceFlag } from '../../shared/rules/fact.ts';
import { decidePayment, RECENT_PAYMENTS_CHECKED } from '../../shared/rules/payment.ts';
import { decideReading } from '../../shared/rules/reading.ts';
import { decideSpotBill } from '../../shared/rules/spot-bill.ts';
import { decideVoid, voidTarget, type VoidTarget } from '../../shared/rules/void.ts';
import { emptyWrites, type Writes } from './rows.ts';
import {
  billedPeriodsOf,
  contactKey,
  holdBill,
  openBillsOf,
  seen,
  type AccountState,
  type BatchState,
  type PaymentRecord,
  type VoidRow,
} from './state.ts';

/** Days a bill printed at the door gives the customer to pay. */
export const SPOT_BILL_DUE_DAYS = 14;

export interface Arrival {
  readonly receivedAt: Date;
  /** The first change number the push may take. */
  readonly firstChange: number;
  readonly deviceRevoked: boolean;
  readonly limits: AmountLimits | undefined;
}

/** One new fact: as sent, its stored text, and its body as read (or what is wrong with it). */
export interface Arriving {
  readonly envelope: FactEnvelope;
  readonly document: string;
  readonly read: ReturnType<typeof readFact>;
}

export function arriving(
  envelope: FactEnvelope,
  document = factTexts(envelope).document,
): Arriving {
  return { envelope, document, read: readFact(envelope) };
}

/** A decision on one fact: its outcome, and the flag that names why, if any. */
interface Decision {
  readonly outcome: FactOutcomeKind;
  readonly reason: FlagReason | undefined;
}

function decision(reason: FlagReason | undefined): Decision {
  if (reason === undefined) return { outcome: 'accepted', reason };
  return { outcome: reason === 'possible-duplicate' ? 'duplicate' : 'flagged', reason };
}

class Batch {
  readonly writes: Writes = emptyWrites();
  readonly outcomes: FactOutcome[] = [];
  private change: number;
  readonly receivedIso: string;

  constructor(
    readonly state: BatchState,
    readonly arrival: Arrival,
  ) {
    this.change = arrival.firstChange;
    this.receivedIso = arrival.receivedAt.toISOString();
  }

  /** The change numbers taken so far. */
  get used(): number {
    return this.change - this.arrival.firstChange;
  }

  nextChange(): number {
    return this.change++;
  }

  account(id: string): AccountState | undefined {
    return this.state.accounts.get(id);
  }

  maxAmount(currency: CurrencyCode): number {
    return maxAmountMinor(this.arrival.limits, currency);
  }

  moveBalance(account: AccountState, source: string, deltaMinor: number, changeSeq: number): void {
    if (deltaMinor === 0) return;
    account.balanceMinor = minor(account.balanceMinor + deltaMinor);
    this.writes.ledger.push({
      source,
      account_id: account.row.id,
      delta_minor: minor(deltaMinor),
      change_seq: changeSeq,
    });
  }
}

export interface Applied {
  readonly outcomes: FactOutcome[];
  readonly writes: Writes;
  /** How many change numbers the push took. */
  readonly changesUsed: number;
}

export function applyFacts(
  state: BatchState,
  facts: readonly Arriving[],
  arrival: Arrival,
): Applied {
  const batch = new Batch(state, arrival);
  for (const fact of facts) applyOne(batch, fact);
  return { outcomes: batch.outcomes, writes: batch.writes, changesUsed: batch.used };
}

function applyOne(batch: Batch, arrived: Arriving): void {
  const changeSeq = batch.nextChange();
  const { envelope } = arrived;
  const fault = arrived.read.ok ? undefined : arrived.read.error;
  const provenance = provenanceFlag({
    bodyFault: fault,
    deviceRevoked: batch.arrival.deviceRevoked,
    agentSignedInHere: batch.state.agents.has(envelope.agentId),
  });
  let decided: Decision;
  if (!arrived.read.ok) decided = decision(provenance);
  else {
    const fact = arrived.read.value;
    const account = batch.account(fact.body.accountId);
    if (account) account.changeSeq = changeSeq;
    decided = applyKind(batch, fact, changeSeq, provenance);
  }
  batch.writes.facts.push({
    id: envelope.id,
    seq: envelope.seq,
    outcome: decided.outcome,
    flag_reason: decided.reason ?? null,
    flag_detail: fault ? JSON.stringify(fault) : null,
    change_seq: changeSeq,
    device_id: envelope.deviceId,
    kind: envelope.kind,
    hash: envelope.hash,
    prev_hash: envelope.prevHash,
    hlc: envelope.hlc,
    agent_id: envelope.agentId,
    recorded_at: envelope.recordedAt,
    document: arrived.document,
    received_at: batch.receivedIso,
  });
  batch.outcomes.push({
    id: envelope.id,
    seq: envelope.seq,
    outcome: decided.outcome,
    ...(decided.reason === undefined ? {} : { reason: decided.reason }),
    ...(fault ? { fault } : {}),
    changeSeq,
  });
}

function applyKind(
  batch: Batch,
  fact: Fact,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  switch (fact.kind) {
    case 'payment':
      return applyPayment(batch, fact, changeSeq, provenance);
    case 'void':
      return applyVoid(batch, fact, changeSeq, provenance);
    case 'contact':
      return applyContact(batch, fact, changeSeq, provenance);
    case 'reading':
      return applyReading(batch, fact, changeSeq, provenance);
    case 'spot-bill':
      return applySpotBill(batch, fact, changeSeq, provenance);
  }
}

// --- payments -------------------------------------------------------------------------------

function applyPayment(
  batch: Batch,
  fact: FactOf<'payment'>,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const account = batch.account(body.accountId);
  const recent = batch.state.recent.get(body.accountId) ?? [];
  const decided = decidePayment(fact, {
    provenance,
    account: account && { currency: account.row.currency, balanceMinor: account.balanceMinor },
    maxAmountMinor: batch.maxAmount(body.currency),
    recent: recent.slice(-RECENT_PAYMENTS_CHECKED),
  });
  const record: PaymentRecord = {
    factId: fact.id,
    accountId: body.accountId,
    amountMinor: body.amountMinor,
    applied: decided.counts,
    voidedBy: undefined,
    receiptNumber: body.receiptNumber,
    allocations: [],
  };
  if (decided.counts && account) {
    const allocation = allocatePayment(openBillsOf(batch.state, account.row.id), body.amountMinor);
    for (const part of allocation.allocations) {
      const entry = batch.state.bills.get(part.billId);
      if (entry)
        entry.bill = { ...entry.bill, paidMinor: minor(entry.bill.paidMinor + part.amountMinor) };
      record.allocations.push({ billId: part.billId, amountMinor: part.amountMinor });
      batch.writes.allocations.push({
        payment_fact_id: fact.id,
        bill_id: part.billId,
        amount_minor: part.amountMinor,
      });
    }
    batch.moveBalance(account, fact.id, -body.amountMinor, changeSeq);
  }
  if (account) recent.push(seen(fact.id, body.accountId, body.amountMinor, fact.hlc));
  batch.state.recent.set(body.accountId, recent);
  batch.state.payments.set(fact.id, record);
  const sameReceipt = batch.state.paymentsByReceipt.get(body.receiptNumber) ?? [];
  batch.state.paymentsByReceipt.set(body.receiptNumber, [...sameReceipt, record]);
  batch.writes.payments.push({
    fact_id: fact.id,
    account_id: body.accountId,
    agent_id: fact.agentId,
    currency: body.currency,
    amount_minor: body.amountMinor,
    method: body.method,
    receipt_number: body.receiptNumber,
    taken_at: fact.recordedAt,
    received_at: batch.receivedIso,
    change_seq: changeSeq,
    status: decided.reason === undefined ? 'accepted' : 'flagged',
    flag_reason: decided.reason ?? null,
    hlc: fact.hlc,
  });
  releaseHeldVoids(batch, record, changeSeq);
  return decision(decided.reason);
}

// --- voids ----------------------------------------------------------------------------------

function targetOf(batch: Batch, body: FactOf<'void'>['body']): VoidTarget {
  return voidTarget(
    body,
    (id) => batch.state.payments.get(id),
    (receipt) => batch.state.paymentsByReceipt.get(receipt) ?? [],
  );
}

/**
 * Reverses a payment: the payment stays, marked as voided; what it paid on bills is taken back
 * by reversal rows (never by editing the allocations), and the balance rises again.
 */
function reversePayment(
  batch: Batch,
  voidId: string,
  payment: PaymentRecord,
  reverseMinor: number,
  changeSeq: number,
): void {
  const mutable = payment as { voidedBy: string | undefined };
  mutable.voidedBy = voidId;
  batch.writes.voided.set(payment.factId, voidId);
  const recent = batch.state.recent.get(payment.accountId);
  if (recent)
    batch.state.recent.set(
      payment.accountId,
      recent.filter((other) => other.factId !== payment.factId),
    );
  const account = batch.account(payment.accountId);
  if (reverseMinor === 0 || !account) return;
  for (const part of payment.allocations) {
    const entry = batch.state.bills.get(part.billId);
    if (entry)
      entry.bill = { ...entry.bill, paidMinor: minor(entry.bill.paidMinor - part.amountMinor) };
    batch.writes.reversals.push({
      void_fact_id: voidId,
      bill_id: part.billId,
      amount_minor: minor(part.amountMinor),
    });
  }
  batch.moveBalance(account, voidId, reverseMinor, changeSeq);
}

function applyVoid(
  batch: Batch,
  fact: FactOf<'void'>,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const target = targetOf(batch, body);
  const decided = decideVoid(fact, target, provenance);
  const paymentId = decided.kind === 'apply' ? decided.paymentId : (body.paymentId ?? null);
  batch.writes.voids.push({
    fact_id: fact.id,
    payment_id: target.kind === 'found' ? target.payment.factId : paymentId,
    receipt_number: body.receiptNumber ?? null,
    account_id: body.accountId,
    amount_minor: body.amountMinor,
    reason: body.reason,
    hlc: fact.hlc,
    status: decided.kind === 'hold' ? 'held' : decided.kind === 'apply' ? 'applied' : 'flagged',
    flag_reason: decided.kind === 'flag' ? decided.reason : null,
    reversed_minor: minor(decided.kind === 'apply' ? decided.reverseMinor : 0),
  });
  if (decided.kind === 'hold') {
    const row = heldRow(fact, changeSeq);
    const key = body.paymentId ?? body.receiptNumber ?? '';
    const held = body.paymentId !== undefined ? batch.state.heldById : batch.state.heldByReceipt;
    held.set(key, [...(held.get(key) ?? []), row]);
    return { outcome: 'held', reason: undefined };
  }
  if (decided.kind === 'flag') return decision(decided.reason);
  const payment = batch.state.payments.get(decided.paymentId);
  if (payment) reversePayment(batch, fact.id, payment, decided.reverseMinor, changeSeq);
  return decision(undefined);
}

/** A held void as the store would hold it, for a payment later in the same push. */
function heldRow(fact: FactOf<'void'>, changeSeq: number): VoidRow & { changeSeq: number } {
  return {
    fact_id: fact.id,
    payment_id: fact.body.paymentId ?? null,
    receipt_number: fact.body.receiptNumber ?? null,
    account_id: fact.body.accountId,
    amount_minor: fact.body.amountMinor,
    reason: fact.body.reason,
    hlc: fact.hlc,
    status: 'held',
    flag_reason: null,
    reversed_minor: minor(0),
    changeSeq,
  };
}

/**
 * Voids that arrived before their payment, decided now that it is here, oldest stamp first.
 * Each takes this change's number (or, when it names another account, a new number of that
 * account) and its final outcome, so its device's next pull acknowledges it again.
 */
function releaseHeldVoids(batch: Batch, payment: PaymentRecord, changeSeq: number): void {
  const { heldById, heldByReceipt } = batch.state;
  const waiting = [
    ...(heldById.get(payment.factId) ?? []),
    ...(heldByReceipt.get(payment.receiptNumber) ?? []),
  ];
  heldById.delete(payment.factId);
  heldByReceipt.delete(payment.receiptNumber);
  for (const row of releaseOrder(waiting.map((v) => ({ ...v, factId: v.fact_id })))) {
    const body = {
      accountId: row.account_id,
      paymentId: payment.factId,
      amountMinor: row.amount_minor,
      reason: row.reason,
    };
    const decided = decideVoid({ id: row.fact_id, body }, { kind: 'found', payment }, undefined);
    if (decided.kind === 'hold') continue;
    if (decided.kind === 'apply')
      reversePayment(batch, row.fact_id, payment, decided.reverseMinor, changeSeq);
    let releasedAt = changeSeq;
    if (row.account_id !== payment.accountId) {
      releasedAt = batch.nextChange();
      const named = batch.account(row.account_id);
      if (named) named.changeSeq = releasedAt;
    }
    const reason = decided.kind === 'flag' ? decided.reason : null;
    releaseWrite(batch, row, {
      paymentId: payment.factId,
      status: decided.kind === 'apply' ? 'applied' : 'flagged',
      reason,
      reversedMinor: decided.kind === 'apply' ? decided.reverseMinor : 0,
      outcome: decided.kind === 'apply' ? 'accepted' : 'flagged',
      changeSeq: releasedAt,
    });
  }
}

function releaseWrite(
  batch: Batch,
  row: VoidRow,
  released: Omit<Writes['released'][number], 'voidId'>,
): void {
  // A void held earlier in this same push is still among the rows to insert: decide it there.
  const inserted = batch.writes.voids.find((entry) => entry.fact_id === row.fact_id);
  if (inserted) {
    Object.assign(inserted, {
      payment_id: released.paymentId,
      status: released.status,
      flag_reason: released.reason,
      reversed_minor: minor(released.reversedMinor),
    });
    const fact = batch.writes.facts.find((entry) => entry.id === row.fact_id);
    if (fact)
      Object.assign(fact, {
        outcome: released.outcome,
        flag_reason: released.reason,
        change_seq: released.changeSeq,
      });
    const outcome = batch.outcomes.find((entry) => entry.id === row.fact_id);
    if (outcome) {
      outcome.outcome = released.outcome;
      outcome.changeSeq = released.changeSeq;
      if (released.reason === null) delete outcome.reason;
      else outcome.reason = released.reason;
    }
    return;
  }
  batch.writes.released.push({ voidId: row.fact_id, ...released });
}

// --- contact edits --------------------------------------------------------------------------

/**
 * A contact edit is kept whatever happens; the field shows the winner of all the field's edits
 * by the rule in shared/conflicts.ts. An edit made without seeing a disagreeing one is flagged.
 */
function applyContact(
  batch: Batch,
  fact: FactOf<'contact'>,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  if (provenance !== undefined) return decision(provenance);
  const account = batch.account(fact.body.accountId);
  if (!account) return decision('account-not-found');
  const key = contactKey(account.row.id, fact.body.field);
  const held = batch.state.contactEdits.get(key) ?? [];
  const arriving = {
    factId: fact.id,
    deviceId: fact.deviceId,
    deviceSeq: fact.seq,
    field: fact.body.field,
    value: fact.body.value,
    hlc: fact.hlc,
    // A snapshot the device had cannot be later than this edit's own change: a larger number
    // (a bad device, or a hub restored from an older backup) would win every later edit.
    baseChangeSeq: Math.min(fact.body.baseChangeSeq, changeSeq - 1),
    changeSeq,
    receivedAtMs: batch.arrival.receivedAt.getTime(),
  };
  const reason = concurrentEdits(arriving, held).length > 0 ? 'concurrent-edit' : undefined;
  batch.writes.contactEdits.push({
    fact_id: fact.id,
    account_id: account.row.id,
    field: fact.body.field,
    value: fact.body.value,
    previous: fact.body.previous,
    device_id: fact.deviceId,
    device_seq: fact.seq,
    hlc: fact.hlc,
    base_change_seq: arriving.baseChangeSeq,
    change_seq: changeSeq,
    received_at: batch.receivedIso,
    flag_reason: reason ?? null,
  });
  batch.state.contactEdits.set(key, [...held, arriving]);
  const winner = contactWinner([...held, arriving]);
  if (winner) account.fields[fact.body.field] = winner.value;
  return decision(reason);
}

// --- meter readings -------------------------------------------------------------------------

function applyReading(
  batch: Batch,
  fact: FactOf<'reading'>,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const account = batch.account(body.accountId);
  const others = batch.state.readings.get(body.accountId) ?? [];
  const decided = decideReading(fact, changeSeq, {
    provenance,
    accountMeter: account?.row.meter_number,
    today: batch.receivedIso.slice(0, 10),
    others,
  });
  if (!account) return decision(decided.reason);
  batch.writes.readings.push({
    id: fact.id,
    account_id: account.row.id,
    read_on: body.readOn,
    register_kwh: body.registerKwh,
    fact_id: fact.id,
    status: decided.reason === undefined ? 'accepted' : 'flagged',
    flag_reason: decided.reason ?? null,
    change_seq: changeSeq,
  });
  for (const id of decided.heldToFlag) {
    batch.writes.readingsFlagged.add(id);
    const other = others.find((reading) => reading.id === id);
    if (other) Object.assign(other, { flagged: true, reason: 'competing-reading' });
  }
  others.push({
    id: fact.id,
    registerKwh: body.registerKwh,
    readOn: body.readOn,
    changeSeq,
    flagged: decided.reason !== undefined,
    reason: decided.reason ?? null,
  });
  batch.state.readings.set(body.accountId, others);
  return decision(decided.reason);
}

// --- bills printed at the door --------------------------------------------------------------

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A bill printed at the door is issued as printed unless the hub cannot stand behind it
 * (shared/rules/spot-bill.ts); a difference from the hub's own amount is carried to the next
 * bill, and carried differences it billed stop waiting.
 */
function applySpotBill(
  batch: Batch,
  fact: FactOf<'spot-bill'>,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const account = batch.account(body.accountId);
  if (!account) return decision(provenance ?? 'account-not-found');
  const accountId = account.row.id;
  const waiting = batch.state.carried.get(accountId) ?? new Map<string, number>();
  const reading = batch.state.readings.get(accountId)?.find((r) => r.id === body.readingId);
  const decided = decideSpotBill(fact, {
    provenance,
    account: {
      currency: account.row.currency,
      tariffId: account.row.tariff_id,
      balanceMinor: account.balanceMinor,
    },
    maxAmountMinor: batch.maxAmount(account.row.currency),
    billed: billedPeriodsOf(batch.state, accountId),
    readingFlag: reading?.reason ?? undefined,
    versions: batch.state.tariffs.get(account.row.tariff_id) ?? [],
    waitingCarried: waiting,
  });
  batch.writes.spotBills.push({
    fact_id: fact.id,
    account_id: accountId,
    period_from: body.period.from,
    period_to: body.period.to,
    tariff_id: body.tariffId,
    tariff_version: body.tariffVersion,
    printed_minor: body.amountMinor,
    total_minor: body.totalMinor,
    hub_minor: decided.hubMinor === null ? null : minor(decided.hubMinor),
    difference_minor: minor(decided.differenceMinor),
    status: decided.issued ? 'applied' : 'flagged',
    flag_reason: decided.reason ?? null,
  });
  if (decided.issued) issueSpotBill(batch, fact, account, decided, changeSeq);
  return decision(decided.reason);
}

function issueSpotBill(
  batch: Batch,
  fact: FactOf<'spot-bill'>,
  account: AccountState,
  decided: ReturnType<typeof decideSpotBill>,
  changeSeq: number,
): void {
  const body = fact.body;
  const accountId = account.row.id;
  const waiting = batch.state.carried.get(accountId) ?? new Map<string, number>();
  for (const id of decided.carriedBilled) {
    waiting.delete(id);
    batch.writes.carriedBilled.set(id, fact.id);
  }
  for (const index of decided.carriedMismatched) {
    const item = body.carried[index];
    if (!item) continue;
    batch.writes.carried.push({
      id: `${fact.id}/${index}`,
      account_id: accountId,
      source_fact_id: fact.id,
      amount_minor: minor(-item.amountMinor),
      reason: 'carried-mismatch',
      billed_by: null,
    });
    waiting.set(`${fact.id}/${index}`, -item.amountMinor);
  }
  const issuedOn = fact.recordedAt.slice(0, 10);
  const bill = {
    id: fact.id,
    period: body.period,
    issuedOn,
    dueOn: addDays(issuedOn, SPOT_BILL_DUE_DAYS),
    kwh: body.kwh,
    amountMinor: body.totalMinor,
    paidMinor: minor(0),
  };
  batch.writes.bills.push({
    id: bill.id,
    account_id: accountId,
    period_from: body.period.from,
    period_to: body.period.to,
    issued_on: bill.issuedOn,
    due_on: bill.dueOn,
    kwh: bill.kwh,
    amount_minor: bill.amountMinor,
    paid_minor: bill.paidMinor,
  });
  holdBill(batch.state, accountId, bill, 0);
  if (decided.differenceMinor !== 0) {
    batch.writes.carried.push({
      id: fact.id,
      account_id: accountId,
      source_fact_id: fact.id,
      amount_minor: minor(decided.differenceMinor),
      reason: decided.reason ?? 'bill-differs',
      billed_by: null,
    });
    waiting.set(fact.id, decided.differenceMinor);
  }
  batch.state.carried.set(accountId, waiting);
  batch.moveBalance(account, fact.id, body.totalMinor, changeSeq);
}
