/**
 * Test harness for the hub, shared by the in-process tests in this folder. It opens a real
 * SQLite store seeded with the demo deployment (a copy of one seeded once per process, in
 * RAM), and builds the Hono app around it with a stepping clock, so that every request sees a
 * later, known time and nothing depends on the machine's clock. It also plays the part of a
 * device: it builds valid hash chains of payment facts with the same shared code a device uses
 * (sealFact, formatHlc), with ids made deterministically from UUIDv7 fields so a failing run
 * can be replayed exactly.
 */
import { UUID } from 'uuidv7';
import { createApp } from '../../hub/app.ts';
import { recordAgentOnDevice } from '../../hub/auth/sessions.ts';
import { hashSecret } from '../../hub/auth/secrets.ts';
import { enrolDevice, issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import { base64url, ECDSA_KEY, ECDSA_SIGNING, pushSigningText } from '../../shared/devices.ts';
import { demoSignIns, seedDemo } from '../../hub/demo/seed.ts';
import { startPostgres } from '../support/postgres.ts';
import { TEST_HASHING } from '../support/hashing.ts';
import { postgresTemplate, sqliteTemplate, type StoreTemplate } from '../support/store-template.ts';
import type { Store } from '../../hub/store/store.ts';
import type { SignInResponse } from '../../shared/api.ts';
import { formatHlc } from '../../shared/clock.ts';
import {
  sealFact,
  type CashPaymentBody,
  type PaymentDetails,
  type BudgetBody,
  type ContactBody,
  type Fact,
  type FactKind,
  type FactOf,
  type ReadingBody,
  type SpotBillBody,
  type UnsignedFactOf,
  type VoidBody,
} from '../../shared/facts.ts';
import { GENESIS_HASH, type Sha256Hex } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';
import { PROTOCOL_VERSION, type PullRequest, type PushRequest } from '../../shared/protocol.ts';

/**
 * A seeded store for one test (see `seedTestHub`): a copy of this process's template, made on
 * first use (tests/support/store-template.ts), on SQLite, or with GRIDTALLY_TEST_STORE=postgres
 * on the test run's throw-away PostgreSQL cluster (tests/support/vitest-setup.ts; the suite
 * fails, naming what is missing, when PostgreSQL is not there).
 */
async function openSeededTestStore(): Promise<Store> {
  template ??= makeTestTemplate();
  return (await template).open();
}

let template: Promise<StoreTemplate> | undefined;

async function makeTestTemplate(): Promise<StoreTemplate> {
  if (process.env.GRIDTALLY_TEST_STORE !== 'postgres') return sqliteTemplate(seedTestHub);
  const server = await startPostgres();
  process.once('exit', () => server.stopNow());
  return postgresTemplate(server, seedTestHub, { poolSize: 2, idleTimeoutMs: 1_000 });
}

/** The day the demo is seeded and the hub clock's first reading. */
export const HUB_START = new Date('2026-11-20T09:00:00.000Z');

/** Each reading of the hub clock is this much later than the one before. */
export const CLOCK_STEP_MS = 1000;

export type App = ReturnType<typeof createApp>;

export interface Hub {
  readonly store: Store;
  readonly app: App;
  /** What the hub clock will read next, without reading it. */
  readonly peekClock: () => Date;
  /** Moves the hub clock on, as if that much time passed between requests. */
  readonly advanceClock: (ms: number) => void;
}

/**
 * A seeded hub with a clock that steps one second a read, on a fresh store of its own (see
 * `openSeededTestStore`) unless a test hands in an empty one (a database of another engine,
 * for the store contract), which is seeded here the same way.
 */
export async function openHub(given?: Store): Promise<Hub> {
  const store = given ?? (await openSeededTestStore());
  if (given) await seedTestHub(given);
  let nextMs = HUB_START.getTime();
  const now = () => {
    const reading = new Date(nextMs);
    nextMs += CLOCK_STEP_MS;
    return reading;
  };
  return {
    store,
    app: createApp({ store, now, secretHashing: TEST_HASHING }),
    peekClock: () => new Date(nextMs),
    advanceClock: (ms) => {
      nextMs += ms;
    },
  };
}

/**
 * What every test hub starts from: the demo seeded at HUB_START, and TABLET_A and TABLET_B
 * enrolled with this process's keys (deviceKey).
 */
async function seedTestHub(store: Store): Promise<void> {
  await seedDemo(store, HUB_START, undefined, TEST_HASHING);
  await enrolTablet(store, TABLET_A, HUB_START);
  await enrolTablet(store, TABLET_B, HUB_START);
  await seedOtherRegion(store);
  // Both agents have signed in on both tablets before: their facts from either are theirs.
  await store.transaction(async (trx) => {
    for (const device of [TABLET_A, TABLET_B])
      for (const agent of [amina, baraka])
        await recordAgentOnDevice(trx, device, `user-${agent.username}`, HUB_START);
  });
}

/**
 * A second region with its own supervisor and no routes or devices yet: what she oversees is
 * none of the demo's (tests/hub/authorization.test.ts).
 */
export const otieno = {
  username: 'otieno',
  password: 'nairobi-supervisor',
  regionId: 'region-nairobi',
};

async function seedOtherRegion(store: Store): Promise<void> {
  const secretHash = await hashSecret(otieno.password, TEST_HASHING);
  await store.transaction(async (trx) => {
    await trx.insertInto('regions').values({ id: otieno.regionId, name: 'Nairobi' }).execute();
    await trx
      .insertInto('users')
      .values({
        id: 'user-otieno',
        username: otieno.username,
        display_name: 'Otieno Kamau',
        role: 'supervisor',
        route_id: null,
        secret_hash: secretHash,
        region_id: otieno.regionId,
      })
      .execute();
  });
}

export const amina = demoSignIns.agents[0];
export const baraka = demoSignIns.agents[1];
export const grace = demoSignIns.supervisor;
/** The demo's admin: every region, and the only one who publishes tariffs. */
export const ruth = demoSignIns.admin;

export async function signInAdmin(app: App): Promise<SignInResponse> {
  return signInSupervisor(app, ruth);
}

/** Device ids, fixed and distinct, lower-case UUIDv7 as a device would make them. */
export const TABLET_A = deviceId(1);
export const TABLET_B = deviceId(2);
export const TABLET_C = deviceId(3);

function deviceId(n: number): string {
  return UUID.fromFieldsV7(Date.UTC(2026, 0, 5), 0x0de, 0x1000 + n, 0xd0d0 + n).toString();
}

export async function request(
  app: App,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  token?: string,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return app.request(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function signInAgent(
  app: App,
  agent: { username: string; pin: string },
  device: string,
): Promise<SignInResponse> {
  const response = await request(app, 'POST', '/api/auth/agent', {
    username: agent.username,
    pin: agent.pin,
    deviceId: device,
  });
  if (response.status !== 200)
    throw new Error(`agent sign-in failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as SignInResponse;
}

export async function signInSupervisor(
  app: App,
  who: { readonly username: string; readonly password: string } = grace,
): Promise<SignInResponse> {
  const response = await request(app, 'POST', '/api/auth/supervisor', {
    username: who.username,
    password: who.password,
  });
  if (response.status !== 200)
    throw new Error(`supervisor sign-in failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as SignInResponse;
}

/** The moment the first fact of every chain was recorded on the device; later ones step on. */
export const DEVICE_START_MS = Date.UTC(2026, 10, 19, 7, 30);

/**
 * A device's chain of facts, built as a device builds it: each fact's seq is one more than
 * the last, its prevHash is the last hash, its clock stamp moves forward. Facts are only
 * built here; sending them is the test's business.
 */
export class DeviceChain {
  private headSeq = 0;
  private headHash: Sha256Hex = GENESIS_HASH;
  readonly facts: Fact[] = [];

  constructor(
    readonly deviceId: string,
    readonly agentId: string,
  ) {}

  /** A cash payment; unless told otherwise, tendered is the amount and the change nothing. */
  payment(
    body: Pick<CashPaymentBody, 'accountId' | 'amountMinor'> & Partial<CashPaymentBody>,
  ): FactOf<'payment'> {
    return this.append('payment', {
      currency: 'KES',
      method: 'cash',
      tenderedMinor: body.amountMinor,
      changeMinor: minor(0),
      receiptNumber: `R-${this.deviceId.slice(-6)}-${this.headSeq + 1}`,
      ...body,
    });
  }

  /** A payment by another method than cash: its details, as the app's form makes them. */
  paymentBy(
    body: Pick<CashPaymentBody, 'accountId' | 'amountMinor'>,
    details: Exclude<PaymentDetails, { method: 'cash' }>,
  ): FactOf<'payment'> {
    return this.append('payment', {
      currency: 'KES',
      receiptNumber: `R-${this.deviceId.slice(-6)}-${this.headSeq + 1}`,
      ...body,
      ...details,
    });
  }

  /** A void of `payment` (its account and amount unless told otherwise). */
  voidOf(
    payment: Pick<FactOf<'payment'>, 'id' | 'body'>,
    body: Partial<VoidBody> = {},
  ): FactOf<'void'> {
    return this.append('void', {
      accountId: payment.body.accountId,
      paymentId: payment.id,
      amountMinor: payment.body.amountMinor,
      reason: 'wrong-account',
      ...body,
    });
  }

  contact(body: ContactBody): FactOf<'contact'> {
    return this.append('contact', body);
  }

  reading(body: ReadingBody): FactOf<'reading'> {
    return this.append('reading', body);
  }

  spotBill(body: SpotBillBody): FactOf<'spot-bill'> {
    return this.append('spot-bill', body);
  }

  budget(body: BudgetBody, recordedMs?: number): FactOf<'budget'> {
    return this.append('budget', body, recordedMs);
  }

  /** Any fact, `minutesLater` after the previous one by this device's clock (one by default). */
  append<K extends FactKind>(
    kind: K,
    body: UnsignedFactOf<K>['body'],
    recordedMs = DEVICE_START_MS + (this.headSeq + 1) * 60_000,
  ): FactOf<K> {
    const seq = this.headSeq + 1;
    const fact = sealFact({
      id: UUID.fromFieldsV7(
        recordedMs,
        seq & 0xfff,
        0x2000 + seq,
        parseInt(this.deviceId.slice(-8), 16),
      ).toString(),
      deviceId: this.deviceId,
      seq,
      prevHash: this.headHash,
      hlc: formatHlc({ wallMs: recordedMs, counter: 0, node: this.deviceId }),
      agentId: this.agentId,
      recordedAt: new Date(recordedMs).toISOString(),
      kind,
      body,
    } as unknown as UnsignedFactOf<K>) as unknown as FactOf<K>;
    this.facts.push(fact);
    this.headSeq = seq;
    this.headHash = fact.hash as Sha256Hex;
    return fact;
  }
}

/**
 * Each test tablet's signing key, made once per test process: ECDSA P-256 as a device makes
 * it. openHub enrols TABLET_A and TABLET_B with their public keys; TABLET_C stays unenrolled.
 */
const deviceKeys = new Map<string, CryptoKeyPair>();

export async function deviceKey(device: string): Promise<CryptoKeyPair> {
  let pair = deviceKeys.get(device);
  if (!pair) {
    pair = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
    deviceKeys.set(device, pair);
  }
  return pair;
}

export async function enrolTablet(store: Store, device: string, now: Date): Promise<void> {
  const { code } = await issueEnrolmentCode(store, 'user-grace', now);
  const jwk = await crypto.subtle.exportKey('jwk', (await deviceKey(device)).publicKey);
  const publicKey = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x ?? '', y: jwk.y ?? '' };
  await enrolDevice(store, { code: code.replace(/-/g, ''), deviceId: device, publicKey }, now);
}

/** A push as the device sends it, signed by `signedBy`'s key (the device itself unless a test forges). */
export async function pushBody(
  device: string,
  facts: readonly Fact[],
  signedBy = device,
  sentAtMs?: number,
): Promise<PushRequest> {
  const message = {
    formatVersion: PROTOCOL_VERSION,
    deviceId: device,
    facts: [...facts],
    ...(sentAtMs === undefined ? {} : { sentAtMs }),
  };
  const key = (await deviceKey(signedBy)).privateKey;
  const signature = await crypto.subtle.sign(
    ECDSA_SIGNING,
    key,
    new TextEncoder().encode(pushSigningText(message)),
  );
  return { ...message, signature: base64url(signature) };
}

export function pullBody(device: string, cursor: number, limit?: number): PullRequest {
  return {
    formatVersion: PROTOCOL_VERSION,
    deviceId: device,
    cursor,
    ...(limit === undefined ? {} : { limit }),
  };
}

/** How many rows each table the sync touches holds: a push that changes nothing keeps these. */
export async function rowCounts(store: Store): Promise<Record<string, number>> {
  const tables = [
    'facts',
    'payments',
    'allocations',
    'bills',
    'accounts',
    'audit',
    'devices',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

export interface AccountState {
  readonly balanceMinor: number;
  readonly changeSeq: number;
  readonly bills: readonly { id: string; dueOn: string; amountMinor: number; paidMinor: number }[];
}

/** An account's balance and every bill, oldest first, straight from the store. */
export async function accountState(store: Store, accountId: string): Promise<AccountState> {
  const account = await store.db
    .selectFrom('accounts')
    .select(['balance_minor', 'change_seq'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const bills = await store.db
    .selectFrom('bills')
    .select(['id', 'due_on', 'amount_minor', 'paid_minor'])
    .where('account_id', '=', accountId)
    .orderBy('due_on')
    .orderBy('issued_on')
    .orderBy('id')
    .execute();
  return {
    balanceMinor: Number(account.balance_minor),
    changeSeq: Number(account.change_seq),
    bills: bills.map((bill) => ({
      id: bill.id,
      dueOn: bill.due_on,
      amountMinor: Number(bill.amount_minor),
      paidMinor: Number(bill.paid_minor),
    })),
  };
}

/**
 * The first account in a route with at least `openBillCount` open bills, so a test can pay
 * across bills without depending on which seeded customer happens to owe what.
 */
export async function accountWithOpenBills(
  store: Store,
  routeId: string,
  openBillCount: number,
): Promise<string> {
  const row = await store.db
    .selectFrom('bills')
    .innerJoin('accounts', 'accounts.id', 'bills.account_id')
    .select(['accounts.id', (eb) => eb.fn.countAll<number>().as('open')])
    .where('accounts.route_id', '=', routeId)
    .whereRef('bills.paid_minor', '<', 'bills.amount_minor')
    .groupBy('accounts.id')
    .having((eb) => eb.fn.countAll(), '>=', openBillCount)
    .orderBy('accounts.id')
    .executeTakeFirst();
  if (!row) throw new Error(`no account in ${routeId} has ${openBillCount} open bills`);
  return row.id;
}

/**
 * Every row of every table a push or a sign-in can write, in a fixed order: two dumps are
 * equal exactly when nothing was written in between.
 */
export async function storeDump(store: Store): Promise<Record<string, unknown[]>> {
  const { db } = store;
  return {
    accounts: await db
      .selectFrom('accounts')
      .select(['id', 'balance_minor', 'change_seq'])
      .orderBy('id')
      .execute(),
    bills: await db.selectFrom('bills').select(['id', 'paid_minor']).orderBy('id').execute(),
    facts: await db.selectFrom('facts').selectAll().orderBy('id').execute(),
    payments: await db.selectFrom('payments').selectAll().orderBy('fact_id').execute(),
    allocations: await db
      .selectFrom('allocations')
      .selectAll()
      .orderBy('payment_fact_id')
      .orderBy('bill_id')
      .execute(),
    devices: await db.selectFrom('devices').selectAll().orderBy('id').execute(),
    counters: await db.selectFrom('counters').selectAll().orderBy('name').execute(),
    audit: await db.selectFrom('audit').selectAll().orderBy('id').execute(),
  };
}

/** The open bills of an account before a payment, oldest first, with what each still asks. */
export function openOf(
  state: AccountState,
): { id: string; outstandingMinor: number; paidMinor: number }[] {
  return state.bills
    .filter((bill) => bill.paidMinor < bill.amountMinor)
    .map((bill) => ({
      id: bill.id,
      outstandingMinor: bill.amountMinor - bill.paidMinor,
      paidMinor: bill.paidMinor,
    }));
}
