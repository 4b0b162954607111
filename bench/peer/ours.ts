/**
 * Our side: a hub process (hub/main.ts, the demo seeded, over a file-backed SQLite store) and
 * one device running the client's own code (Dexie on fake-indexeddb, the sync engine), enrolled
 * with a code a supervisor issued and signed in as the demo agent amina. Payments are recorded
 * with the code the payment screen calls, each in its own transaction, and synced with
 * `syncOnce`: signed, verified, stored durably and projected by the hub.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { recordCashPayment, type DeviceDeps } from '../../client/db/facts.ts';
import { syncOnce, type SyncReport } from '../../client/sync/engine.ts';
import type { User } from '../../shared/api.ts';
import { minor } from '../../shared/money.ts';
import { issueEnrolmentCodes } from '../../tests/support/enrolment.ts';
import { startHubCluster } from '../../tests/support/hub-cluster.ts';
import { startThrottleProxy, type Link, type ThrottleProxy } from '../throttle.ts';

export interface OurHub {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts one hub process on SQLite in `dataDir`. The demo's cap on a device's unsynced cash is
 * a real tablet's; the thousands of payments a benchmark records before syncing would trip it,
 * so the hub is told a cap no benchmark reaches (HUB_MAX_UNSYNCED_CASH_MINOR).
 */
async function startOurHub(dataDir: string): Promise<OurHub> {
  const saved = process.env.HUB_MAX_UNSYNCED_CASH_MINOR;
  process.env.HUB_MAX_UNSYNCED_CASH_MINOR = String(1e12);
  try {
    const cluster = await startHubCluster({ dataDir }, 1);
    return { port: Number(new URL(cluster.urls[0] as string).port), stop: () => cluster.stop() };
  } finally {
    if (saved === undefined) delete process.env.HUB_MAX_UNSYNCED_CASH_MINOR;
    else process.env.HUB_MAX_UNSYNCED_CASH_MINOR = saved;
  }
}

export interface OurDevice {
  readonly db: GridtallyDatabase;
  readonly agent: User;
  readonly deps: DeviceDeps;
  /** Sets the device's clock: each payment is recorded a minute after the one before. */
  readonly setClock: (ms: number) => void;
}

/**
 * A device enrolled on the hub at `hubUrl`, amina signed in, and its first sync done (the route
 * pulled, the hub's caps learnt), as a tablet is before its agent goes out.
 */
async function openOurDevice(hubUrl: string): Promise<OurDevice> {
  const db = new GridtallyDatabase(`bench-${uuidv7()}`, { indexedDB, IDBKeyRange });
  let clockMs: number | undefined;
  const deps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => clockMs ?? Date.now() };
  const [code] = await issueEnrolmentCodes(hubUrl, 1);
  const enrolled = await enrolDevice(db, hubUrl, code ?? '', deps);
  if (!enrolled.ok) throw new Error(`enrolment failed: ${enrolled.error}`);
  const signedIn = await signInAgent(db, hubUrl, 'amina', '1234', deps);
  if (!signedIn.ok) throw new Error(`sign-in failed: ${signedIn.error}`);
  const first = await syncOnce(db, { baseUrl: hubUrl, now: () => new Date() });
  if (first.state !== 'synced') throw new Error(`first sync failed: ${JSON.stringify(first)}`);
  return {
    db,
    agent: signedIn.value,
    deps,
    setClock: (ms) => {
      clockMs = ms;
    },
  };
}

/** How many payments are recorded before the outbox is parked (see recordPayments). */
const PARK_EVERY = 100;

/**
 * Records `count` cash payments, numbered on from `from`, over the 100 accounts of amina's
 * route; returns the sealed facts as they will be pushed.
 *
 * Each payment's risk check reads every pending fact to add up the unsynced cash, so recording
 * n payments without a sync costs O(n²): nearly 40 ms a payment at 5,000 pending on
 * fake-indexeddb. A real device never holds that many (its cash cap stops it far sooner). To
 * keep the benchmark's set-up short, every PARK_EVERY payments those just recorded are marked
 * acknowledged for a moment, and all of them are marked pending again at the end: the outbox
 * the sync then finds is the same as if they had been recorded straight.
 */
export async function recordPayments(
  device: OurDevice,
  from: number,
  count: number,
): Promise<Record<string, unknown>[]> {
  const facts: Record<string, unknown>[] = [];
  const seqs: number[] = [];
  // A minute apart by the device's clock, as an agent walks from door to door (recorded all at
  // once, payments seconds apart to the same customers would rightly look like duplicates).
  const start = device.deps.nowMs();
  for (let n = from; n < from + count; n++) {
    device.setClock(start + (n - from + 1) * 60_000);
    const amount = minor(5_000 + (n % 1_000) * 37);
    const input = {
      accountId: `acc-${String(1 + 2 * (n % 100)).padStart(4, '0')}`,
      currency: 'KES' as const,
      amountMinor: amount,
      tenderedMinor: amount,
      agent: device.agent,
    };
    let recorded = await recordCashPayment(device.db, input, device.deps);
    // The agent is warned of a payment that looks like one taken within the hour, and confirms.
    if (!recorded.ok && recorded.error === 'possible-duplicate')
      recorded = await recordCashPayment(
        device.db,
        { ...input, duplicateConfirmed: true },
        device.deps,
      );
    if (!recorded.ok) throw new Error(`payment ${n} not recorded: ${recorded.error}`);
    facts.push({ ...recorded.value.fact });
    seqs.push(recorded.value.seq);
    if (seqs.length % PARK_EVERY === 0)
      await markRecorded(device, seqs.slice(-PARK_EVERY), 'acked');
  }
  await markRecorded(device, seqs, 'pending');
  return facts;
}

async function markRecorded(
  device: OurDevice,
  seqs: readonly number[],
  status: 'pending' | 'acked',
): Promise<void> {
  const first = seqs[0];
  const last = seqs[seqs.length - 1];
  if (first === undefined || last === undefined) return;
  await device.db.facts
    .where('seq')
    .between(first, last, true, true)
    .modify((stored) => {
      stored.status = status;
    });
}

/** One sync round through `baseUrl`, which must leave nothing pending. */
async function syncAll(
  device: OurDevice,
  baseUrl: string,
  countRequest: () => void,
): Promise<SyncReport> {
  const report = await syncOnce(device.db, {
    baseUrl,
    fetch: (input, init) => {
      countRequest();
      return fetch(input, init);
    },
    now: () => new Date(),
  });
  if (report.state !== 'synced' || report.pending !== 0)
    throw new Error(`sync did not finish: ${JSON.stringify(report)}`);
  return report;
}

/** Our side of a measured sync: a device enrolled on a hub process, reached through a proxy. */
export interface OurSide {
  readonly device: OurDevice;
  readonly proxy: ThrottleProxy;
  /** One sync round through the proxy, which must leave nothing pending. */
  sync(countRequest: () => void): Promise<void>;
}

/**
 * Runs `work` on our side: a hub process on SQLite in `dataDir`, a device enrolled and synced
 * directly, and a proxy in front of the hub (throttled as `link`, or counting only); stops
 * all of it afterwards.
 */
export async function withOurSide<T>(
  dataDir: string,
  link: Link | null,
  work: (side: OurSide) => Promise<T>,
): Promise<T> {
  const hub = await startOurHub(dataDir);
  try {
    const device = await openOurDevice(`http://127.0.0.1:${hub.port}`);
    const proxy = await startThrottleProxy(hub.port, link);
    const baseUrl = `http://127.0.0.1:${proxy.port}`;
    try {
      return await work({
        device,
        proxy,
        sync: async (countRequest) => {
          await syncAll(device, baseUrl, countRequest);
        },
      });
    } finally {
      await proxy.close();
      device.db.close();
    }
  } finally {
    await hub.stop();
  }
}
