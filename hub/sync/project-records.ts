/**
 * Projections of what an agent records besides money: contact corrections (every value kept,
 * the field shows the winner), meter readings (every reading kept, the odd one flagged) and
 * bills printed at the door (issued as printed, recomputed, the difference carried). Rules:
 * shared/conflicts.ts.
 */
import type { Selectable } from 'kysely';
import {
  concurrentEdits,
  contactWinner,
  readingFlag,
  spotBillCheck,
  type ContactEdit,
} from '../../shared/conflicts.ts';
import type { FactOf } from '../../shared/facts.ts';
import { MAX_ABS_MINOR } from '../../shared/money.ts';
import { flagsThatStillApply, type FlagReason } from '../../shared/protocol.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import type { Database } from '../store/schema.ts';
import {
  ACCEPTED,
  flag,
  moveBalance,
  type Context,
  type Decision,
  type Trx,
} from './projection.ts';

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
export async function projectContact(context: Context, fact: FactOf<'contact'>): Promise<Decision> {
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
    // A snapshot the device had cannot be later than this edit's own change: a larger number
    // (a bad device, or a hub restored from an older backup) would win every later edit.
    base_change_seq: Math.min(fact.body.baseChangeSeq, changeSeq - 1),
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

export async function projectReading(context: Context, fact: FactOf<'reading'>): Promise<Decision> {
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

/**
 * The tariff's versions as this store holds them, parsed on every call: a cache kept outside
 * the store (by tariff id and version) would hand one store's version to another in the same
 * process, where the same version number can mean other rates.
 */
async function tariffVersions(trx: Trx, tariffId: string): Promise<Tariff[]> {
  const rows = await trx
    .selectFrom('tariff_versions')
    .select(['document'])
    .where('tariff_id', '=', tariffId)
    .orderBy('version')
    .execute();
  const versions: Tariff[] = [];
  for (const row of rows) {
    const parsed = parseTariff(JSON.parse(row.document) as unknown);
    if (parsed.ok) versions.push(parsed.value);
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
export async function projectSpotBill(
  context: Context,
  fact: FactOf<'spot-bill'>,
): Promise<Decision> {
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
  // Monthly bills end on their reading day (issued_on): one issued after this period began
  // already billed some of its days.
  const monthly = await trx
    .selectFrom('bills')
    .select('id')
    .where('account_id', '=', account.id)
    .where('period', 'not like', '%/%')
    .where('issued_on', '>', body.period.from)
    .executeTakeFirst();
  if (monthly) return refuse('period-already-billed');
  if (Math.abs(Number(account.balance_minor) + body.totalMinor) > MAX_ABS_MINOR)
    return refuse('balance-out-of-range');

  // Recomputed with the account's tariff, whatever tariff the device named; a device that
  // used another tariff cannot have used a stale version of this one.
  const versions = await tariffVersions(trx, account.tariff_id);
  const inEffect = versions.filter((v) => v.effectiveFrom < body.period.to);
  const computed = inEffect.some((v) => v.effectiveFrom <= body.period.from)
    ? computeBill(inEffect, { period: body.period, kwh: body.kwh })
    : undefined;
  const hub =
    computed?.ok === true
      ? {
          amountMinor: computed.value.totalMinor,
          latestVersion: Math.max(...inEffect.map((v) => v.version)),
        }
      : undefined;
  const printed =
    body.tariffId === account.tariff_id
      ? body
      : { amountMinor: body.amountMinor, tariffVersion: Number.MAX_SAFE_INTEGER };
  const check = spotBillCheck(printed, hub);
  // A bill the hub cannot recompute is not among the flags that still apply: it is stored for
  // a supervisor and issues nothing, like any other bill the hub cannot stand behind.
  if (check.flag !== undefined && !flagsThatStillApply.has(check.flag)) return refuse(check.flag);
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
  moveBalance(context, fact.id, body.totalMinor);
  return reason === undefined ? ACCEPTED : flag(reason);
}
