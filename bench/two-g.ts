/**
 * The 2G case: a week of one agent's work (500 cash payments) synced from a device to the hub
 * over a link of 50 kbit/s and a 1 s round trip, through the throttling proxy on loopback. The
 * device is the real client code (Dexie on fake-indexeddb, the sync engine); the hub is the
 * real app listening on 127.0.0.1 over a file-backed SQLite store. Prints the wall time, the
 * requests made and the bytes each way.
 */
import { serve } from '@hono/node-server';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from 'uuidv7';
import { enrolDevice } from '../client/auth/enrol.ts';
import { signInAgent } from '../client/auth/session.ts';
import { GridtallyDatabase } from '../client/db/database.ts';
import { recordCashPayment } from '../client/db/facts.ts';
import { syncOnce } from '../client/sync/engine.ts';
import { createApp } from '../hub/app.ts';
import { seedDemo } from '../hub/demo/seed.ts';
import { issueEnrolmentCode } from '../hub/devices/enrolment.ts';
import { openSqliteStore } from '../hub/store/sqlite.ts';
import { minor } from '../shared/money.ts';
import type { Figure } from './figures.ts';
import { startThrottleProxy } from './throttle.ts';

const PAYMENTS = 500;
const LINK = { bitsPerSecond: 50_000, oneWayDelayMs: 500 };

export async function twoG(): Promise<Figure[]> {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-2g-'));
  const store = await openSqliteStore(join(folder, 'hub.sqlite'));
  // A week of payments must not trip the risk caps meant for real devices.
  const app = createApp({
    store,
    now: () => new Date(),
    deviceSettings: { maxUnsyncedCashMinor: 1e12, maxDaysOffline: 30, retentionDays: 90 },
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const hubPort = (server.address() as AddressInfo).port;
  const db = new GridtallyDatabase(`bench-2g-${Date.now()}`, { indexedDB, IDBKeyRange });
  try {
    await seedDemo(store, new Date());
    const direct = `http://127.0.0.1:${hubPort}`;
    const deps = { makeId: () => uuidv7(), nowMs: () => Date.now() };
    const { code } = await issueEnrolmentCode(store, 'user-grace', new Date());
    if (!(await enrolDevice(db, direct, code, deps)).ok) throw new Error('enrolment failed');
    const signedIn = await signInAgent(db, direct, 'amina', '1234', deps);
    if (!signedIn.ok) throw new Error('sign-in failed');
    await syncOnce(db, { baseUrl: direct, now: () => new Date() });
    for (let n = 0; n < PAYMENTS; n++) {
      const amount = minor(5_000 + n * 37);
      const account = `acc-${String(1 + 2 * (n % 100)).padStart(4, '0')}`;
      const recorded = await recordCashPayment(
        db,
        {
          accountId: account,
          currency: 'KES',
          amountMinor: amount,
          tenderedMinor: amount,
          agent: signedIn.value,
        },
        deps,
      );
      if (!recorded.ok) throw new Error(recorded.error);
    }
    const proxy = await startThrottleProxy(hubPort, LINK);
    let requests = 0;
    const counted = (input: string, init: RequestInit) => {
      requests++;
      return fetch(input, init);
    };
    const started = Date.now();
    const report = await syncOnce(db, {
      baseUrl: `http://127.0.0.1:${proxy.port}`,
      fetch: counted,
      now: () => new Date(),
    });
    const seconds = (Date.now() - started) / 1000;
    await proxy.close();
    if (report.state !== 'synced' || report.pending !== 0)
      throw new Error(`2G sync did not finish: ${JSON.stringify(report)}`);
    const context = {
      payments: PAYMENTS,
      link: '50 kbit/s, 1 s round trip',
      bytesUp: proxy.bytesUp(),
      bytesDown: proxy.bytesDown(),
    };
    return [
      {
        name: 'sync.2g.week-of-payments.seconds',
        value: Number(seconds.toFixed(1)),
        unit: 's',
        context,
      },
      { name: 'sync.2g.week-of-payments.requests', value: requests, unit: 'requests', context },
    ];
  } finally {
    db.close();
    server.close();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
