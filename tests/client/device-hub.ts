/**
 * A device and a hub wired together in one process for the client's sync tests: the device's
 * real Dexie code on fake-indexeddb, the hub's real app on an in-memory SQLite store seeded
 * with the demo, and between them a `fetch` that calls the hub in-process and that a test can
 * make fail in the ways a rural network does.
 */
import { testVault } from '../support/vault.ts';
import { TEST_HASHING } from '../support/hashing.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import { createApp } from '../../hub/app.ts';
import { issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import { seedDemo } from '../../hub/demo/seed.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import type { Store } from '../../hub/store/store.ts';
import type { FetchLike } from '../../client/api.ts';
import type { DeviceSettings } from '../../shared/risk.ts';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { syncOnce, type SyncReport } from '../../client/sync/engine.ts';
import type { User } from '../../shared/api.ts';
import { recordPayment, type DeviceDeps } from '../../client/db/facts.ts';
import { refreshAccount } from '../../client/db/details.ts';
import { minor } from '../../shared/money.ts';

export const BASE_URL = 'http://hub.test';
export const SEED_DAY = new Date('2026-11-20T08:00:00.000Z');

/** How the network treats the next call. */
export type Fault =
  'none' | 'drop-request' | 'drop-reply' | 'send-twice' | 'hub-error' | 'tamper-reply';

export interface Rig {
  readonly store: Store;
  readonly db: GridtallyDatabase;
  readonly fetch: FetchLike;
  readonly deps: DeviceDeps;
  /** Faults for the coming calls, used up one per call; an empty queue is a good network. */
  readonly faults: Fault[];
  readonly calls: string[];
  issueCode(): Promise<string>;
  /** Time passes, for the hub and the device alike. */
  advance(ms: number): void;
  close(): Promise<void>;
}

let databases = 0;

export async function openRig(options: { deviceSettings?: DeviceSettings } = {}): Promise<Rig> {
  const store = await openSqliteStore(':memory:');
  await seedDemo(store, SEED_DAY, undefined, TEST_HASHING);
  let hubMs = SEED_DAY.getTime() + 3_600_000;
  const app = createApp({
    store,
    now: () => new Date((hubMs += 1000)),
    secretHashing: TEST_HASHING,
    ...options,
  });
  const faults: Fault[] = [];
  const calls: string[] = [];
  const fetch: FetchLike = async (input, init) => {
    const fault = faults.shift() ?? 'none';
    calls.push(`${new URL(input).pathname} ${fault}`);
    if (fault === 'drop-request')
      throw new TypeError('network down before the hub saw the request');
    if (fault === 'hub-error') return new Response('Bad gateway', { status: 502 });
    // Strip the abort signal: the in-process hub needs no timeout and Node's Request rejects
    // signals from another realm.
    const { signal: _signal, ...rest } = init;
    if (fault === 'send-twice') await app.request(input, rest);
    const response = await app.request(input, rest);
    if (fault === 'drop-reply') throw new TypeError('network cut after the hub answered');
    if (fault === 'tamper-reply') {
      // A middlebox that alters a number in the answer: the first account's balance.
      const body = (await response.json()) as { accounts?: { balanceMinor: number }[] };
      const first = body.accounts?.[0];
      if (first) first.balanceMinor -= 100;
      return new Response(JSON.stringify(body), {
        status: response.status,
        headers: response.headers,
      });
    }
    return response;
  };
  /** A one-time enrolment code, as a supervisor would issue it for this device. */
  const issueCode = async () =>
    (await issueEnrolmentCode(store, 'user-grace', new Date(hubMs))).code;
  let deviceMs = SEED_DAY.getTime() + 7_200_000;
  const deps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => (deviceMs += 1500) };
  const db = new GridtallyDatabase(
    `device-${++databases}`,
    { indexedDB, IDBKeyRange },
    testVault(),
  );
  return {
    store,
    db,
    fetch,
    deps,
    faults,
    calls,
    issueCode,
    advance(ms) {
      hubMs += ms;
      deviceMs += ms;
    },
    async close() {
      db.close();
      await store.close();
    },
  };
}

export async function hubBalance(store: Store, accountId: string): Promise<number> {
  const row = await store.db
    .selectFrom('accounts')
    .select('balance_minor')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.balance_minor);
}

/** Enrols `db` on the rig's hub and signs amina in on it. */
export async function enrolAndSignIn(
  rig: Rig,
  db: GridtallyDatabase = rig.db,
  deps: DeviceDeps = rig.deps,
  agent: { readonly username: string; readonly pin: string } = { username: 'amina', pin: '1234' },
): Promise<void> {
  const enrolled = await enrolDevice(db, BASE_URL, await rig.issueCode(), deps, rig.fetch);
  if (!enrolled.ok) throw new Error(`enrolment failed: ${enrolled.error}`);
  const signedIn = await signInAgent(db, BASE_URL, agent.username, agent.pin, deps, rig.fetch);
  if (!signedIn.ok) throw new Error(`sign-in failed: ${signedIn.error}`);
}

/** The agent signed in on `db`. */
export async function agentOf(db: GridtallyDatabase): Promise<User> {
  const session = await db.settings.get('session');
  if (session?.key !== 'session') throw new Error('not signed in');
  return session.user;
}

/** A rig whose tablet is enrolled, signed in and synced once: where most device tests start. */
export async function syncedRig(): Promise<Rig> {
  const rig = await openRig();
  await enrolAndSignIn(rig);
  await syncWith(rig);
  return rig;
}

/** One sync round of `db` against the rig's hub, at the seed day. */
export async function syncWith(rig: Rig, db: GridtallyDatabase = rig.db): Promise<SyncReport> {
  return syncOnce(db, { baseUrl: BASE_URL, fetch: rig.fetch, now: () => SEED_DAY });
}

/** Opens `accountId` with the hub reachable, as the customer's screen does (client/db/details.ts). */
export async function readOnline(rig: Rig, accountId: string, now = new Date(rig.deps.nowMs())) {
  const session = await rig.db.settings.get('session');
  if (session?.key !== 'session') throw new Error('not signed in');
  return refreshAccount(
    rig.db,
    { baseUrl: BASE_URL, token: session.token, fetch: rig.fetch },
    accountId,
    now,
  );
}

/**
 * A cash payment of exactly `amountMinor` shillings' minor units, confirmed as no duplicate;
 * `topUp`: sold as a prepaid top-up.
 */
export async function payCash(rig: Rig, accountId: string, amountMinor: number, topUp = false) {
  return recordPayment(
    rig.db,
    {
      accountId,
      currency: 'KES',
      amountMinor: minor(amountMinor),
      details: { method: 'cash', tenderedMinor: minor(amountMinor) },
      agent: await agentOf(rig.db),
      duplicateConfirmed: true,
      ...(topUp ? { topUp } : {}),
    },
    rig.deps,
  );
}
