/**
 * What must hold once the world is quiet, checked against the independent model:
 *
 * - every recorded fact (payment, void, contact edit) is stored on the hub exactly once, with
 *   the device's content, and nothing else is stored; a wiped device's facts are there too,
 *   delivered by the supervisor's upload of its export;
 * - every fact has the outcome and reason the model's replay gives it; no void is left held;
 * - the hub's ledger holds each recorded payment once and sums to what the devices recorded;
 *   each payment is voided by the void the model says, or by none; the applied payments not
 *   voided sum to the model's; no unapplied payment was allocated to a bill; each account's
 *   balance, bills, allocations less reversals, and contact fields are the model's;
 * - each device identity's chain on the hub is seq 1..n without a gap, linked, and ends at
 *   the head of the device (or, for an identity whose storage was wiped, at the last fact
 *   it recorded); no push was refused as a conflict;
 * - every device's view (its facts' acknowledgements and outcomes, its snapshots, and
 *   `accountView`'s balance, open bills and contact fields) is the hub's (devices-view.ts).
 *
 * The hub is read once, into a snapshot; the model replays the facts in the hub's arrival
 * order (replay.ts); every check compares the snapshot, the model and the devices.
 */
import type { Selectable } from 'kysely';
import type { Database } from '../../hub/store/schema.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { checkDeviceView } from './devices-view.ts';
import type { SimDevice } from './devices.ts';
import type { SimHub } from './hub.ts';
import type { Model } from './model.ts';
import type { Settlement } from './replay.ts';

export interface CheckStats {
  /** Facts acknowledged to a device only by a pull, so the device never learnt their outcome. */
  outcomeUnknownOnDevice: number;
  /** Which facts those were, with the outcome the device never heard. */
  notes: string[];
  flagged: number;
  facts: number;
  /** How often the model saw each case it tracks (held voids, concurrent edits, …). */
  coverage: Record<string, number>;
}

/** A device identity: the one a device runs with now, or one its storage wipe left behind. */
export interface Identity {
  readonly deviceId: string;
  readonly label: string;
  /** The device running with this identity; undefined once its storage was wiped. */
  readonly device: SimDevice | undefined;
}

export interface HubSnapshot {
  readonly facts: Selectable<Database['facts']>[];
  readonly payments: Selectable<Database['payments']>[];
  readonly voids: Selectable<Database['voids']>[];
  readonly accounts: Selectable<Database['accounts']>[];
  readonly bills: Map<string, Selectable<Database['bills']>>;
  readonly allocations: { account_id: string; amount_minor: number; payment_fact_id: string }[];
  readonly reversals: { account_id: string; amount_minor: number; void_fact_id: string }[];
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
    voids: await db.selectFrom('voids').selectAll().execute(),
    accounts: await db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    bills: new Map(bills.map((bill) => [bill.id, bill])),
    allocations: await db
      .selectFrom('allocations')
      .innerJoin('bills', 'bills.id', 'allocations.bill_id')
      .select(['bills.account_id', 'allocations.amount_minor', 'allocations.payment_fact_id'])
      .execute(),
    reversals: await db
      .selectFrom('reversals')
      .innerJoin('bills', 'bills.id', 'reversals.bill_id')
      .select(['bills.account_id', 'reversals.amount_minor', 'reversals.void_fact_id'])
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
  identities: readonly Identity[],
  model: Model,
): Promise<{ failures: string[]; stats: CheckStats }> {
  const state = await snapshot(hub);
  const settled = model.settle(
    state.facts.map((row) => ({
      id: row.id,
      changeSeq: Number(row.change_seq),
      receivedAtMs: Date.parse(row.received_at),
    })),
  );
  const failures: string[] = [];
  const stats: CheckStats = {
    outcomeUnknownOnDevice: 0,
    notes: [],
    flagged: state.facts.filter((row) => row.outcome !== 'accepted').length,
    facts: state.facts.length,
    coverage: { ...settled.coverage },
  };
  checkFacts(state, model, settled, failures);
  checkLedger(state, model, settled, failures);
  checkVoids(state, settled, failures);
  checkAccounts(state, model, settled, failures);
  for (const identity of identities) {
    await checkChain(state, identity, model, failures);
    if (identity.device)
      await checkDeviceView(state, identity.device, model, settled, failures, stats);
  }
  return { failures, stats };
}

function checkFacts(
  state: HubSnapshot,
  model: Model,
  settled: Settlement,
  failures: string[],
): void {
  const byId = new Map(state.facts.map((row) => [row.id, row]));
  const recorded = new Set(model.facts.map((fact) => fact.factId));
  if (recorded.size !== model.facts.length) failures.push('the model holds one fact id twice');
  if (byId.size !== state.facts.length) failures.push('the hub holds one fact id twice');
  for (const row of state.facts) {
    if (!recorded.has(row.id)) failures.push(`hub holds fact ${row.id} that no device recorded`);
  }
  for (const fact of model.facts) {
    const row = byId.get(fact.factId);
    const name = `${fact.kind} ${fact.factId} (${fact.device} seq ${fact.seq})`;
    if (!row) {
      failures.push(`${name} never reached the hub`);
      continue;
    }
    if (
      row.device_id !== fact.deviceId ||
      row.seq !== fact.seq ||
      row.hash !== fact.hash ||
      row.kind !== fact.kind
    )
      failures.push(`${name} is stored with other content (seq ${row.seq}, hash ${row.hash})`);
    const expected = settled.outcomes.get(fact.factId);
    const outcome = expected?.outcome ?? 'missing';
    const reason = expected && 'reason' in expected ? expected.reason : null;
    if (outcome === 'held')
      failures.push(`${name}: the model has it held, its payment never reached the hub`);
    if (row.outcome !== outcome || row.flag_reason !== reason)
      failures.push(
        `${name} is ${row.outcome} ${row.flag_reason ?? ''} on the hub; the model says ${outcome} ${reason ?? ''}`,
      );
  }
  for (const conflict of state.conflicts)
    failures.push(`hub refused a push as a fact conflict: ${conflict.detail.slice(0, 200)}`);
}

function checkLedger(
  state: HubSnapshot,
  model: Model,
  settled: Settlement,
  failures: string[],
): void {
  const facts = new Map(state.facts.map((row) => [row.id, row]));
  const recorded = new Map(model.payments.map((payment) => [payment.factId, payment]));
  let total = 0;
  let standing = 0;
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
    const voidedBy = settled.voidedBy.get(row.fact_id) ?? null;
    if (row.voided_by !== voidedBy)
      failures.push(
        `payment ${row.fact_id} is voided by ${row.voided_by ?? 'nothing'} in the ledger; the model says ${voidedBy ?? 'nothing'}`,
      );
    if (row.voided_by === null && settled.applied.has(row.fact_id))
      standing += Number(row.amount_minor);
  }
  if (new Set(state.payments.map((row) => row.fact_id)).size !== state.payments.length)
    failures.push('the ledger holds one payment twice');
  if (state.payments.length !== model.payments.length)
    failures.push(
      `the ledger holds ${state.payments.length} payments; devices recorded ${model.payments.length}`,
    );
  if (total !== model.ledgerTotal())
    failures.push(`the ledger totals ${total}; devices recorded ${model.ledgerTotal()}`);
  const expectedStanding = model.payments
    .filter((p) => settled.applied.has(p.factId) && !settled.voidedBy.has(p.factId))
    .reduce((sum, p) => sum + p.amountMinor, 0);
  if (standing !== expectedStanding)
    failures.push(
      `applied payments not voided total ${standing} in the ledger; the model says ${expectedStanding}`,
    );
  for (const row of state.allocations) {
    if (recorded.has(row.payment_fact_id) && !settled.applied.has(row.payment_fact_id))
      failures.push(
        `payment ${row.payment_fact_id}, which does not count, was allocated to a bill`,
      );
  }
}

function checkVoids(state: HubSnapshot, settled: Settlement, failures: string[]): void {
  const facts = new Map(state.facts.map((row) => [row.id, row]));
  for (const row of state.voids) {
    const fact = facts.get(row.fact_id);
    const expected = settled.outcomes.get(row.fact_id);
    if (row.status === 'held')
      failures.push(`void ${row.fact_id} of ${row.payment_id} is still held after quiescence`);
    const status = expected?.outcome === 'accepted' ? 'applied' : expected?.outcome;
    const reason = expected && 'reason' in expected ? expected.reason : null;
    if (row.status !== status || row.flag_reason !== reason)
      failures.push(
        `void ${row.fact_id} is ${row.status} ${row.flag_reason ?? ''} in the voids table; the model says ${status ?? 'nothing'} ${reason ?? ''}`,
      );
    if (fact && (fact.outcome === 'accepted') !== (row.status === 'applied'))
      failures.push(`void ${row.fact_id} is ${row.status} but its fact is ${fact.outcome}`);
    const reversed = settled.reversedMinor.get(row.fact_id) ?? 0;
    if (Number(row.reversed_minor) !== reversed)
      failures.push(
        `void ${row.fact_id} gave back ${row.reversed_minor}; the model says ${reversed}`,
      );
  }
  for (const row of state.reversals) {
    if (!settled.reversedMinor.get(row.void_fact_id))
      failures.push(`void ${row.void_fact_id} reversed a bill, but the model reverses nothing`);
  }
  const applied = state.voids.filter((row) => row.status === 'applied');
  if (new Set(applied.map((row) => row.payment_id)).size !== applied.length)
    failures.push('the hub applied two voids to one payment');
  // What a void takes back from the bills is exactly what its payment paid on them.
  const sum = (rows: { amount_minor: number }[]) =>
    rows.reduce((total, row) => total + Number(row.amount_minor), 0);
  for (const row of applied) {
    const paid = sum(state.allocations.filter((a) => a.payment_fact_id === row.payment_id));
    const taken = sum(state.reversals.filter((r) => r.void_fact_id === row.fact_id));
    if (Number(row.reversed_minor) > 0 && paid !== taken)
      failures.push(`void ${row.fact_id} took ${taken} back from bills its payment paid ${paid}`);
  }
}

function checkAccounts(
  state: HubSnapshot,
  model: Model,
  settled: Settlement,
  failures: string[],
): void {
  for (const account of state.accounts) {
    const expected = settled.balances.get(account.id);
    if (Number(account.balance_minor) !== expected)
      failures.push(
        `hub balance of ${account.id} is ${account.balance_minor}; the model says ${expected}`,
      );
    for (const bill of settled.bills.get(account.id) ?? []) {
      const paid = Number(state.bills.get(bill.id)?.paid_minor);
      if (paid !== bill.paidMinor)
        failures.push(
          `bill ${bill.id} has ${paid} paid on the hub; the model says ${bill.paidMinor}`,
        );
    }
    const allocated =
      state.allocations
        .filter((row) => row.account_id === account.id)
        .reduce((sum, row) => sum + Number(row.amount_minor), 0) -
      state.reversals
        .filter((row) => row.account_id === account.id)
        .reduce((sum, row) => sum + Number(row.amount_minor), 0);
    const allocatedExpected = settled.allocatedMinor.get(account.id);
    if (allocated !== allocatedExpected)
      failures.push(
        `allocations less reversals on ${account.id} total ${allocated}; the model says ${allocatedExpected}`,
      );
    const contact = settled.contacts.get(account.id);
    const shown = { name: account.name, phone: account.phone, address: account.address };
    if (JSON.stringify(shown) !== JSON.stringify(contact))
      failures.push(
        `hub contact of ${account.id} is ${JSON.stringify(shown)}; the model says ${JSON.stringify(contact)}`,
      );
    if (!model.knows(account.id)) failures.push(`hub holds account ${account.id} the model lacks`);
  }
}

async function checkChain(
  state: HubSnapshot,
  identity: Identity,
  model: Model,
  failures: string[],
): Promise<void> {
  const name = identity.device
    ? identity.label
    : `${identity.label}'s wiped identity ${identity.deviceId}`;
  const row = state.devices.get(identity.deviceId);
  const recorded = model.byDevice(identity.deviceId);
  if (!row) {
    failures.push(`${name} is unknown to the hub`);
    return;
  }
  const head = identity.device
    ? await identity.device.deviceRecord()
    : { headSeq: recorded.length, headHash: recorded.at(-1)?.hash ?? GENESIS_HASH };
  if (Number(row.head_seq) !== head.headSeq || row.head_hash !== head.headHash)
    failures.push(`${name}: hub head is ${row.head_seq}, device head is ${head.headSeq}`);
  if (head.headSeq !== recorded.length)
    failures.push(`${name}: device head is ${head.headSeq}, it recorded ${recorded.length}`);
  const facts = state.facts.filter((fact) => fact.device_id === identity.deviceId);
  let previous: string = GENESIS_HASH;
  facts.forEach((fact, index) => {
    if (fact.seq !== index + 1)
      failures.push(`${name}: chain on the hub has seq ${fact.seq} at place ${index + 1}`);
    if (fact.prev_hash !== previous)
      failures.push(`${name}: fact ${fact.seq} on the hub does not link to the one before`);
    previous = fact.hash;
  });
}
