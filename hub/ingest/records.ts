/**
 * What an agent records besides money, at the hub: contact corrections (every value kept, the
 * field shows the winner), meter readings (every reading kept, the odd one flagged) and bills
 * printed at the door (issued as printed unless the hub cannot stand behind them, recomputed,
 * the difference carried). Decided by shared/conflicts.ts and shared/rules/.
 */
import { concurrentEdits, contactWinner } from '../../shared/conflicts.ts';
import type { FactOf } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import { budgetFlag, budgetStamp, budgetSupersedes } from '../../shared/rules/budget.ts';
import { creditRequestFlag } from '../../shared/rules/request.ts';
import { DEFAULT_HANDOVER_TOLERANCE_MINOR, handoverFlag } from '../../shared/rules/handover.ts';
import { decideReading, newMeterCeiling } from '../../shared/rules/reading.ts';
import { decideSpotBill } from '../../shared/rules/spot-bill.ts';
import { decision, type Batch, type Decision } from './batch.ts';
import { billedPeriodsOf, contactKey, holdBill, type AccountState } from './state.ts';

// --- credit requests ------------------------------------------------------------------------

/**
 * A refund or transfer request waits (`held`) for a supervisor when it asks for credit the
 * account has free (shared/rules/request.ts), and reserves it; otherwise it is flagged. It
 * moves no money either way.
 */
export function applyCreditRequest(
  batch: Batch,
  fact: FactOf<'refund-request'> | FactOf<'transfer-request'>,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const account = batch.account(body.accountId);
  const target =
    fact.kind === 'transfer-request'
      ? batch.state.byNumber.get(fact.body.toAccountNumber)
      : undefined;
  const requested = batch.state.requested.get(body.accountId) ?? 0;
  const flag = creditRequestFlag(fact, {
    provenance,
    account: account && { currency: account.row.currency, balanceMinor: account.balanceMinor },
    requestedMinor: requested,
    target,
  });
  batch.writes.creditRequests.push({
    fact_id: fact.id,
    kind: fact.kind,
    account_id: body.accountId,
    to_account_id: target?.id ?? null,
    currency: body.currency,
    amount_minor: body.amountMinor,
    status: flag === undefined ? 'pending' : 'flagged',
  });
  if (flag !== undefined) return decision(flag);
  batch.state.requested.set(body.accountId, requested + body.amountMinor);
  return { outcome: 'held', reason: undefined };
}

// --- handovers -----------------------------------------------------------------------------

/**
 * A handover waits (`held`) for a supervisor to confirm it when its count adds up, it follows
 * the device's last one, the cash it expected is what the hub finds the device's facts took,
 * and a difference beyond the tolerance has a reason (shared/rules/handover.ts); otherwise it
 * is flagged. Kept either way.
 */
export function applyHandover(
  batch: Batch,
  fact: FactOf<'handover'>,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const expected = batch.state.handoverCash.get(fact.id) ?? 0;
  const flag = handoverFlag(fact, {
    provenance,
    expectedCashMinor: expected,
    toleranceMinor: DEFAULT_HANDOVER_TOLERANCE_MINOR,
    previousThroughSeq: batch.state.handoverThrough.value,
  });
  batch.writes.handovers.push({
    fact_id: fact.id,
    device_id: fact.deviceId,
    agent_id: fact.agentId,
    from_seq: body.fromSeq,
    through_seq: body.throughSeq,
    currency: body.currency,
    expected_minor: minor(expected),
    counted_minor: body.countedMinor,
    status: flag === undefined ? 'pending' : 'flagged',
  });
  batch.state.handoverThrough.value = Math.max(batch.state.handoverThrough.value, body.throughSeq);
  if (flag !== undefined) return decision(flag);
  return { outcome: 'held', reason: undefined };
}

// --- budgets --------------------------------------------------------------------------------

/** A budget setting takes effect unless one stamped later already did (shared/rules/budget.ts). */
export function applyBudget(
  batch: Batch,
  fact: FactOf<'budget'>,
  provenance: FlagReason | undefined,
): Decision {
  const account = batch.account(fact.body.accountId);
  const flag = budgetFlag(fact, {
    provenance,
    account: account && { currency: account.row.currency },
  });
  if (flag !== undefined || !account) return decision(flag);
  const current = account.budget?.hlc ?? account.row.budget_hlc;
  const stamp = budgetStamp(fact.hlc, batch.arrival.receivedAt.getTime());
  if (budgetSupersedes(stamp, current))
    account.budget = { minor: fact.body.monthlyMinor, hlc: stamp };
  return decision(undefined);
}

// --- contact edits --------------------------------------------------------------------------

/**
 * A contact edit is kept whatever happens; the field shows the winner of all the field's edits
 * by the rule in shared/conflicts.ts. An edit made without seeing a disagreeing one is flagged.
 */
export function applyContact(
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

export function applyReading(
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
    newMeterMaxKwhPerDay: newMeterCeiling(
      account ? batch.state.tariffs.get(account.row.tariff_id)?.at(-1) : undefined,
    ),
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

/** Days a bill printed at the door gives the customer to pay. */
export const SPOT_BILL_DUE_DAYS = 14;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A bill printed at the door is issued as printed unless the hub cannot stand behind it
 * (shared/rules/spot-bill.ts); a difference from the hub's own amount is carried to the next
 * bill, and carried differences it billed stop waiting.
 */
export function applySpotBill(
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
