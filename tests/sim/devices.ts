/**
 * Simulated devices. Each is the device's real code — the Dexie database on fake-indexeddb,
 * enrolment, the recording of cash payments, the sync engine — with a clock that is the
 * simulation's clock plus a skew of up to ±7 days and an id maker fed from the seed. A device
 * may have two tabs: two `GridtallyDatabase` instances of one name on one IndexedDB factory,
 * each recording and running its own sync rounds, as two browser tabs of one device do.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { callHub, type FetchLike } from '../../client/api.ts';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { Vault } from '../../client/db/vault.ts';
import { testVault } from '../support/vault.ts';
import { GridtallyDatabase, type DeviceRecord } from '../../client/db/database.ts';
import {
  ensureDevice,
  recordCashPayment,
  recordContactEdit,
  recordVoid,
  type DeviceDeps,
} from '../../client/db/facts.ts';
import { syncOnce, type SyncReport } from '../../client/sync/engine.ts';
import { signInResponseSchema, type User } from '../../shared/api.ts';
import type { ContactField, VoidBody } from '../../shared/facts.ts';
import { minor, type CurrencyCode } from '../../shared/money.ts';
import { BASE_URL } from './hub.ts';
import { Proc, type SimNetwork } from './network.ts';
import type { Random } from './random.ts';
import type { SimAgent, TemplateDevice } from './template.ts';

export const DAY_MS = 24 * 3600 * 1000;
export const MAX_SKEW_MS = 7 * DAY_MS;

export class Tab {
  db: GridtallyDatabase;
  proc: Proc | undefined;
  readonly fetch: FetchLike;

  constructor(
    readonly device: SimDevice,
    readonly index: number,
    network: SimNetwork,
  ) {
    this.db = device.openDatabase();
    this.fetch = network.fetchFor({
      label: this.label,
      proc: () => this.proc,
      offline: () => this.device.offline,
    });
  }

  get label(): string {
    return `${this.device.label}.t${this.index}`;
  }

  get busy(): boolean {
    return this.proc !== undefined && !this.proc.done;
  }

  /** Starts device code in this tab; returns once it parked on the network or ended. */
  async run(body: () => Promise<unknown>): Promise<Proc> {
    if (this.busy) throw new Error(`${this.label} is already running`);
    const proc = new Proc(this.label);
    // Set before the body starts: the body's first fetch parks this Proc.
    this.proc = proc;
    await proc.start(body);
    return proc;
  }

  /** A sync round as the tab's worker runs it. */
  syncRound(): Promise<SyncReport> {
    return syncOnce(this.db, {
      baseUrl: BASE_URL,
      fetch: this.fetch,
      now: () => new Date(this.device.nowMs()),
    });
  }

  /** The tab is closed or reloaded: its running code stops where it is. */
  reload(): void {
    this.db.close();
    this.proc = undefined;
    this.db = this.device.openDatabase();
  }

  close(): void {
    this.db.close();
    this.proc = undefined;
  }
}

export class SimDevice {
  readonly label: string;
  readonly tabs: (Tab | undefined)[] = [];
  readonly deps: DeviceDeps;
  skewMs: number;
  offline = false;
  offlineUntilStep = 0;
  deviceId = '';
  /** Set once a round pulled the route: the agent can find customers from then on. */
  knowsAccounts = false;
  user: User | undefined;
  private readonly factory = new IDBFactory();
  /**
   * The device's data key, shared by its tabs as the app's tabs share it (client/auth/tabs.ts).
   * Unlocked with a made-up master secret when the sign-in is not the app's own (below).
   */
  readonly vault = testVault();
  private ticks = 0;

  constructor(
    readonly index: number,
    readonly agent: SimAgent,
    private readonly random: Random,
    private readonly clockMs: () => number,
    private readonly dbName: string,
  ) {
    this.label = `d${index}`;
    this.skewMs = random.int(-MAX_SKEW_MS, MAX_SKEW_MS);
    this.deps = {
      makeId: () => this.random.uuidv7(this.nowMs()),
      nowMs: () => this.nowMs(),
    };
  }

  /** The device's wall clock: the world's, skewed, and moving on a little at every reading. */
  nowMs(): number {
    return this.clockMs() + this.skewMs + ++this.ticks;
  }

  openDatabase(): GridtallyDatabase {
    return new GridtallyDatabase(this.dbName, { indexedDB: this.factory, IDBKeyRange }, this.vault);
  }

  openTabs(): Tab[] {
    return this.tabs.filter((tab): tab is Tab => tab !== undefined);
  }

  /** Any open tab's database: they are one database. */
  db(): GridtallyDatabase {
    const tab = this.openTabs()[0];
    if (!tab) throw new Error(`${this.label} has no open tab`);
    return tab.db;
  }

  /**
   * The browser's storage is wiped: every tab is closed (what they had on the wire is theirs
   * to lose) and the IndexedDB database deleted. The device forgets its identity, its key, its
   * session and every fact; it must be enrolled again, as a new device.
   */
  async wipeStorage(): Promise<void> {
    for (const tab of this.openTabs()) tab.close();
    this.tabs.length = 0;
    await new Promise<void>((resolve, reject) => {
      const request = this.factory.deleteDatabase(this.dbName);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error ?? new Error('deleteDatabase failed'));
      request.onblocked = () => reject(new Error(`${this.label}: a tab still holds the database`));
    });
    this.vault.lock();
    this.deviceId = '';
    this.user = undefined;
    this.knowsAccounts = false;
  }

  async deviceRecord(): Promise<DeviceRecord> {
    const record = await this.db().settings.get('device');
    if (record?.key !== 'device') throw new Error(`${this.label} has no device record`);
    return record;
  }
}

/**
 * Enrols the device with a supervisor's code and signs its agent in. `real` uses the app's
 * `signInAgent`; otherwise the same hub route is called and the session stored as
 * `signInAgent` stores it, with the device's data opened by a made-up master secret instead of
 * the hub's secret and the PIN's wrap (PBKDF2 at 600,000 rounds, about 0.3 s a sign-in, which
 * would be most of a run's time and is not sync).
 */
export async function enrolAndSignIn(
  tab: Tab,
  code: string,
  real: boolean,
): Promise<{ deviceId: string; user: User }> {
  const device = tab.device;
  const enrolled = await enrolDevice(tab.db, BASE_URL, code, device.deps, tab.fetch);
  if (!enrolled.ok) throw new Error(`${device.label} enrolment failed: ${enrolled.error}`);
  const { deviceId } = await ensureDevice(tab.db, device.deps);
  const agent = device.agent;
  if (real) {
    const signedIn = await signInAgent(
      tab.db,
      BASE_URL,
      agent.username,
      agent.pin,
      device.deps,
      tab.fetch,
    );
    if (!signedIn.ok) throw new Error(`${device.label} sign-in failed: ${signedIn.error}`);
    return { deviceId, user: signedIn.value };
  }
  const answer = await callHub(
    BASE_URL,
    {
      method: 'POST',
      path: '/api/auth/agent',
      body: { username: agent.username, pin: agent.pin, deviceId },
    },
    signInResponseSchema,
    tab.fetch,
  );
  if (!answer.ok) throw new Error(`${device.label} sign-in failed: ${answer.error.code}`);
  if (!device.vault.unlocked) device.vault.unlock(Vault.newMaster());
  await tab.db.transaction('rw', tab.db.settings, async () => {
    await tab.db.settings.put({
      key: 'session',
      user: answer.value.user,
      token: answer.value.token,
      expiresAt: answer.value.expiresAt,
      signedInOffline: false,
    });
  });
  return { deviceId, user: answer.value.user };
}

/**
 * Gives the device the identity, key and session of a device enrolled on the template hub:
 * its record is made by the app's `ensureDevice` (with the template's id), then holds what
 * `enrolDevice` and a sign-in leave behind.
 */
export async function installTemplateDevice(tab: Tab, from: TemplateDevice): Promise<void> {
  const db = tab.db;
  const device = tab.device;
  if (!device.vault.unlocked) device.vault.unlock(Vault.newMaster());
  await ensureDevice(db, { makeId: () => from.deviceId, nowMs: () => device.nowMs() });
  await db.transaction('rw', db.settings, async () => {
    const current = (await db.settings.get('device')) as DeviceRecord;
    await db.settings.put({
      ...current,
      signingKey: from.signingKey,
      publicKeyJwk: from.publicKeyJwk,
      enrolledAt: from.enrolledAt,
    });
    await db.settings.put({
      key: 'session',
      user: from.user,
      token: from.token,
      expiresAt: from.expiresAt,
      signedInOffline: false,
    });
  });
  device.deviceId = from.deviceId;
  device.user = from.user;
}

export interface PaymentInput {
  readonly accountId: string;
  readonly currency: CurrencyCode;
  readonly amountMinor: number;
  readonly tenderedMinor: number;
}

export async function recordPayment(tab: Tab, input: PaymentInput) {
  const user = agentOf(tab);
  return recordCashPayment(
    tab.db,
    {
      accountId: input.accountId,
      currency: input.currency,
      amountMinor: minor(input.amountMinor),
      tenderedMinor: minor(input.tenderedMinor),
      agent: user,
      // The simulated agent confirms the duplicate warning: the hub's duplicate rule is what
      // the simulation checks, so every payment it means to take is taken.
      duplicateConfirmed: true,
    },
    tab.device.deps,
  );
}

function agentOf(tab: Tab): User {
  const user = tab.device.user;
  if (!user) throw new Error(`${tab.label} has no signed-in agent`);
  return user;
}

/** A void through the app: of this device's own payment, or of another's from its receipt. */
export function recordVoidIn(
  tab: Tab,
  paymentId: string,
  reason: VoidBody['reason'],
  receipt?: { accountId: string; amountMinor: number },
) {
  return recordVoid(
    tab.db,
    {
      payment: { paymentId },
      reason,
      agent: agentOf(tab),
      ...(receipt
        ? { receipt: { accountId: receipt.accountId, amountMinor: minor(receipt.amountMinor) } }
        : {}),
    },
    tab.device.deps,
  );
}

/** A correction of one contact field through the app, from the tab's snapshot. */
export function recordContactEditIn(
  tab: Tab,
  accountId: string,
  field: ContactField,
  value: string,
) {
  return recordContactEdit(
    tab.db,
    { accountId, field, value, agent: agentOf(tab) },
    tab.device.deps,
  );
}
