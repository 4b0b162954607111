/**
 * Goal: a backup counts only once a restore from it has been shown to work. The drill, on each
 * engine: back up; more facts arrive and are acknowledged; the store is destroyed; the backup is
 * restored; the devices, which still hold what the hub acknowledged after the backup, send it
 * again by themselves; the hub ends with every fact exactly once and the same ledger as before
 * the loss.
 *
 * Method: the hub's own backup and restore code (hub/ops/backup.ts: SQLite's online backup API,
 * pg_dump and pg_restore, AES-256-GCM) on a SQLite file and on a database of a real PostgreSQL
 * (tests/support/postgres.ts); devices are the app's own code (Dexie on fake-indexeddb,
 * enrolment, sign-in, the sync engine) talking to the hub's app in-process.
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FetchLike } from '../../client/api.ts';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { accountView } from '../../client/db/accounts.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { recordCashPayment, recordVoid, type DeviceDeps } from '../../client/db/facts.ts';
import { syncOnce } from '../../client/sync/engine.ts';
import { createApp } from '../../hub/app.ts';
import { seedDemo } from '../../hub/demo/seed.ts';
import { issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import { backup, BackupError, restore, type BackupTarget } from '../../hub/ops/backup.ts';
import { openStoreFor } from '../../hub/ops/cli.ts';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import { storeEpoch, type Store } from '../../hub/store/store.ts';
import { minor } from '../../shared/money.ts';
import {
  POSTGRES_REQUIRED,
  postgresMissing,
  startPostgres,
  type PostgresServer,
} from '../support/postgres.ts';

const BASE_URL = 'http://hub.test';
const START = new Date('2026-11-20T08:00:00.000Z');
const KEY = randomBytes(32);

let server: PostgresServer | undefined;
const missing = postgresMissing();
const work = mkdtempSync(join(tmpdir(), 'gridtally-drill-'));

beforeAll(async () => {
  if (!missing || POSTGRES_REQUIRED) server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The hub as the devices see it: whatever store is open now, behind one fetch. */
class HubSide {
  store: Store | undefined;
  private app: ReturnType<typeof createApp> | undefined;
  private ms = START.getTime();

  constructor(readonly target: BackupTarget) {}

  async open(): Promise<Store> {
    this.store = await openStoreFor(this.target);
    this.app = createApp({ store: this.store, now: () => new Date((this.ms += 1000)) });
    return this.store;
  }

  async close(): Promise<void> {
    await this.store?.close();
    this.store = undefined;
    this.app = undefined;
  }

  readonly fetch: FetchLike = async (input, init) => {
    if (!this.app) throw new TypeError('the hub is down');
    const { signal: _signal, ...rest } = init;
    return this.app.request(input, rest);
  };
}

interface Device {
  readonly db: GridtallyDatabase;
  readonly deps: DeviceDeps;
  readonly agent: 'amina' | 'baraka';
}

async function newDevice(hub: HubSide, agent: Device['agent'], n: number): Promise<Device> {
  let ms = START.getTime() + n * 7_919;
  const deps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => (ms += 60_000) };
  const db = new GridtallyDatabase(`drill-${uuidv7()}`, { indexedDB, IDBKeyRange }, testVault());
  const store = hub.store as Store;
  const { code } = await issueEnrolmentCode(store, 'user-grace', START);
  expect((await enrolDevice(db, BASE_URL, code, deps, hub.fetch)).ok).toBe(true);
  const pin = agent === 'amina' ? '1234' : '5678';
  expect((await signInAgent(db, BASE_URL, agent, pin, deps, hub.fetch)).ok).toBe(true);
  return { db, deps, agent };
}

async function sync(hub: HubSide, device: Device): Promise<void> {
  const report = await syncOnce(device.db, {
    baseUrl: BASE_URL,
    fetch: hub.fetch,
    now: () => START,
  });
  expect(report.error).toBe(undefined);
}

/** A few payments on the agent's route (odd accounts for amina, even for baraka), one voided. */
async function collect(device: Device, round: number): Promise<void> {
  const session = await device.db.settings.get('session');
  if (session?.key !== 'session') throw new Error('not signed in');
  const first = device.agent === 'amina' ? 1 : 2;
  const paid: string[] = [];
  for (let i = 0; i < 4; i++) {
    const account = `acc-${String(first + 2 * ((round * 7 + i * 3) % 40)).padStart(4, '0')}`;
    const amount = minor(1_000 + round * 137 + i * 251);
    const result = await recordCashPayment(
      device.db,
      {
        accountId: account,
        currency: 'KES',
        amountMinor: amount,
        tenderedMinor: amount,
        agent: session.user,
        // The drill's payments are meant: the agent confirms any duplicate warning.
        duplicateConfirmed: true,
      },
      device.deps,
    );
    if (!result.ok) throw new Error(result.error);
    paid.push(result.value.id);
  }
  const voided = await recordVoid(
    device.db,
    { payment: { paymentId: paid[1] as string }, reason: 'entered-twice', agent: session.user },
    device.deps,
  );
  expect(voided.ok).toBe(true);
}

interface Ledger {
  readonly facts: string[];
  readonly balances: Record<string, number>;
  readonly payments: number;
  readonly voidedPayments: number;
  readonly paidOnBills: number;
}

async function ledger(store: Store): Promise<Ledger> {
  const facts = await store.db.selectFrom('facts').select('id').orderBy('id').execute();
  const accounts = await store.db.selectFrom('accounts').select(['id', 'balance_minor']).execute();
  const payments = await store.db
    .selectFrom('payments')
    .select(['amount_minor', 'voided_by'])
    .execute();
  const bills = await store.db.selectFrom('bills').select('paid_minor').execute();
  return {
    facts: facts.map((f) => f.id),
    balances: Object.fromEntries(accounts.map((a) => [a.id, Number(a.balance_minor)])),
    payments: payments.reduce((sum, p) => sum + Number(p.amount_minor), 0),
    voidedPayments: payments.filter((p) => p.voided_by !== null).length,
    paidOnBills: bills.reduce((sum, b) => sum + Number(b.paid_minor), 0),
  };
}

async function recordedIds(devices: readonly Device[]): Promise<string[]> {
  const ids: string[] = [];
  for (const device of devices) ids.push(...(await device.db.facts.toArray()).map((f) => f.id));
  return ids.sort();
}

interface EngineCase {
  readonly name: 'sqlite' | 'postgres';
  target(): Promise<BackupTarget>;
  /** Destroys the store for good: the file deleted, or the database dropped and made anew, empty. */
  destroy(target: BackupTarget): Promise<void>;
}

const engines: EngineCase[] = [
  {
    name: 'sqlite',
    async target() {
      return { engine: 'sqlite', location: join(work, `hub-${uuidv7()}`, 'gridtally.sqlite') };
    },
    async destroy(target) {
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(`${target.location}${suffix}`, { force: true });
      expect(existsSync(target.location)).toBe(false);
    },
  },
  {
    name: 'postgres',
    async target() {
      if (!server) throw new Error('PostgreSQL did not start');
      return { engine: 'postgres', location: await server.newDatabase() };
    },
    async destroy(target) {
      const url = new URL(target.location);
      const name = url.pathname.slice(1);
      url.pathname = '/postgres';
      const admin = new pg.Client({ connectionString: url.toString() });
      await admin.connect();
      try {
        await admin.query(`drop database ${name} with (force)`);
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
    },
  },
];

describe.each(engines)('restore drill on $name', (engine) => {
  const skip = engine.name === 'postgres' && missing !== undefined && !POSTGRES_REQUIRED;

  test.skipIf(skip)(
    'after the store is lost and the backup restored, every fact is there exactly once and the ledger is as before',
    async () => {
      const target = await engine.target();
      const hub = new HubSide(target);
      const store = await hub.open();
      await seedDemo(store, START);
      const devices = [
        await newDevice(hub, 'amina', 1),
        await newDevice(hub, 'amina', 2),
        await newDevice(hub, 'baraka', 3),
        await newDevice(hub, 'baraka', 4),
      ];
      for (const device of devices) {
        await collect(device, 1);
        await sync(hub, device);
      }

      const file = join(work, `${engine.name}-${uuidv7()}.gtbk`);
      await backup(target, file, KEY, START);
      const epochBefore = await storeEpoch(store.db);

      // After the backup: more collections, all acknowledged; one device then stays quiet.
      for (const [round, device] of devices.entries()) {
        await collect(device, 2 + round);
        await sync(hub, device);
      }
      expect(await devices[0]?.db.facts.where('status').equals('pending').count()).toBe(0);
      const beforeLoss = await ledger(hub.store as Store);
      expect(beforeLoss.facts).toEqual(await recordedIds(devices));

      await hub.close();
      await engine.destroy(target);
      await restore(target, file, KEY, async () => {
        const opened = await openStoreFor(target);
        return { db: opened.db, close: () => opened.close() };
      });
      const restored = await hub.open();
      expect(await storeEpoch(restored.db)).not.toBe(epochBefore);
      const forgotten = beforeLoss.facts.length - (await ledger(restored)).facts.length;
      expect(forgotten).toBe(4 * 5);

      // Nothing new is recorded: each device notices the new epoch and resends what it holds.
      for (const device of devices) await sync(hub, device);
      const afterRestore = await ledger(restored);
      expect(afterRestore).toEqual(beforeLoss);
      expect(await checkIntegrity(restored)).toEqual([]);
      for (const device of devices) {
        expect(await device.db.facts.where('status').equals('pending').count()).toBe(0);
        for (const id of ['acc-0001', 'acc-0002', 'acc-0015', 'acc-0016']) {
          const view = await accountView(device.db, id);
          if (view) expect(view.balanceMinor).toBe(afterRestore.balances[id]);
        }
      }
      await hub.close();
    },
    120_000,
  );

  test.skipIf(skip)(
    'a backup file altered by one byte, or opened with another key, is refused and the store is untouched',
    async () => {
      const target = await engine.target();
      const hub = new HubSide(target);
      await seedDemo(await hub.open(), START);
      const file = join(work, `${engine.name}-${uuidv7()}.gtbk`);
      await backup(target, file, KEY, START);
      const before = await ledger(hub.store as Store);
      await hub.close();
      const bytes = readFileSync(file);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0x01;
      const altered = `${file}.altered`;
      writeFileSync(altered, bytes);
      const reopen = async () => {
        const opened = await openStoreFor(target);
        return { db: opened.db, close: () => opened.close() };
      };
      await expect(restore(target, altered, KEY, reopen)).rejects.toThrow(BackupError);
      await expect(restore(target, file, randomBytes(32), reopen)).rejects.toThrow(
        /cannot be decrypted/,
      );
      expect(await ledger(await hub.open())).toEqual(before);
      await hub.close();
    },
  );
});
