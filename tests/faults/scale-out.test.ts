/**
 * Goal: several hub processes on one store, behind a round-robin, with many devices pushing at
 * once: no payment lost, none stored twice, and a device pulling all the while never skips a
 * change (its cursor is in commit order across processes).
 *
 * Method: three real hub processes (hub/main.ts) on one store, each request sent to the next
 * process in turn: on a throw-away PostgreSQL cluster (tests/support/postgres.ts) through
 * DATABASE_URL, and on one SQLite file the processes share on this machine. Twelve
 * devices, the app's own code on fake-indexeddb, enrolled and signed in over HTTP, take cash
 * payments on shared accounts and sync concurrently; a watcher device on each route syncs in
 * a loop throughout. Then every device drains, the watchers pull once more from their cursors,
 * and the hub's tables, the watchers' snapshots and the integrity check are compared with what
 * the devices recorded.
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { recordCashPayment, type DeviceDeps } from '../../client/db/facts.ts';
import { syncOnce } from '../../client/sync/engine.ts';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import { openPostgresStore } from '../../hub/store/postgres.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import type { Store } from '../../hub/store/store.ts';
import { minor } from '../../shared/money.ts';
import { startHubCluster, type HubCluster } from '../support/hub-cluster.ts';
import {
  POSTGRES_REQUIRED,
  postgresMissing,
  startPostgres,
  type PostgresServer,
} from '../support/postgres.ts';
import { issueEnrolmentCodes } from '../support/enrolment.ts';

const PROCESSES = 3;
const DEVICES = 12;
const PAYMENTS_PER_DEVICE = 25;

const missing = postgresMissing();
let server: PostgresServer | undefined;
const folder = mkdtempSync(join(tmpdir(), 'gridtally-scale-'));

beforeAll(async () => {
  if (!missing || POSTGRES_REQUIRED) server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(folder, { recursive: true, force: true });
});

async function openCluster(
  engine: 'sqlite' | 'postgres',
): Promise<{ cluster: HubCluster; store: Store }> {
  if (engine === 'sqlite') {
    const dataDir = join(folder, uuidv7());
    const cluster = await startHubCluster({ dataDir }, PROCESSES);
    return { cluster, store: await openSqliteStore(join(dataDir, 'gridtally.sqlite')) };
  }
  const databaseUrl = await (server as PostgresServer).newDatabase();
  const cluster = await startHubCluster({ databaseUrl }, PROCESSES);
  return { cluster, store: await openPostgresStore(databaseUrl, { poolSize: 2 }) };
}

interface Device {
  readonly db: GridtallyDatabase;
  readonly deps: DeviceDeps;
  readonly route: 'route-nyando' | 'route-kabondo';
}

async function device(hub: HubCluster, code: string, agent: 'amina' | 'baraka'): Promise<Device> {
  const deps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => Date.now() };
  const db = new GridtallyDatabase(`scale-${uuidv7()}`, { indexedDB, IDBKeyRange }, testVault());
  const enrolled = await enrolDevice(db, hub.baseUrl, code, deps, hub.fetch);
  if (!enrolled.ok) throw new Error(`enrol: ${enrolled.error}`);
  const pin = agent === 'amina' ? '1234' : '5678';
  const signedIn = await signInAgent(db, hub.baseUrl, agent, pin, deps, hub.fetch);
  if (!signedIn.ok) throw new Error(`sign in: ${signedIn.error}`);
  return { db, deps, route: agent === 'amina' ? 'route-nyando' : 'route-kabondo' };
}

/** Every round that did not end 'synced', with its error: concurrency must cost no failure. */
const failedRounds: string[] = [];

async function sync(hub: HubCluster, target: Device) {
  const report = await syncOnce(target.db, {
    baseUrl: hub.baseUrl,
    fetch: hub.fetch,
    now: () => new Date(),
  });
  if (report.state !== 'synced') failedRounds.push(`${report.state}: ${report.message ?? ''}`);
  return report;
}

describe.each(['sqlite', 'postgres'] as const)(
  'several hub processes on one %s store',
  (engine) => {
    const skip = engine === 'postgres' && missing !== undefined && !POSTGRES_REQUIRED;

    test.skipIf(skip)(
      'many devices pushing at once through a round-robin: nothing lost, nothing doubled, no change skipped',
      async () => {
        failedRounds.length = 0;
        const { cluster: hub, store } = await openCluster(engine);
        try {
          const db = store.db;
          const codes = await issueEnrolmentCodes(hub.urls[0] as string, DEVICES + 2);
          const devices: Device[] = [];
          for (let i = 0; i < DEVICES; i++)
            devices.push(await device(hub, codes[i] as string, i % 2 === 0 ? 'amina' : 'baraka'));
          const watchers = [
            await device(hub, codes[DEVICES] as string, 'amina'),
            await device(hub, codes[DEVICES + 1] as string, 'baraka'),
          ];
          for (const watcher of watchers) expect((await sync(hub, watcher)).state).toBe('synced');
          const opening = new Map(
            (await db.selectFrom('accounts').select(['id', 'balance_minor']).execute()).map((a) => [
              a.id,
              Number(a.balance_minor),
            ]),
          );

          const recorded: { id: string; accountId: string; amountMinor: number }[] = [];
          let pushing = true;
          const watching = watchers.map(async (watcher) => {
            while (pushing) {
              await sync(hub, watcher);
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          });
          await Promise.all(
            devices.map(async (target, index) => {
              const session = await target.db.settings.get('session');
              if (session?.key !== 'session') throw new Error('not signed in');
              for (let n = 0; n < PAYMENTS_PER_DEVICE; n++) {
                // Two devices of a route share each account, so their payments meet on its row.
                const k = (index >> 1) * 3 + (n % 6);
                const accountId = `acc-${String((target.route === 'route-nyando' ? 1 : 2) + 2 * (k % 30)).padStart(4, '0')}`;
                const amount = minor(500 + index * 31 + n * 7);
                const result = await recordCashPayment(
                  target.db,
                  {
                    accountId,
                    currency: 'KES',
                    amountMinor: amount,
                    tenderedMinor: amount,
                    agent: session.user,
                    // Each payment is meant: the agent confirms any duplicate warning.
                    duplicateConfirmed: true,
                  },
                  target.deps,
                );
                if (!result.ok) throw new Error(result.error);
                recorded.push({ id: result.value.id, accountId, amountMinor: amount });
                if (n % 4 === 3) await sync(hub, target);
              }
            }),
          );
          // Drain: every device syncs until nothing is pending.
          for (const target of devices) {
            for (let round = 0; round < 10; round++)
              if ((await sync(hub, target)).pending === 0) break;
            expect(await target.db.facts.where('status').equals('pending').count()).toBe(0);
          }
          pushing = false;
          await Promise.all(watching);

          // Every payment exactly once, with its amount.
          const stored = await db
            .selectFrom('payments')
            .select(['fact_id', 'account_id', 'amount_minor'])
            .execute();
          expect(stored.length).toBe(DEVICES * PAYMENTS_PER_DEVICE);
          expect(new Set(stored.map((p) => p.fact_id)).size).toBe(stored.length);
          expect(new Map(stored.map((p) => [p.fact_id, Number(p.amount_minor)]))).toEqual(
            new Map(recorded.map((p) => [p.id, p.amountMinor])),
          );
          // Balances moved by exactly the payments.
          const expected = new Map(opening);
          for (const payment of recorded)
            expected.set(
              payment.accountId,
              (expected.get(payment.accountId) ?? 0) - payment.amountMinor,
            );
          const balances = await db
            .selectFrom('accounts')
            .select(['id', 'balance_minor', 'change_seq', 'route_id'])
            .execute();
          expect(new Map(balances.map((a) => [a.id, Number(a.balance_minor)]))).toEqual(expected);

          // The watchers pulled all along; one more pull from their cursors must leave them equal to
          // the hub. A change committed late under a number below a cursor would be missing here.
          for (const watcher of watchers) {
            expect((await sync(hub, watcher)).state).toBe('synced');
            const held = await watcher.db.accounts.toArray();
            const route = balances.filter((a) => a.route_id === watcher.route);
            expect(new Map(held.map((a) => [a.id, [a.balanceMinor, a.changeSeq]]))).toEqual(
              new Map(route.map((a) => [a.id, [Number(a.balance_minor), Number(a.change_seq)]])),
            );
          }
          expect(await checkIntegrity(store)).toEqual([]);
          expect(failedRounds).toEqual([]);
          // Every process took its share of the work.
          expect(hub.served.every((count) => count > 50)).toBe(true);
        } finally {
          await store.close();
          await hub.stop();
        }
      },
      300_000,
    );
  },
);
