/**
 * Projections of money: a cash payment pays the oldest open bills; a void reverses a payment
 * by compensating rows, never by editing or deleting it, and a void that arrived before its
 * payment is decided when the payment arrives. Rules: shared/conflicts.ts.
 */
import { allocatePayment } from '../../shared/billing.ts';
import {
  duplicateOf,
  releaseOrder,
  voidDecision,
  type PaymentState,
} from '../../shared/conflicts.ts';
import type { FactOf } from '../../shared/facts.ts';
import { MAX_ABS_MINOR } from '../../shared/money.ts';
import { cashPaymentFlag } from '../../shared/payments.ts';
import { flagsThatStillApply, type FlagReason } from '../../shared/protocol.ts';
import { openBillsOf } from '../store/bills.ts';
import { nextCounter } from '../store/store.ts';
import {
  ACCEPTED,
  flag,
  moveBalance,
  paymentRow,
  type AccountRow,
  type Context,
  type Decision,
  type Trx,
} from './projection.ts';

// --- payments -------------------------------------------------------------------------------

/** What is wrong with a payment, if anything; the first rule broken names the flag. */
function paymentFlag(
  fact: FactOf<'payment'>,
  account: AccountRow | undefined,
): FlagReason | undefined {
  if (!account) return 'account-not-found';
  if (account.currency !== fact.body.currency) return 'currency-mismatch';
  if (Math.abs(Number(account.balance_minor) - fact.body.amountMinor) > MAX_ABS_MINOR)
    return 'balance-out-of-range';
  return cashPaymentFlag(fact.body);
}

/** 'possible-duplicate' when a payment the hub holds looks like this one taken twice. */
async function duplicateFlag(trx: Trx, fact: FactOf<'payment'>): Promise<FlagReason | undefined> {
  const held = await trx
    .selectFrom('payments')
    .select(['fact_id', 'account_id', 'amount_minor', 'hlc'])
    .where('account_id', '=', fact.body.accountId)
    .where('fact_id', '!=', fact.id)
    .where('voided_by', 'is', null)
    .orderBy('received_at', 'desc')
    .limit(50)
    .execute();
  const seen = held.map((row) => ({
    factId: row.fact_id,
    accountId: row.account_id,
    amountMinor: Number(row.amount_minor),
    hlc: row.hlc,
  }));
  const arriving = {
    factId: fact.id,
    accountId: fact.body.accountId,
    amountMinor: fact.body.amountMinor,
    hlc: fact.hlc,
  };
  return duplicateOf(arriving, seen) ? 'possible-duplicate' : undefined;
}

/**
 * A cash payment pays the account's oldest open bills and lowers the balance. One that breaks a
 * rule is recorded for the supervisor with its reason; it still counts only under the flags in
 * `flagsThatStillApply`. Voids that arrived before it are applied now, oldest stamp first.
 */
export async function projectPayment(context: Context, fact: FactOf<'payment'>): Promise<Decision> {
  const { trx, account, receivedAt } = context;
  const body = fact.body;
  const reason =
    paymentFlag(fact, account) ?? (account ? await duplicateFlag(trx, fact) : undefined);
  await trx
    .insertInto('payments')
    .values(paymentRow(fact, receivedAt.toISOString(), reason))
    .execute();
  const applied =
    account !== undefined && (reason === undefined || flagsThatStillApply.has(reason));
  if (applied && account) {
    const allocation = allocatePayment(await openBillsOf(trx, account.id), body.amountMinor);
    for (const part of allocation.allocations) {
      await trx
        .updateTable('bills')
        .set((eb) => ({ paid_minor: eb('paid_minor', '+', part.amountMinor) }))
        .where('id', '=', part.billId)
        .execute();
      await trx
        .insertInto('allocations')
        .values({ payment_fact_id: fact.id, bill_id: part.billId, amount_minor: part.amountMinor })
        .execute();
    }
    moveBalance(context, fact.id, -body.amountMinor);
  }
  await releaseHeldVoids(context, fact.id);
  return reason === undefined ? ACCEPTED : flag(reason);
}

// --- voids ----------------------------------------------------------------------------------

async function paymentState(trx: Trx, paymentId: string): Promise<PaymentState | undefined> {
  const row = await trx
    .selectFrom('payments')
    .select(['fact_id', 'account_id', 'amount_minor', 'status', 'flag_reason', 'voided_by'])
    .where('fact_id', '=', paymentId)
    .executeTakeFirst();
  if (!row) return undefined;
  const accountKnown = row.flag_reason !== 'account-not-found';
  return {
    factId: row.fact_id,
    accountId: row.account_id,
    amountMinor: Number(row.amount_minor),
    applied:
      accountKnown &&
      (row.status === 'accepted' || flagsThatStillApply.has(row.flag_reason as FlagReason)),
    voidedBy: row.voided_by ?? undefined,
  };
}

/**
 * Applies a void to its payment: the payment stays, marked as voided; what it paid on bills is
 * taken back by reversal rows (never by editing the allocations), and the balance rises again.
 */
async function reversePayment(
  context: Context,
  voidId: string,
  payment: PaymentState,
  reverseMinor: number,
): Promise<void> {
  const { trx } = context;
  await trx
    .updateTable('payments')
    .set({ voided_by: voidId })
    .where('fact_id', '=', payment.factId)
    .execute();
  if (reverseMinor === 0) return;
  const parts = await trx
    .selectFrom('allocations')
    .selectAll()
    .where('payment_fact_id', '=', payment.factId)
    .execute();
  for (const part of parts) {
    await trx
      .updateTable('bills')
      .set((eb) => ({ paid_minor: eb('paid_minor', '-', part.amount_minor) }))
      .where('id', '=', part.bill_id)
      .execute();
    await trx
      .insertInto('reversals')
      .values({ void_fact_id: voidId, bill_id: part.bill_id, amount_minor: part.amount_minor })
      .execute();
  }
  moveBalance(context, voidId, reverseMinor);
}

export async function projectVoid(context: Context, fact: FactOf<'void'>): Promise<Decision> {
  const { trx } = context;
  const payment = await paymentState(trx, fact.body.paymentId);
  const decision = voidDecision({ factId: fact.id, ...fact.body }, payment);
  await trx
    .insertInto('voids')
    .values({
      fact_id: fact.id,
      payment_id: fact.body.paymentId,
      account_id: fact.body.accountId,
      amount_minor: fact.body.amountMinor,
      reason: fact.body.reason,
      hlc: fact.hlc,
      status: decision.kind === 'hold' ? 'held' : decision.kind === 'apply' ? 'applied' : 'flagged',
      flag_reason: decision.kind === 'flag' ? decision.reason : null,
      reversed_minor: decision.kind === 'apply' ? decision.reverseMinor : 0,
    })
    .execute();
  if (decision.kind === 'hold') return { outcome: 'held' };
  if (decision.kind === 'flag') return flag(decision.reason);
  if (payment) await reversePayment(context, fact.id, payment, decision.reverseMinor);
  return ACCEPTED;
}

/**
 * Voids that arrived before their payment, decided now that it is here. Each void's fact takes
 * this change's number (or, when it names another account, that account's new one) and its
 * final outcome, so its device's next pull acknowledges it again.
 */
async function releaseHeldVoids(context: Context, paymentId: string): Promise<void> {
  const { trx, changeSeq } = context;
  const held = await trx
    .selectFrom('voids')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .where('status', '=', 'held')
    .execute();
  for (const row of releaseOrder(held.map((v) => ({ ...v, factId: v.fact_id })))) {
    const payment = await paymentState(trx, paymentId);
    const decision = voidDecision(
      {
        factId: row.fact_id,
        accountId: row.account_id,
        paymentId,
        amountMinor: Number(row.amount_minor),
      },
      payment,
    );
    if (decision.kind === 'hold' || !payment) continue;
    if (decision.kind === 'apply')
      await reversePayment(context, row.fact_id, payment, decision.reverseMinor);
    // A void naming another account than the payment's is acknowledged at a change of the
    // account it names: its device counts the void until a snapshot of that account reaches the
    // ack. Account change numbers are unique, so that account takes a number of its own.
    let releasedAt = changeSeq;
    if (row.account_id !== payment.accountId) {
      releasedAt = await nextCounter(trx, 'change');
      await trx
        .updateTable('accounts')
        .set({ change_seq: releasedAt })
        .where('id', '=', row.account_id)
        .execute();
    }
    await trx
      .updateTable('voids')
      .set({
        status: decision.kind === 'apply' ? 'applied' : 'flagged',
        flag_reason: decision.kind === 'flag' ? decision.reason : null,
        reversed_minor: decision.kind === 'apply' ? decision.reverseMinor : 0,
      })
      .where('fact_id', '=', row.fact_id)
      .execute();
    await trx
      .updateTable('facts')
      .set({
        outcome: decision.kind === 'apply' ? 'accepted' : 'flagged',
        flag_reason: decision.kind === 'flag' ? decision.reason : null,
        change_seq: releasedAt,
      })
      .where('id', '=', row.fact_id)
      .execute();
  }
}
