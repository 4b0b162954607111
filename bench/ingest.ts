/**
 * Hub ingest on SQLite: payments per second through the hub (schema validation, signature,
 * chain and hash verification, storage, projection onto balances and bills), 10,000 payments
 * from one device in pushes of the client's batch size, gzip like the client sends them, on a
 * file-backed store with the hub's durability settings. Measured over real HTTP against a hub
 * process (hub/main.ts) on 127.0.0.1, and in-process through `app.request` (for profiling);
 * then, in the same run, against the limits of bench/limits.ts: a raw insert of the same rows
 * into SQLite, and a bare HTTP echo of the same bodies on the hub's server stack. Each figure
 * is the median of three interleaved rounds, each round on fresh stores, with every round's
 * value in its context: the machine is shared, and one round of ten pushes is easily disturbed.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { uuidv7 } from 'uuidv7';
import { PUSH_BATCH } from '../client/sync/engine.ts';
import { createApp } from '../hub/app.ts';
import { seedDemo } from '../hub/demo/seed.ts';
import { recordAgentOnDevice } from '../hub/auth/sessions.ts';
import { enrolDevice, issueEnrolmentCode } from '../hub/devices/enrolment.ts';
import { openSqliteStore } from '../hub/store/sqlite.ts';
import type { Store } from '../hub/store/store.ts';
import { ECDSA_KEY } from '../shared/devices.ts';
import type { PushResponse } from '../shared/protocol.ts';
import { startHubCluster } from '../tests/support/hub-cluster.ts';
import type { Figure } from './figures.ts';
import {
  httpEchoRate,
  postSequentially,
  PUSH_HEADERS,
  rawSqliteInsertRate,
  sendSequentially,
  storeDigest,
  type Posted,
  type RawInsert,
} from './limits.ts';
import { publicJwk, signedPaymentPushes } from './pushes.ts';

const PAYMENTS = 10_000;
/** Rounds of every measurement, interleaved; figures are medians (the machine is shared). */
const ROUNDS = 3;
const SEED_DAY = new Date('2026-11-20T08:00:00Z');

interface Device {
  readonly id: string;
  readonly publicKey: Awaited<ReturnType<typeof publicJwk>>;
}

/** The demo deployment with the bench's device enrolled: every store in this run starts so. */
async function readyStore(store: Store, device: Device): Promise<void> {
  await seedDemo(store, SEED_DAY);
  const { code } = await issueEnrolmentCode(store, 'user-grace', new Date());
  await enrolDevice(
    store,
    { code: code.replace(/-/g, ''), deviceId: device.id, publicKey: device.publicKey },
    new Date(),
  );
  // The bench's payments are amina's: she signed in on the device, as an agent does.
  await store.transaction((trx) => recordAgentOnDevice(trx, device.id, 'user-amina', new Date()));
}

async function inProcess(
  device: Device,
  bodies: readonly Uint8Array<ArrayBuffer>[],
): Promise<Posted> {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-bench-'));
  const store = await openSqliteStore(join(folder, 'hub.sqlite'));
  try {
    await readyStore(store, device);
    const app = createApp({ store, now: () => new Date() });
    return await sendSequentially(bodies, (body) =>
      app.request('/api/sync/push', { method: 'POST', headers: PUSH_HEADERS, body }),
    );
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Pushes to one hub process on a store made ready here; returns what it left in the store. */
async function overHttp(device: Device, bodies: readonly Uint8Array<ArrayBuffer>[]) {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-bench-'));
  const file = join(folder, 'gridtally.sqlite');
  try {
    const store = await openSqliteStore(file);
    try {
      await readyStore(store, device);
    } finally {
      await store.close();
    }
    const cluster = await startHubCluster({ dataDir: folder }, 1);
    let posted: Posted;
    try {
      posted = await postSequentially(`${cluster.urls[0]}/api/sync/push`, bodies);
    } finally {
      await cluster.stop();
    }
    const connection = new BetterSqlite3(file);
    try {
      return { ...posted, digest: storeDigest(connection) };
    } finally {
      connection.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function outcomesOf(answers: readonly unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers as readonly PushResponse[])
    for (const result of answer.results) counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
  return counts;
}

interface Round {
  readonly local: Posted;
  readonly http: Awaited<ReturnType<typeof overHttp>>;
  readonly raw: RawInsert;
  readonly echo: Posted;
}

/** One round of the four measurements, close together so that they share the machine's load. */
async function measureRound(
  device: Device,
  plain: readonly string[],
  gzipped: readonly Uint8Array<ArrayBuffer>[],
): Promise<Round> {
  const round = {
    local: await inProcess(device, gzipped),
    http: await overHttp(device, gzipped),
    raw: await rawSqliteInsertRate(plain, (store) => readyStore(store, device)),
    echo: await httpEchoRate(gzipped, PUSH_BATCH),
  };
  const raw = JSON.stringify(round.raw.digest);
  const hub = JSON.stringify(round.http.digest);
  if (raw !== hub) throw new Error(`the raw insert wrote other rows than the hub: ${raw}; ${hub}`);
  const outcomes = outcomesOf(round.http.answers);
  if (outcomes.accepted !== PAYMENTS)
    throw new Error(`the hub did not accept every payment: ${JSON.stringify(outcomes)}`);
  return round;
}

/** A measurement's rate over the rounds: from the median time, with every round's rate. */
function rateOf(rounds: readonly Round[], seconds: (round: Round) => number) {
  const rates = rounds.map((round) => Math.round(PAYMENTS / seconds(round)));
  const sorted = [...rates].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, rounds: rates };
}

function fractionOf(
  rounds: readonly Round[],
  name: string,
  ours: ReturnType<typeof rateOf>,
  limit: ReturnType<typeof rateOf>,
): Figure {
  return {
    name,
    value: Number((ours.median / limit.median).toFixed(3)),
    unit: 'ratio',
    context: {
      ours: ours.median,
      limit: limit.median,
      rounds: rounds.map((_, i) =>
        Number(((ours.rounds[i] ?? 0) / (limit.rounds[i] ?? 1)).toFixed(3)),
      ),
    },
  };
}

export async function ingestSqlite(): Promise<Figure[]> {
  const keys = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
  const device: Device = { id: uuidv7(), publicKey: await publicJwk(keys.publicKey) };
  const plain = await signedPaymentPushes({
    deviceId: device.id,
    privateKey: keys.privateKey,
    payments: PAYMENTS,
    batch: PUSH_BATCH,
    accountFor: (seq) => `acc-${String(1 + 2 * (seq % 100)).padStart(4, '0')}`,
  });
  const gzipped = plain.map((body) => new Uint8Array(gzipSync(body)));
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await measureRound(device, plain, gzipped));
  const http = rateOf(rounds, (round) => round.http.seconds);
  const local = rateOf(rounds, (round) => round.local.seconds);
  const raw = rateOf(rounds, (round) => round.raw.seconds);
  const echo = rateOf(rounds, (round) => round.echo.seconds);
  const last = rounds[rounds.length - 1] as Round;
  const run = { payments: PAYMENTS, batch: PUSH_BATCH, requests: plain.length };
  const gzipBytes = gzipped.reduce((total, body) => total + body.length, 0);
  const plainBytes = plain.reduce((total, body) => total + Buffer.byteLength(body), 0);
  return [
    {
      name: 'sync.push.bytes-per-payment',
      value: Math.round(gzipBytes / PAYMENTS),
      unit: 'bytes',
      context: {
        compression: 'gzip',
        plainBytesPerPayment: Math.round(plainBytes / PAYMENTS),
        batch: PUSH_BATCH,
      },
    },
    {
      name: 'ingest.sqlite.payments-per-second',
      value: http.median,
      unit: 'payments/s',
      context: {
        ...run,
        rounds: http.rounds,
        requestsPerSecond: Number(((http.median * plain.length) / PAYMENTS).toFixed(1)),
        path: 'HTTP on 127.0.0.1 to one hub child process (hub/main.ts via tests/support/hub-cluster.ts); gzip bodies with the headers client/api.ts sends, one after another over keep-alive fetch',
        outcomes: outcomesOf(last.http.answers),
        answerBytes: last.http.answerBytes,
      },
    },
    {
      name: 'ingest.sqlite.in-process.payments-per-second',
      value: local.median,
      unit: 'payments/s',
      context: {
        ...run,
        rounds: local.rounds,
        path: 'in-process app.request, the same gzip bodies and headers',
      },
    },
    {
      name: 'limits.sqlite.raw-insert.payments-per-second',
      value: raw.median,
      unit: 'payments/s',
      context: {
        ...run,
        rounds: raw.rounds,
        commitShare: rounds.map((round) =>
          Number((round.raw.commitSeconds / round.raw.seconds).toFixed(2)),
        ),
        transactions: last.raw.transactions,
        rowsPerPayment: {
          facts: 1,
          payments: 1,
          bills: last.raw.allocationsPerPayment,
          allocations: last.raw.allocationsPerPayment,
          ledger: 1,
          accounts: 1,
        },
        rowsPerTransaction: { devices: 1, counters: 1 },
        pragmas: last.raw.pragmas,
        sameRowsAsHub: true,
      },
    },
    {
      name: 'limits.http.echo.payments-per-second',
      value: echo.median,
      unit: 'payments/s',
      context: {
        ...run,
        rounds: echo.rounds,
        requestsPerSecond: Number(((echo.median * plain.length) / PAYMENTS).toFixed(1)),
        path: 'HTTP on 127.0.0.1 to a child process: @hono/node-server, the hub’s gzip inflation, hono/compress; body read as text, not parsed; a fixed push-sized answer',
        answerBytes: last.echo.answerBytes,
      },
    },
    fractionOf(rounds, 'ingest.sqlite.fraction-of-raw-insert', http, raw),
    fractionOf(rounds, 'ingest.sqlite.fraction-of-http-echo', http, echo),
    fractionOf(rounds, 'ingest.sqlite.in-process.fraction-of-raw-insert', local, raw),
  ];
}
