/**
 * Scenes for the hub's in-process tests of fact kinds: agents signed in on their tablets, a push
 * sent twice (a retry must answer the same and change nothing), pulls as a device makes them,
 * dumps of what the hub holds, and a reading with the bill a device prints from it.
 */
import { expect } from 'vitest';
import type { Store } from '../../hub/store/store.ts';
import { flagsResponseSchema, type FlaggedFact } from '../../shared/api.ts';
import type { Fact, FactOf } from '../../shared/facts.ts';
import {
  pullResponseSchema,
  pushResponseSchema,
  type AccountSnapshot,
  type PullResponse,
  type PushResponse,
} from '../../shared/protocol.ts';
import { draftSpotBill } from '../../shared/spot-bill.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import {
  amina,
  baraka,
  DeviceChain,
  openHub,
  pullBody,
  pushBody,
  request,
  signInAgent,
  signInAdmin,
  signInSupervisor,
  TABLET_A,
  TABLET_B,
  type Hub,
} from './harness.ts';

export interface Agent {
  readonly device: string;
  readonly token: string;
  readonly chain: DeviceChain;
}

export interface Scene {
  readonly hub: Hub;
  /** Amina (route Nyando, odd accounts) on tablet A. */
  readonly amy: Agent;
  /** Baraka (route Kabondo, even accounts) on tablet B. */
  readonly bob: Agent;
  readonly supervisor: string;
  /** Ruth, the admin: publishes tariffs. */
  readonly admin: string;
}

export async function agentOn(
  hub: Hub,
  who: typeof amina | typeof baraka,
  device: string,
): Promise<Agent> {
  const { token, user } = await signInAgent(hub.app, who, device);
  return { device, token, chain: new DeviceChain(device, user.id) };
}

export async function scene(): Promise<Scene> {
  const hub = await openHub();
  return {
    hub,
    amy: await agentOn(hub, amina, TABLET_A),
    bob: await agentOn(hub, baraka, TABLET_B),
    supervisor: (await signInSupervisor(hub.app)).token,
    admin: (await signInAdmin(hub.app)).token,
  };
}

export function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`nothing at index ${index}`);
  return item;
}

export async function pushOnce(
  hub: Hub,
  agent: Agent,
  facts: readonly Fact[],
): Promise<PushResponse> {
  const response = await request(
    hub.app,
    'POST',
    '/api/sync/push',
    await pushBody(agent.device, facts),
  );
  expect(response.status).toBe(200);
  return pushResponseSchema.parse(await response.json());
}

/**
 * Pushes `facts`, then pushes them again as a retry would: the second answer must equal the
 * first and the store must not change at all. Returns the answer.
 */
export async function push(hub: Hub, agent: Agent, facts: readonly Fact[]): Promise<PushResponse> {
  const first = await pushOnce(hub, agent, facts);
  const dump = await fullDump(hub.store);
  const again = await pushOnce(hub, agent, facts);
  expect(again).toEqual(first);
  expect(await fullDump(hub.store)).toEqual(dump);
  return first;
}

export async function pull(hub: Hub, agent: Agent, cursor: number): Promise<PullResponse> {
  const response = await request(
    hub.app,
    'POST',
    '/api/sync/pull',
    pullBody(agent.device, cursor),
    agent.token,
  );
  expect(response.status).toBe(200);
  return pullResponseSchema.parse(await response.json());
}

export function snapshotOf(page: PullResponse, accountId: string): AccountSnapshot {
  const snapshot = page.accounts.find((account) => account.id === accountId);
  if (!snapshot) throw new Error(`the pull did not send ${accountId}`);
  return snapshot;
}

export const dumpedTables = [
  'accounts',
  'bills',
  'readings',
  'facts',
  'payments',
  'allocations',
  'voids',
  'reversals',
  'contact_edits',
  'spot_bills',
  'carried',
  'tariff_versions',
  'counters',
  'audit',
  'devices',
  'prepaid_meters',
  'token_leases',
  'top_ups',
  'top_up_tokens',
  'credit_requests',
  'handovers',
] as const;

/** Every row of every table the hub writes, in a fixed order: equal dumps, nothing written. */
export async function fullDump(store: Store): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const table of dumpedTables) {
    const rows = await store.db.selectFrom(table).selectAll().execute();
    dump[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return dump;
}

/**
 * What a fact can do to customers: balances, contact fields, bills, payments and their
 * allocations, reversals and carried differences. A flagged or held fact leaves this equal
 * (its own rows and the account's change number aside).
 */
export async function ledger(store: Store): Promise<Record<string, unknown[]>> {
  const { db } = store;
  return {
    accounts: await db
      .selectFrom('accounts')
      .select(['id', 'balance_minor', 'name', 'phone', 'address'])
      .orderBy('id')
      .execute(),
    bills: await db
      .selectFrom('bills')
      .select(['id', 'amount_minor', 'paid_minor'])
      .orderBy('id')
      .execute(),
    payments: await db
      .selectFrom('payments')
      .select(['fact_id', 'status', 'voided_by'])
      .orderBy('fact_id')
      .execute(),
    allocations: await db
      .selectFrom('allocations')
      .selectAll()
      .orderBy('payment_fact_id')
      .orderBy('bill_id')
      .execute(),
    reversals: await db
      .selectFrom('reversals')
      .selectAll()
      .orderBy('void_fact_id')
      .orderBy('bill_id')
      .execute(),
    carried: await db.selectFrom('carried').selectAll().orderBy('id').execute(),
  };
}

export async function factRow(
  store: Store,
  id: string,
): Promise<{ outcome: string; flag_reason: string | null; change_seq: number }> {
  const row = await store.db
    .selectFrom('facts')
    .select(['outcome', 'flag_reason', 'change_seq'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { ...row, change_seq: Number(row.change_seq) };
}

/** An ack or push result as the protocol writes it, for exact comparisons. */
export function result(
  fact: Pick<Fact, 'id' | 'seq'>,
  outcome: string,
  changeSeq: number,
  reason?: string,
): Record<string, unknown> {
  return {
    id: fact.id,
    seq: fact.seq,
    outcome,
    changeSeq,
    ...(reason === undefined ? {} : { reason }),
  };
}

export async function flagsAs(hub: Hub, token: string | undefined): Promise<Response> {
  return request(hub.app, 'GET', '/api/flags', undefined, token);
}

export async function flags(hub: Hub, supervisor: string): Promise<FlaggedFact[]> {
  const response = await flagsAs(hub, supervisor);
  expect(response.status).toBe(200);
  return flagsResponseSchema.parse(await response.json()).flags;
}

/**
 * A reading `usedKwh` after the snapshot's last one and the bill a device prints from it with
 * `versions`, as the device drafts it (shared/spot-bill.ts).
 */
export function readAndBill(
  agent: Agent,
  snapshot: AccountSnapshot,
  readOn: string,
  usedKwh: number,
  versions: readonly Tariff[],
  billNumber: string,
): { reading: FactOf<'reading'>; bill: FactOf<'spot-bill'> } {
  const previous = snapshot.lastReading;
  if (!previous) throw new Error(`${snapshot.id} has no last reading`);
  const reading = agent.chain.reading({
    accountId: snapshot.id,
    meterNumber: snapshot.meterNumber,
    registerKwh: previous.registerKwh + usedKwh,
    readOn,
  });
  const draft = draftSpotBill({ account: snapshot, previous, reading: reading.body, versions });
  if (!draft.ok) throw new Error(draft.error);
  const bill = agent.chain.spotBill({
    accountId: snapshot.id,
    billNumber,
    readingId: reading.id,
    period: draft.value.period,
    kwh: draft.value.kwh,
    tariffId: draft.value.tariffId,
    tariffVersion: draft.value.tariffVersion,
    currency: 'KES',
    amountMinor: draft.value.amountMinor,
    carried: [...draft.value.carried],
    totalMinor: draft.value.totalMinor,
  });
  return { reading, bill };
}
