/**
 * Applying a fact the hub has just verified: store it, decide by the conflict rules in
 * shared/, and project its effect on the account, all inside the push's transaction. Every
 * fact on a known account gives the account its change number, so the device's next pull of
 * that account reaches the fact's acknowledgement.
 */
import type { Selectable, Transaction } from 'kysely';
import { allocatePayment } from '../../shared/billing.ts';
import {
  concurrentEdits,
  contactWinner,
  duplicateOf,
  readingFlag,
  releaseOrder,
  spotBillCheck,
  voidDecision,
  type ContactEdit,
  type PaymentState,
} from '../../shared/conflicts.ts';
import type { ContactField, Fact, FactOf } from '../../shared/facts.ts';
import { canonicalJson } from '../../shared/hash.ts';
import { MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { cashPaymentFlag } from '../../shared/payments.ts';
import {
  flagsThatStillApply,
  type FactOutcome,
  type FactOutcomeKind,
  type FlagReason,
} from '../../shared/protocol.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import { openBillsOf } from '../store/bills.ts';
import type { Database } from '../store/schema.ts';
import { nextCounter } from '../store/store.ts';

type Trx = Transaction<Database>;
type AccountRow = Selectable<Database['accounts']>;

interface Decision {
  readonly outcome: FactOutcomeKind;
  readonly reason?: FlagReason | undefined;
}

const ACCEPTED: Decision = { outcome: 'accepted' };

function flag(reason: FlagReason): Decision {
  return { outcome: reason === 'possible-duplicate' ? 'duplicate' : 'flagged', reason };
}

/** What a fact does to its account, gathered so the account row is written once. */
interface Effect {
  balanceDeltaMinor: number;
  fields: Partial<Record<ContactField, string>>;
}

interface Context {
  readonly trx: Trx;
  readonly changeSeq: number;
  readonly receivedAt: Date;
  readonly account: AccountRow | undefined;
  readonly effect: Effect;
}

export function outcomeOf(row: {
  id: string;
  seq: number;
  outcome: FactOutcomeKind;
  flag_reason: string | null;
  change_seq: number;
}): FactOutcome {
  const outcome: FactOutcome = {
    id: row.id,
    seq: row.seq,
    outcome: row.outcome,
    changeSeq: Number(row.change_seq),
  };
  if (row.flag_reason !== null) outcome.reason = row.flag_reason as FlagReason;
  return outcome;
}

export async function applyFact(trx: Trx, fact: Fact, receivedAt: Date): Promise<FactOutcome> {
  const changeSeq = await nextCounter(trx, 'change');
  const account = await trx
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', fact.body.accountId)
    .executeTakeFirst();
  await trx
    .insertInto('facts')
    .values({
      id: fact.id,
      seq: fact.seq,
      outcome: 'accepted',
      flag_reason: null,
      change_seq: changeSeq,
      device_id: fact.deviceId,
      kind: fact.kind,
      hash: fact.hash,
      prev_hash: fact.prevHash,
      hlc: fact.hlc,
      agent_id: fact.agentId,
      recorded_at: fact.recordedAt,
      document: canonicalJson(fact),
      received_at: receivedAt.toISOString(),
    })
    .execute();
  const context: Context = {
    trx,
    changeSeq,
    receivedAt,
    account,
    effect: { balanceDeltaMinor: 0, fields: {} },
  };
  const decision = await project(context, fact);
  if (decision.outcome !== 'accepted') {
    await trx
      .updateTable('facts')
      .set({ outcome: decision.outcome, flag_reason: decision.reason ?? null })
      .where('id', '=', fact.id)
      .execute();
  }
  if (account) {
    // Not applied or not about money, the account still takes this change's number: the
    // device's next snapshot of it then reaches the ack, and the device stops counting the fact.
    await trx
      .updateTable('accounts')
      .set({
        ...context.effect.fields,
        balance_minor: minor(Number(account.balance_minor) + context.effect.balanceDeltaMinor),
        change_seq: changeSeq,
      })
      .where('id', '=', account.id)
      .execute();
  }
  return outcomeOf({
    id: fact.id,
    seq: fact.seq,
    outcome: decision.outcome,
    flag_reason: decision.reason ?? null,
    change_seq: changeSeq,
  });
}

function project(context: Context, fact: Fact): Promise<Decision> {
  switch (fact.kind) {
    case 'payment':
      return projectPayment(context, fact);
    case 'void':
      return projectVoid(context, fact);
    case 'contact':
      return projectContact(context, fact);
    case 'reading':
      return projectReading(context, fact);
    case 'spot-bill':
      return projectSpotBill(context, fact);
  }
}

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
    .innerJoin('facts', 'facts.id', 'payments.fact_id')
    .select(['payments.fact_id', 'payments.account_id', 'payments.amount_minor', 'facts.hlc'])
    .where('payments.account_id', '=', fact.body.accountId)
    .where('payments.fact_id', '!=', fact.id)
    .where('payments.voided_by', 'is', null)
    .orderBy('payments.received_at', 'desc')
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
async function projectPayment(context: Context, fact: FactOf<'payment'>): Promise<Decision> {
  const { trx, account, receivedAt } = context;
  const body = fact.body;
  const reason =
    paymentFlag(fact, account) ?? (account ? await duplicateFlag(trx, fact) : undefined);
  await trx
    .insertInto('payments')
    .values({
      fact_id: fact.id,
      account_id: body.accountId,
      agent_id: fact.agentId,
      currency: body.currency,
      amount_minor: body.amountMinor,
      method: body.method,
      receipt_number: body.receiptNumber,
      taken_at: fact.recordedAt,
      received_at: receivedAt.toISOString(),
      status: reason === undefined ? 'accepted' : 'flagged',
      flag_reason: reason ?? null,
    })
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
    context.effect.balanceDeltaMinor -= body.amountMinor;
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
  context.effect.balanceDeltaMinor += reverseMinor;
}

async function projectVoid(context: Context, fact: FactOf<'void'>): Promise<Decision> {
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
 * this change's number and its final outcome, so its device's next pull acknowledges it again.
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
        change_seq: changeSeq,
      })
      .where('id', '=', row.fact_id)
      .execute();
  }
}

// --- contact edits --------------------------------------------------------------------------

function contactEditOf(row: Selectable<Database['contact_edits']>): ContactEdit {
  return {
    factId: row.fact_id,
    deviceId: row.device_id,
    deviceSeq: row.device_seq,
    field: row.field,
    value: row.value,
    hlc: row.hlc,
    baseChangeSeq: Number(row.base_change_seq),
    changeSeq: Number(row.change_seq),
    receivedAtMs: Date.parse(row.received_at),
  };
}

/**
 * A contact edit is kept whatever happens; the field shows the winner of all the field's edits
 * by the rule in shared/conflicts.ts. An edit made without seeing a disagreeing one is flagged.
 */
async function projectContact(context: Context, fact: FactOf<'contact'>): Promise<Decision> {
  const { trx, account, changeSeq, receivedAt } = context;
  if (!account) return flag('account-not-found');
  const row = {
    fact_id: fact.id,
    account_id: account.id,
    field: fact.body.field,
    value: fact.body.value,
    previous: fact.body.previous,
    device_id: fact.deviceId,
    device_seq: fact.seq,
    hlc: fact.hlc,
    base_change_seq: fact.body.baseChangeSeq,
    change_seq: changeSeq,
    received_at: receivedAt.toISOString(),
    flag_reason: null,
  };
  const held = (
    await trx
      .selectFrom('contact_edits')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('field', '=', fact.body.field)
      .execute()
  ).map(contactEditOf);
  const arriving = contactEditOf(row);
  const reason = concurrentEdits(arriving, held).length > 0 ? 'concurrent-edit' : undefined;
  await trx
    .insertInto('contact_edits')
    .values({ ...row, flag_reason: reason ?? null })
    .execute();
  const winner = contactWinner([...held, arriving]);
  if (winner) context.effect.fields[fact.body.field] = winner.value;
  return reason === undefined ? ACCEPTED : flag(reason);
}

// --- meter readings -------------------------------------------------------------------------

async function projectReading(context: Context, fact: FactOf<'reading'>): Promise<Decision> {
  const { trx, account, changeSeq } = context;
  if (!account) return flag('account-not-found');
  const body = fact.body;
  let reason: FlagReason | undefined;
  let heldToFlag: string[] = [];
  if (body.meterNumber !== account.meter_number) reason = 'meter-mismatch';
  else {
    const others = await trx
      .selectFrom('readings')
      .select(['id', 'register_kwh', 'read_on', 'change_seq', 'status'])
      .where('account_id', '=', account.id)
      .execute();
    const verdict = readingFlag(
      {
        id: fact.id,
        registerKwh: body.registerKwh,
        readOn: body.readOn,
        changeSeq,
        flagged: false,
      },
      others.map((r) => ({
        id: r.id,
        registerKwh: r.register_kwh,
        readOn: r.read_on,
        changeSeq: Number(r.change_seq),
        flagged: r.status === 'flagged',
      })),
    );
    reason = verdict.flag;
    heldToFlag = verdict.heldToFlag;
  }
  await trx
    .insertInto('readings')
    .values({
      id: fact.id,
      account_id: account.id,
      read_on: body.readOn,
      register_kwh: body.registerKwh,
      fact_id: fact.id,
      status: reason === undefined ? 'accepted' : 'flagged',
      flag_reason: reason ?? null,
      change_seq: changeSeq,
    })
    .execute();
  if (heldToFlag.length > 0) {
    await trx
      .updateTable('readings')
      .set({ status: 'flagged', flag_reason: 'competing-reading' })
      .where('id', 'in', heldToFlag)
      .execute();
  }
  return reason === undefined ? ACCEPTED : flag(reason);
}

// --- spot bills -----------------------------------------------------------------------------

const parsedTariffs = new Map<string, Tariff>();

async function tariffVersions(trx: Trx, tariffId: string): Promise<Tariff[]> {
  const rows = await trx
    .selectFrom('tariff_versions')
    .select(['version', 'document'])
    .where('tariff_id', '=', tariffId)
    .orderBy('version')
    .execute();
  const versions: Tariff[] = [];
  for (const row of rows) {
    const key = `${tariffId}@${row.version}`;
    let tariff = parsedTariffs.get(key);
    if (!tariff) {
      const parsed = parseTariff(JSON.parse(row.document) as unknown);
      if (!parsed.ok) continue;
      tariff = parsed.value;
      parsedTariffs.set(key, tariff);
    }
    versions.push(tariff);
  }
  return versions;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Days a bill printed at the door gives the customer to pay. */
export const SPOT_BILL_DUE_DAYS = 14;

/**
 * A bill printed at the door is issued as printed: the customer was told that amount. The hub
 * recomputes it with the tariff it holds; a difference is flagged and carried to the next bill.
 * Carried differences the device billed are marked billed; one the hub does not hold as
 * waiting is flagged and carried back, so no difference is billed twice.
 */
async function projectSpotBill(context: Context, fact: FactOf<'spot-bill'>): Promise<Decision> {
  const { trx, account } = context;
  const body = fact.body;
  if (!account) return flag('account-not-found');
  const row = {
    fact_id: fact.id,
    account_id: account.id,
    period_from: body.period.from,
    period_to: body.period.to,
    tariff_id: body.tariffId,
    tariff_version: body.tariffVersion,
    printed_minor: body.amountMinor,
    total_minor: body.totalMinor,
  };
  const refuse = async (reason: FlagReason): Promise<Decision> => {
    await trx
      .insertInto('spot_bills')
      .values({
        ...row,
        hub_minor: null,
        difference_minor: 0,
        status: 'flagged',
        flag_reason: reason,
      })
      .execute();
    return flag(reason);
  };
  if (body.currency !== account.currency) return refuse('currency-mismatch');
  const carriedSum = body.carried.reduce((sum, item) => sum + item.amountMinor, 0);
  if (body.totalMinor !== body.amountMinor + carriedSum) return refuse('bill-differs');
  const overlapping = await trx
    .selectFrom('spot_bills')
    .select('fact_id')
    .where('account_id', '=', account.id)
    .where('status', '=', 'applied')
    .where('period_from', '<', body.period.to)
    .where('period_to', '>', body.period.from)
    .executeTakeFirst();
  if (overlapping) return refuse('period-already-billed');
  if (Math.abs(Number(account.balance_minor) + body.totalMinor) > MAX_ABS_MINOR)
    return refuse('balance-out-of-range');

  const versions = await tariffVersions(trx, body.tariffId);
  const inEffect = versions.filter((v) => v.effectiveFrom < body.period.to);
  const computed =
    inEffect.length > 0 ? computeBill(inEffect, { period: body.period, kwh: body.kwh }) : undefined;
  const hub =
    computed?.ok === true
      ? {
          amountMinor: computed.value.totalMinor,
          latestVersion: Math.max(...inEffect.map((v) => v.version)),
        }
      : undefined;
  const check = spotBillCheck(body, hub);
  let reason: FlagReason | undefined = check.flag;

  const waiting = new Map(
    (
      await trx
        .selectFrom('carried')
        .select(['id', 'amount_minor'])
        .where('account_id', '=', account.id)
        .where('billed_by', 'is', null)
        .execute()
    ).map((c) => [c.id, Number(c.amount_minor)]),
  );
  for (const [index, item] of body.carried.entries()) {
    if (waiting.get(item.sourceId) === item.amountMinor) {
      waiting.delete(item.sourceId);
      await trx
        .updateTable('carried')
        .set({ billed_by: fact.id })
        .where('id', '=', item.sourceId)
        .execute();
    } else {
      reason ??= 'carried-mismatch';
      await trx
        .insertInto('carried')
        .values({
          id: `${fact.id}/${index}`,
          account_id: account.id,
          source_fact_id: fact.id,
          amount_minor: -item.amountMinor,
          reason: 'carried-mismatch',
          billed_by: null,
        })
        .execute();
    }
  }
  await trx
    .insertInto('spot_bills')
    .values({
      ...row,
      hub_minor: hub?.amountMinor ?? null,
      difference_minor: check.differenceMinor,
      status: 'applied',
      flag_reason: reason ?? null,
    })
    .execute();
  const issuedOn = fact.recordedAt.slice(0, 10);
  await trx
    .insertInto('bills')
    .values({
      id: fact.id,
      account_id: account.id,
      period: `${body.period.from}/${body.period.to}`,
      issued_on: issuedOn,
      due_on: addDays(issuedOn, SPOT_BILL_DUE_DAYS),
      kwh: body.kwh,
      amount_minor: body.totalMinor,
      paid_minor: 0,
    })
    .execute();
  if (check.differenceMinor !== 0) {
    await trx
      .insertInto('carried')
      .values({
        id: fact.id,
        account_id: account.id,
        source_fact_id: fact.id,
        amount_minor: check.differenceMinor,
        reason: check.flag ?? 'bill-differs',
        billed_by: null,
      })
      .execute();
  }
  context.effect.balanceDeltaMinor += body.totalMinor;
  return reason === undefined ? ACCEPTED : flag(reason);
}
