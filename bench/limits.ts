/**
 * The limits hub ingest is measured against, in the same run (bench/ingest.ts):
 *
 * - Raw insert: the rows an accepted cash payment writes (its fact with the canonical document,
 *   the payment row, what it pays on bills and the allocation rows, its ledger entry, the
 *   account's new balance; the change counter and the device's chain head once per push), written
 *   with prepared better-sqlite3 statements into a fresh file with the hub's schema and the
 *   pragmas of the hub's own connection, one transaction per push. No reads, no verification,
 *   no decisions: what every row costs SQLite is the floor under ingest.
 * - HTTP echo: the hub's server stack (@hono/node-server, the hub's inflation of gzip request
 *   bodies, Hono's compression of answers) in a process of its own on 127.0.0.1, answering every
 *   push with a JSON answer the size of a push answer; the same client posts the same gzip
 *   bodies one after another over keep-alive fetch. No JSON parsing, no SQL: the floor HTTP sets.
 */
import { serve } from '@hono/node-server';
import BetterSqlite3 from 'better-sqlite3';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { sql } from 'kysely';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uuidv7 } from 'uuidv7';
import type { AppEnv } from '../hub/http/context.ts';
import { inflateBody } from '../hub/http/compression.ts';
import { openBillsOf } from '../hub/store/bills.ts';
import { openSqliteStore } from '../hub/store/sqlite.ts';
import { currentCounter, type Store } from '../hub/store/store.ts';
import { allocatePayment, openBills, type Bill } from '../shared/billing.ts';
import { readFact } from '../shared/facts.ts';
import { canonicalJson } from '../shared/hash.ts';
import { PROTOCOL_VERSION, type PushRequest, type PushResponse } from '../shared/protocol.ts';
import { freePort } from '../tests/support/ports.ts';

/** The headers client/api.ts sends with a gzip push. */
export const PUSH_HEADERS = {
  accept: 'application/json',
  'content-type': 'application/json',
  'content-encoding': 'gzip',
};

export interface Posted {
  readonly seconds: number;
  readonly requests: number;
  /** Every answer, parsed, in order. */
  readonly answers: readonly unknown[];
  /** Mean size of an answer as JSON text, after it was inflated. */
  readonly answerBytes: number;
}

/** Sends the bodies one after another, as one device's sync round does, reading every answer. */
export async function sendSequentially(
  bodies: readonly Uint8Array<ArrayBuffer>[],
  send: (body: Uint8Array<ArrayBuffer>) => Response | Promise<Response>,
): Promise<Posted> {
  const answers: unknown[] = [];
  let answerBytes = 0;
  const started = process.hrtime.bigint();
  for (const body of bodies) {
    const response = await send(body);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`push answered ${response.status}: ${text}`);
    answerBytes += text.length;
    answers.push(JSON.parse(text));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    seconds,
    requests: bodies.length,
    answers,
    answerBytes: Math.round(answerBytes / bodies.length),
  };
}

/** Posts the gzip bodies over keep-alive fetch (Node's fetch keeps the connection open). */
export function postSequentially(
  url: string,
  bodies: readonly Uint8Array<ArrayBuffer>[],
): Promise<Posted> {
  return sendSequentially(bodies, (body) =>
    fetch(url, { method: 'POST', headers: PUSH_HEADERS, body }),
  );
}

// --- raw insert ------------------------------------------------------------------------------

/**
 * Connection settings read off the hub's own connection (hub/store/sqlite.ts does not export
 * them) and set on the raw one. Settings the hub leaves alone read as SQLite's defaults, and
 * setting a default again changes nothing, so a setting the hub adds later is carried over.
 */
const CONNECTION_PRAGMAS = [
  'journal_mode',
  'synchronous',
  'foreign_keys',
  'busy_timeout',
  'locking_mode',
  'cache_size',
  'mmap_size',
  'temp_store',
  'wal_autocheckpoint',
  'journal_size_limit',
] as const;

type Pragmas = Record<string, string | number>;

async function pragmasOf(store: Store): Promise<Pragmas> {
  const settings: Pragmas = {};
  for (const name of CONNECTION_PRAGMAS) {
    const result = await sql<Record<string, string | number>>`pragma ${sql.raw(name)}`.execute(
      store.db,
    );
    const value = Object.values(result.rows[0] ?? {})[0];
    if (value !== undefined) settings[name] = value;
  }
  return settings;
}

function setPragmas(connection: BetterSqlite3.Database, settings: Pragmas): void {
  for (const [name, value] of Object.entries(settings)) connection.pragma(`${name} = ${value}`);
  for (const [name, value] of Object.entries(settings)) {
    const now = connection.pragma(name, { simple: true }) as string | number;
    if (String(now) !== String(value))
      throw new Error(`pragma ${name} is ${now} on the raw connection, ${value} on the hub's`);
  }
}

type Params = readonly (string | number | null)[];

interface PlannedPayment {
  readonly fact: Params;
  readonly payment: Params;
  /** Each bill the payment pays: its update, then the allocation row. */
  readonly allocations: readonly { bill: Params; allocation: Params }[];
  readonly ledger: Params;
  readonly account: Params;
}

interface PlannedPush {
  readonly payments: readonly PlannedPayment[];
  /** The change counter after the push: its payments took the numbers up to it. */
  readonly counter: number;
  readonly device: Params;
}

/**
 * The rows the hub writes for these pushes, worked out before the clock from the store as
 * seeded: change numbers in order, bills paid oldest first (shared/billing.ts), balances.
 */
async function plannedRows(store: Store, bodies: readonly string[]): Promise<PlannedPush[]> {
  let change = await currentCounter(store.db, 'change');
  const balances = new Map<string, number>();
  for (const row of await store.db.selectFrom('accounts').select(['id', 'balance_minor']).execute())
    balances.set(row.id, Number(row.balance_minor));
  const open = new Map<string, Bill[]>();
  const pushes: PlannedPush[] = [];
  for (const body of bodies) {
    const request = JSON.parse(body) as PushRequest;
    const receivedAt = new Date().toISOString();
    const payments: PlannedPayment[] = [];
    for (const envelope of request.facts) {
      const read = readFact(envelope);
      if (!read.ok || read.value.kind !== 'payment')
        throw new Error(`the raw insert plans payments, not ${envelope.kind}`);
      const fact = read.value;
      const { accountId, amountMinor } = fact.body;
      change += 1;
      const allocation = allocatePayment(
        open.get(accountId) ?? (await openBillsOf(store.db, accountId)),
        amountMinor,
      );
      open.set(accountId, openBills(allocation.bills));
      const balance = (balances.get(accountId) ?? 0) - amountMinor;
      balances.set(accountId, balance);
      payments.push({
        fact: [
          fact.id,
          fact.deviceId,
          fact.seq,
          fact.kind,
          fact.hash,
          fact.prevHash,
          fact.hlc,
          fact.agentId,
          fact.recordedAt,
          canonicalJson(envelope),
          receivedAt,
          'accepted',
          null,
          null,
          change,
        ],
        payment: [
          fact.id,
          accountId,
          fact.agentId,
          fact.body.currency,
          amountMinor,
          fact.body.method,
          fact.body.receiptNumber,
          fact.recordedAt,
          receivedAt,
          change,
          'accepted',
          null,
          fact.hlc,
        ],
        allocations: allocation.allocations.map((part) => ({
          bill: [part.amountMinor, part.billId],
          allocation: [fact.id, part.billId, part.amountMinor],
        })),
        ledger: [fact.id, accountId, -amountMinor, change],
        account: [balance, change, accountId],
      });
    }
    const last = request.facts[request.facts.length - 1];
    if (!last) throw new Error('an empty push');
    pushes.push({
      payments,
      counter: change,
      device: [last.seq, last.hash, receivedAt, request.deviceId],
    });
  }
  return pushes;
}

function statementsOf(connection: BetterSqlite3.Database) {
  const prepare = (text: string) => connection.prepare(text);
  return {
    begin: prepare('begin immediate'),
    commit: prepare('commit'),
    counter: prepare(`update counters set value = ? where name = 'change'`),
    fact: prepare(
      `insert into facts (id, device_id, seq, kind, hash, prev_hash, hlc, agent_id, recorded_at,
         document, received_at, outcome, flag_reason, flag_detail, change_seq)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    payment: prepare(
      `insert into payments (fact_id, account_id, agent_id, currency, amount_minor, method,
         receipt_number, taken_at, received_at, change_seq, status, flag_reason, hlc)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    bill: prepare('update bills set paid_minor = paid_minor + ? where id = ?'),
    allocation: prepare(
      'insert into allocations (payment_fact_id, bill_id, amount_minor) values (?, ?, ?)',
    ),
    ledger: prepare(
      'insert into ledger (source, account_id, delta_minor, change_seq) values (?, ?, ?, ?)',
    ),
    account: prepare('update accounts set balance_minor = ?, change_seq = ? where id = ?'),
    device: prepare(
      'update devices set head_seq = ?, head_hash = ?, last_push_at = ? where id = ?',
    ),
  };
}

/** Writes the planned rows, one transaction per push; returns the time in all and in commits. */
function insertRows(connection: BetterSqlite3.Database, pushes: readonly PlannedPush[]) {
  const statements = statementsOf(connection);
  let commitNs = 0n;
  const started = process.hrtime.bigint();
  for (const push of pushes) {
    statements.begin.run();
    // The change numbers of a push are taken at once, as the hub can (takeCounters).
    statements.counter.run(push.counter);
    for (const payment of push.payments) {
      statements.fact.run(...payment.fact);
      statements.payment.run(...payment.payment);
      for (const part of payment.allocations) {
        statements.bill.run(...part.bill);
        statements.allocation.run(...part.allocation);
      }
      statements.ledger.run(...payment.ledger);
      statements.account.run(...payment.account);
    }
    statements.device.run(...push.device);
    const committing = process.hrtime.bigint();
    statements.commit.run();
    commitNs += process.hrtime.bigint() - committing;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, commitSeconds: Number(commitNs) / 1e9 };
}

/** What ingest leaves in a store, to check that the raw insert wrote what the hub writes. */
export function storeDigest(connection: BetterSqlite3.Database): Record<string, number> {
  return connection
    .prepare(
      `select (select count(*) from facts) as facts,
              (select count(*) from facts where outcome = 'accepted') as acceptedFacts,
              (select count(*) from payments) as payments,
              (select count(*) from payments where status = 'accepted') as acceptedPayments,
              (select count(*) from allocations) as allocations,
              (select count(*) from ledger) as ledger,
              (select sum(balance_minor) from accounts) as balanceMinor,
              (select sum(paid_minor) from bills) as paidMinor`,
    )
    .get() as Record<string, number>;
}

export interface RawInsert {
  readonly seconds: number;
  readonly commitSeconds: number;
  readonly transactions: number;
  readonly payments: number;
  readonly allocationsPerPayment: number;
  readonly pragmas: Pragmas;
  readonly digest: Record<string, number>;
}

/**
 * Raw insert of the pushes' payments into a fresh store: `prepare` seeds it and enrols the
 * device, as for the hub; then every push's rows are written in one transaction.
 */
export async function rawSqliteInsertRate(
  bodies: readonly string[],
  prepare: (store: Store) => Promise<void>,
): Promise<RawInsert> {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-limits-'));
  const file = join(folder, 'raw.sqlite');
  try {
    const store = await openSqliteStore(file);
    let pragmas: Pragmas;
    let pushes: PlannedPush[];
    try {
      await prepare(store);
      pragmas = await pragmasOf(store);
      pushes = await plannedRows(store, bodies);
    } finally {
      await store.close();
    }
    const connection = new BetterSqlite3(file);
    try {
      setPragmas(connection, pragmas);
      const { seconds, commitSeconds } = insertRows(connection, pushes);
      const payments = pushes.reduce((total, push) => total + push.payments.length, 0);
      const allocations = pushes.reduce(
        (total, push) => total + push.payments.reduce((n, p) => n + p.allocations.length, 0),
        0,
      );
      return {
        seconds,
        commitSeconds,
        transactions: pushes.length,
        payments,
        allocationsPerPayment: allocations / payments,
        pragmas,
        digest: storeDigest(connection),
      };
    } finally {
      connection.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

// --- HTTP echo -------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ECHO_FLAG = '--serve-echo';
const START_TIMEOUT_MS = 60_000;

/** An answer shaped and sized like the hub's answer to a push of `facts` accepted facts. */
function pushSizedAnswer(facts: number): string {
  const answer: PushResponse = {
    formatVersion: PROTOCOL_VERSION,
    deviceId: uuidv7(),
    ackedSeq: facts,
    results: Array.from({ length: facts }, (_, i) => ({
      id: uuidv7(),
      seq: i + 1,
      outcome: 'accepted' as const,
      changeSeq: 1_000 + i,
    })),
  };
  return JSON.stringify(answer);
}

function echoApp(answer: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    await inflateBody(c, 64 * 1024 * 1024);
    await next();
  });
  app.use('*', compress());
  app.get('/health', (c) => c.text('ok'));
  app.post('/echo', async (c) => {
    await c.req.text();
    return c.body(answer, 200, { 'content-type': 'application/json' });
  });
  return app;
}

async function startEchoServer(answerFacts: number) {
  const port = await freePort();
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, ECHO_FLAG, String(port), String(answerFacts)],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the echo server exited while starting');
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`the echo server did not answer within ${START_TIMEOUT_MS} ms`);
}

/** The same gzip bodies posted to a bare echo on the hub's server stack, in its own process. */
export async function httpEchoRate(
  bodies: readonly Uint8Array<ArrayBuffer>[],
  answerFacts: number,
): Promise<Posted> {
  const server = await startEchoServer(answerFacts);
  try {
    return await postSequentially(`${server.url}/echo`, bodies);
  } finally {
    await server.stop();
  }
}

if (process.argv[2] === ECHO_FLAG && process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = echoApp(pushSizedAnswer(Number(process.argv[4])));
  serve({ fetch: app.fetch, port: Number(process.argv[3]), hostname: '127.0.0.1' });
}
