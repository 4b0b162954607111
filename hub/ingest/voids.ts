/**
 * Voids at the hub: which payment a void names (by id, or by the receipt number printed), and
 * what the rule in shared/rules/void.ts decides: held until the payment arrives, applied (the
 * payment stays, marked voided; what it paid is taken back by reversal rows), or flagged.
 * Voids held for a payment are decided when it arrives, in the order of their stamps.
 */
import { releaseOrder } from '../../shared/conflicts.ts';
import type { FactOf } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import { decideVoid, voidTarget, type VoidTarget } from '../../shared/rules/void.ts';
import { decision, type Batch, type Decision } from './batch.ts';
import type { Writes } from './rows.ts';
import type { PaymentRecord, VoidRow } from './state.ts';

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

export function applyVoid(
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
export function releaseHeldVoids(batch: Batch, payment: PaymentRecord, changeSeq: number): void {
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
