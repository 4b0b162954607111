/**
 * What must hold once the world is quiet, checked against the independent model:
 *
 * - every recorded fact is stored on the hub exactly once, with the device's content, and
 *   nothing else is stored;
 * - the hub's ledger (the payments table) holds each recorded payment once and sums to what
 *   the devices recorded; each account's balance and bills are the model's; allocations match;
 * - each device's chain on the hub is seq 1..n without a gap, linked, and ends at the
 *   device's own head;
 * - every flagged fact is still flagged with the model's reason, in the facts and in the
 *   ledger, was never allocated to a bill, and is never shown to its device as accepted; a
 *   fact the model accepts was not flagged; no push was refused as a conflict;
 * - every device's view (its snapshots, `accountView`'s balance and open bills, its facts'
 *   acknowledgements) is the hub's.
 *
 * The hub is read once, into a snapshot, and every check compares that snapshot, the model
 * and the devices' databases.
 */
import type { Selectable } from 'kysely';
import { accountView } from '../../client/db/accounts.ts';
import type { Database } from '../../hub/store/schema.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import type { SimDevice } from './devices.ts';
import type { SimHub } from './hub.ts';
import type { Model } from './model.ts';

export interface CheckStats {
  /** Facts acknowledged to a device only by a pull, so the device never learnt their outcome. */
  outcomeUnknownOnDevice: number;
  /** Which facts those were, with the outcome the device never heard. */
  notes: string[];
  flagged: number;
  facts: number;
}

interface HubSnapshot {
  readonly facts: Selectable<Database['facts']>[];
  readonly payments: Selectable<Database['payments']>[];
  readonly accounts: Selectable<Database['accounts']>[];
  readonly bills: Map<string, Selectable<Database['bills']>>;
  readonly allocations: { account_id: string; amount_minor: number; payment_fact_id: string }[];
  readonly devices: Map<string, { head_seq: number; head_hash: string }>;
  readonly conflicts: { detail: string }[];
}

async function snapshot(hub: SimHub): Promise<HubSnapshot> {
  const db = hub.store.db;
  const bills = await db.selectFrom('bills').selectAll().execute();
  const devices = await db.selectFrom('devices').select(['id', 'head_seq', 'head_hash']).execute();
  return {
    facts: await db.selectFrom('facts').selectAll().orderBy('device_id').orderBy('seq').execute(),
    payments: await db.selectFrom('payments').selectAll().execute(),
    accounts: await db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    bills: new Map(bills.map((bill) => [bill.id, bill])),
    allocations: await db
      .selectFrom('allocations')
      .innerJoin('bills', 'bills.id', 'allocations.bill_id')
      .select(['bills.account_id', 'allocations.amount_minor', 'allocations.payment_fact_id'])
      .execute(),
    devices: new Map(devices.map((device) => [device.id, device])),
    conflicts: await db
      .selectFrom('audit')
      .select('detail')
      .where('action', '=', 'push-refused-fact-conflict')
      .execute(),
  };
}

export async function checkWorld(
  hub: SimHub,
  devices: readonly SimDevice[],
  model: Model,
): Promise<{ failures: string[]; stats: CheckStats }> {
  const state = await snapshot(hub);
  const failures: string[] = [];
  const stats: CheckStats = {
    outcomeUnknownOnDevice: 0,
    notes: [],
    flagged: state.facts.filter((row) => row.outcome !== 'accepted').length,
    facts: state.facts.length,
  };
  checkFacts(state, model, failures);
  checkLedger(state, model, failures);
  checkAccounts(state, model, failures);
  for (const device of devices) {
    await checkChain(state, device, model, failures);
    await checkDeviceView(state, device, model, failures, stats);
  }
  return { failures, stats };
}

function checkFacts(state: HubSnapshot, model: Model, failures: string[]): void {
  const byId = new Map(state.facts.map((row) => [row.id, row]));
  const arrival = [...state.facts]
    .sort((a, b) => Number(a.change_seq) - Number(b.change_seq))
    .map((row) => row.id);
  const outcomes = model.outcomes(arrival);
  const recorded = new Set(model.payments.map((payment) => payment.factId));
  if (recorded.size !== model.payments.length) failures.push('the model holds one fact id twice');
  for (const row of state.facts) {
    if (!recorded.has(row.id)) failures.push(`hub holds fact ${row.id} that no device recorded`);
  }
  for (const payment of model.payments) {
    const row = byId.get(payment.factId);
    const name = `fact ${payment.factId} (${payment.device} seq ${payment.seq})`;
    if (!row) {
      failures.push(`${name} never reached the hub`);
      continue;
    }
    if (row.device_id !== payment.deviceId || row.seq !== payment.seq || row.hash !== payment.hash)
      failures.push(`${name} is stored with other content (seq ${row.seq}, hash ${row.hash})`);
    const expected = outcomes.get(payment.factId) ?? payment.rule;
    const reason = expected.outcome === 'accepted' ? null : expected.reason;
    if (row.outcome !== expected.outcome || row.flag_reason !== reason)
      failures.push(
        `${name} is ${row.outcome} ${row.flag_reason ?? ''} on the hub; the model says ${expected.outcome} ${reason ?? ''}`,
      );
  }
  for (const conflict of state.conflicts)
    failures.push(`hub refused a push as a fact conflict: ${conflict.detail.slice(0, 200)}`);
}

function checkLedger(state: HubSnapshot, model: Model, failures: string[]): void {
  const facts = new Map(state.facts.map((row) => [row.id, row]));
  const recorded = new Map(model.payments.map((payment) => [payment.factId, payment]));
  let total = 0;
  for (const row of state.payments) {
    total += Number(row.amount_minor);
    const payment = recorded.get(row.fact_id);
    const fact = facts.get(row.fact_id);
    if (!payment) {
      failures.push(`the ledger holds payment ${row.fact_id} that no device recorded`);
      continue;
    }
    if (
      row.account_id !== payment.accountId ||
      Number(row.amount_minor) !== payment.amountMinor ||
      row.currency !== payment.currency
    )
      failures.push(
        `payment ${row.fact_id} is in the ledger as ${row.amount_minor} ${row.currency} on ${row.account_id}`,
      );
    // The ledger has two states: a duplicate is `flagged` there, with its reason.
    const status = fact?.outcome === 'accepted' ? 'accepted' : 'flagged';
    if (fact && (row.status !== status || row.flag_reason !== fact.flag_reason))
      failures.push(
        `payment ${row.fact_id} is ${row.status} in the ledger but ${fact.outcome} as a fact`,
      );
  }
  if (new Set(state.payments.map((row) => row.fact_id)).size !== state.payments.length)
    failures.push('the ledger holds one payment twice');
  if (state.payments.length !== model.payments.length)
    failures.push(
      `the ledger holds ${state.payments.length} payments; devices recorded ${model.payments.length}`,
    );
  if (total !== model.ledgerTotal())
    failures.push(`the ledger totals ${total}; devices recorded ${model.ledgerTotal()}`);
  for (const row of state.allocations) {
    const payment = recorded.get(row.payment_fact_id);
    if (payment && payment.rule.outcome === 'flagged' && !payment.rule.applies)
      failures.push(`flagged payment ${row.payment_fact_id} was allocated to a bill`);
  }
}

function checkAccounts(state: HubSnapshot, model: Model, failures: string[]): void {
  for (const account of state.accounts) {
    const expected = model.expectedBalance(account.id);
    if (Number(account.balance_minor) !== expected)
      failures.push(
        `hub balance of ${account.id} is ${account.balance_minor}; the model says ${expected}`,
      );
    let allocatedExpected = 0;
    const initial = new Map(model.account(account.id).bills.map((bill) => [bill.id, bill]));
    for (const bill of model.expectedBills(account.id)) {
      const paid = Number(state.bills.get(bill.id)?.paid_minor);
      if (paid !== bill.paidMinor)
        failures.push(
          `bill ${bill.id} has ${paid} paid on the hub; the model says ${bill.paidMinor}`,
        );
      allocatedExpected += bill.paidMinor - (initial.get(bill.id)?.paidMinor ?? 0);
    }
    const allocated = state.allocations
      .filter((row) => row.account_id === account.id)
      .reduce((sum, row) => sum + Number(row.amount_minor), 0);
    if (allocated !== allocatedExpected)
      failures.push(
        `allocations to ${account.id} total ${allocated}; the model says ${allocatedExpected}`,
      );
  }
}

async function checkChain(
  state: HubSnapshot,
  device: SimDevice,
  model: Model,
  failures: string[],
): Promise<void> {
  const record = await device.deviceRecord();
  const row = state.devices.get(device.deviceId);
  const recorded = model.byDevice(device.deviceId);
  if (!row) {
    failures.push(`${device.label} is unknown to the hub`);
    return;
  }
  if (Number(row.head_seq) !== record.headSeq || row.head_hash !== record.headHash)
    failures.push(`${device.label}: hub head is ${row.head_seq}, device head is ${record.headSeq}`);
  if (record.headSeq !== recorded.length)
    failures.push(
      `${device.label}: device head is ${record.headSeq}, it recorded ${recorded.length}`,
    );
  const facts = state.facts.filter((fact) => fact.device_id === device.deviceId);
  let previous: string = GENESIS_HASH;
  facts.forEach((fact, index) => {
    if (fact.seq !== index + 1)
      failures.push(`${device.label}: chain on the hub has seq ${fact.seq} at place ${index + 1}`);
    if (fact.prev_hash !== previous)
      failures.push(`${device.label}: fact ${fact.seq} on the hub does not link to the one before`);
    previous = fact.hash;
  });
}

async function checkDeviceView(
  state: HubSnapshot,
  device: SimDevice,
  model: Model,
  failures: string[],
  stats: CheckStats,
): Promise<void> {
  const db = device.db();
  const name = device.label;
  const hubFacts = new Map(
    state.facts.filter((row) => row.device_id === device.deviceId).map((row) => [row.id, row]),
  );
  for (const stored of await db.facts.orderBy('seq').toArray()) {
    const row = hubFacts.get(stored.id);
    if (!row) continue; // reported by checkFacts
    if (stored.status !== 'acked' || stored.ackChangeSeq !== Number(row.change_seq))
      failures.push(
        `${name}: fact ${stored.seq} is ${stored.status} at change ${stored.ackChangeSeq}; the hub stored it at ${row.change_seq}`,
      );
    if (stored.outcome === undefined) {
      stats.outcomeUnknownOnDevice++;
      stats.notes.push(
        `${name} seq ${stored.seq} was acknowledged only by a pull; the hub has it ${row.outcome} ${row.flag_reason ?? ''}`.trimEnd(),
      );
    } else if (stored.outcome !== row.outcome || (stored.reason ?? null) !== row.flag_reason)
      failures.push(
        `${name}: fact ${stored.seq} shows ${stored.outcome} ${stored.reason ?? ''}; the hub has ${row.outcome} ${row.flag_reason ?? ''}`,
      );
  }

  const routeId = device.agent.routeId;
  const route = state.accounts.filter((row) => row.route_id === routeId);
  const expected = model
    .routeAccounts(routeId)
    .map((account) => account.id)
    .sort();
  const held = (await db.accounts.orderBy('id').primaryKeys()).map(String);
  if (held.join() !== expected.join())
    failures.push(`${name} holds accounts ${held.join(' ')}; its route has ${expected.join(' ')}`);
  for (const row of route) {
    const view = await accountView(db, row.id);
    if (!view) continue; // reported above
    const balance = Number(row.balance_minor);
    if (view.account.changeSeq !== Number(row.change_seq) || view.account.balanceMinor !== balance)
      failures.push(
        `${name}: snapshot of ${row.id} is ${view.account.balanceMinor} at change ${view.account.changeSeq}; the hub has ${balance} at ${row.change_seq}`,
      );
    if (view.balanceMinor !== balance)
      failures.push(`${name} shows ${row.id} owing ${view.balanceMinor}; the hub says ${balance}`);
    const shown = view.openBills.map((bill) => `${bill.id}:${bill.paidMinor}`).join(' ');
    const open = model
      .expectedBills(row.id)
      .filter((bill) => bill.paidMinor < bill.amountMinor)
      .map((bill) => `${bill.id}:${bill.paidMinor}`)
      .join(' ');
    if (shown !== open)
      failures.push(
        `${name} shows open bills of ${row.id} as [${shown}]; the model says [${open}]`,
      );
  }
}
