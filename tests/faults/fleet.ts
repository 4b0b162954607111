/**
 * A fleet of devices for the fault tests: each one the device's real code (Dexie on
 * fake-indexeddb, the sign-in, the recording of facts and the sync engine the browser runs),
 * talking to a real hub over real HTTP. Each device keeps its own record of what it
 * recorded, which is the independent model the test checks the hub against: it is written
 * from what `recordCashPayment` returned, never read back from either database.
 *
 * A device runs like the app: a recorder takes payments at its own pace, and a sync loop runs
 * a round after every payment, again soon while facts wait or the last round failed, and
 * rarely when all is synced (the scheduler's 3 s and 30 s, shortened to fit a test).
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import type { FetchLike } from '../../client/api.ts';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { recordCashPayment, type DeviceDeps } from '../../client/db/facts.ts';
import { syncOnce, type SyncReport } from '../../client/sync/engine.ts';
import type { User } from '../../shared/api.ts';
import { minor } from '../../shared/money.ts';
import {
  accountSlots,
  amountMinor,
  PAYMENTS_PER_ACCOUNT_MAX,
  type AccountSlot,
} from './amounts.ts';
import type { PushWatch } from './push-watch.ts';
import type { Random } from './random.ts';

export interface DemoAgent {
  readonly username: string;
  readonly pin: string;
  /** The demo's accounts on this agent's route. */
  readonly accountIds: readonly string[];
}

function accountId(n: number): string {
  return `acc-${String(n).padStart(4, '0')}`;
}

/** The demo seed puts odd account numbers on Nyando (amina), even ones on Kabondo (baraka). */
export const demoAgents: readonly DemoAgent[] = [
  {
    username: 'amina',
    pin: '1234',
    accountIds: Array.from({ length: 100 }, (_, i) => accountId(2 * i + 1)),
  },
  {
    username: 'baraka',
    pin: '5678',
    accountIds: Array.from({ length: 100 }, (_, i) => accountId(2 * i + 2)),
  },
];

export interface RecordedPayment {
  readonly factId: string;
  readonly deviceIndex: number;
  readonly seq: number;
  readonly accountId: string;
  readonly amountMinor: number;
}

export interface FleetPhase {
  /** Recorders take payments while this holds. */
  recording: boolean;
  /** Once set, a sync loop ends when its recorder has ended and a round left nothing pending. */
  draining: boolean;
  /** A hard stop for every loop. */
  deadlineMs: number;
}

/** Accounts in a group: each device pays into two groups, its own and its neighbour's. */
const ACCOUNTS_PER_GROUP = 5;
const IDLE_ROUND_MS = 400;
const BUSY_ROUND_MIN_MS = 150;
const BUSY_ROUND_MAX_MS = 350;
const MAX_ROUNDS = 5_000;

export class Device {
  readonly recorded: RecordedPayment[] = [];
  private readonly paidCount = new Map<string, number>();
  /** Payments the device refused for a risk cap while the hub was out of reach. */
  capped = 0;
  /** How many rounds ended in each state: `state`, `state:error`, or for a failure with its message. */
  readonly roundStates = new Map<string, number>();
  deviceId = '';
  private agent: User | undefined;
  private wake: (() => void) | undefined;
  private readonly deps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => Date.now() };
  /**
   * The sync loop's pauses draw from their own generator, so that the payments a device
   * takes (amount, change, account, pace) follow from the seed whatever the network does.
   */
  private readonly pacing: Random;

  constructor(
    readonly index: number,
    readonly db: GridtallyDatabase,
    readonly demoAgent: DemoAgent,
    /** The accounts this device takes payments for, each shared with one other device. */
    readonly slots: readonly AccountSlot[],
    private readonly devices: number,
    private readonly random: Random,
    private readonly baseUrl: string,
    readonly fetch: FetchLike,
  ) {
    this.pacing = random.fork(0x5e7c);
  }

  /** Enrols the device with a supervisor's one-time code, then signs its agent in online. */
  async enrolAndSignIn(code: string): Promise<void> {
    const enrolled = await enrolDevice(this.db, this.baseUrl, code, this.deps, this.fetch);
    if (!enrolled.ok) throw new Error(`device ${this.index} could not enrol: ${enrolled.error}`);
    const result = await signInAgent(
      this.db,
      this.baseUrl,
      this.demoAgent.username,
      this.demoAgent.pin,
      this.deps,
      this.fetch,
    );
    if (!result.ok) throw new Error(`device ${this.index} could not sign in: ${result.error}`);
    this.agent = result.value;
    const device = await this.db.settings.get('device');
    if (device?.key !== 'device') throw new Error(`device ${this.index} has no identity`);
    this.deviceId = device.deviceId;
  }

  get accountIds(): string[] {
    return this.slots.map((slot) => slot.accountId);
  }

  /**
   * Takes a cash payment on one of the device's accounts, for an amount from the plan in
   * amounts.ts. 'capped': the device refused it for a risk cap (too much cash unsynced), as it
   * must, and nothing was recorded; 'full': every account has its most.
   */
  async recordPayment(): Promise<RecordedPayment | 'capped' | 'full'> {
    if (!this.agent) throw new Error('sign in first');
    const open = this.slots.filter(
      (slot) => (this.paidCount.get(slot.accountId) ?? 0) < PAYMENTS_PER_ACCOUNT_MAX,
    );
    if (open.length === 0) return 'full';
    const slot = this.random.pick(open);
    const accountId = slot.accountId;
    const k = this.paidCount.get(accountId) ?? 0;
    const amount = amountMinor(slot, k, this.index, this.devices);
    const change = this.random.next() < 0.5 ? 0 : this.random.int(1, 5_000);
    const result = await recordCashPayment(
      this.db,
      {
        accountId,
        currency: 'KES',
        amountMinor: minor(amount),
        tenderedMinor: minor(amount + change),
        agent: this.agent,
        // Every payment the fleet takes is meant: its agents confirm any duplicate warning.
        duplicateConfirmed: true,
      },
      this.deps,
    );
    if (!result.ok && result.error.startsWith('risk-cap')) {
      this.capped += 1;
      return 'capped';
    }
    if (!result.ok) throw new Error(`device ${this.index} refused a payment: ${result.error}`);
    this.paidCount.set(accountId, k + 1);
    const payment: RecordedPayment = {
      factId: result.value.id,
      deviceIndex: this.index,
      seq: result.value.seq,
      accountId,
      amountMinor: amount,
    };
    this.recorded.push(payment);
    this.wake?.();
    return payment;
  }

  async sync(): Promise<SyncReport> {
    const report = await syncOnce(this.db, {
      baseUrl: this.baseUrl,
      fetch: this.fetch,
      now: () => new Date(),
    });
    // A failure keeps its message too: it tells a cut reply from an unreadable one.
    const key =
      report.error === undefined
        ? report.state
        : report.state === 'failed'
          ? `${report.state}:${report.error} (${report.message})`
          : `${report.state}:${report.error}`;
    this.roundStates.set(key, (this.roundStates.get(key) ?? 0) + 1);
    return report;
  }

  /** Takes up to `count` payments, one every `minGapMs`..`maxGapMs`, while the phase records. */
  async runRecorder(
    phase: FleetPhase,
    count: number,
    minGapMs: number,
    maxGapMs: number,
  ): Promise<void> {
    for (let n = 0; n < count; n++) {
      await this.pause(this.random.int(minGapMs, maxGapMs), false);
      if (!phase.recording || Date.now() > phase.deadlineMs) return;
      if ((await this.recordPayment()) === 'full') return;
    }
  }

  /** Sync rounds until the phase drains and nothing is pending; the last report. */
  async runSync(phase: FleetPhase, recorder: Promise<void>): Promise<SyncReport | undefined> {
    let recorderDone = false;
    void recorder.finally(() => (recorderDone = true));
    let last: SyncReport | undefined;
    for (let round = 0; round < MAX_ROUNDS && Date.now() < phase.deadlineMs; round++) {
      last = await this.sync();
      const idle = last.state === 'synced' && last.pending === 0;
      if (idle && phase.draining && recorderDone) return last;
      await this.pause(
        idle ? IDLE_ROUND_MS : this.pacing.int(BUSY_ROUND_MIN_MS, BUSY_ROUND_MAX_MS),
        true,
      );
    }
    return last;
  }

  /** Waits `ms`, or less when `wakeable` and a payment is recorded meanwhile. */
  private pause(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      if (wakeable) this.wake = done;
    });
  }
}

let fleets = 0;

/**
 * Device `index` of `devices`: agents alternate (even indices amina on Nyando, odd baraka on
 * Kabondo), and each device's accounts come from its route's ring (amounts.ts).
 */
export function openDevice(
  index: number,
  devices: number,
  routeAccounts: readonly (readonly string[])[],
  random: Random,
  baseUrl: string,
  watch: PushWatch,
): Device {
  const route = index % demoAgents.length;
  const agent = demoAgents[route];
  const accounts = routeAccounts[route];
  if (!agent || !accounts) throw new Error('no demo agent for this device');
  const devicesInRoute = Math.ceil((devices - route) / demoAgents.length);
  const position = Math.floor(index / demoAgents.length);
  const slots = accountSlots(accounts, position, devicesInRoute, ACCOUNTS_PER_GROUP);
  const db = new GridtallyDatabase(
    `faults-${++fleets}-device-${index}`,
    {
      indexedDB,
      IDBKeyRange,
    },
    testVault(),
  );
  return new Device(index, db, agent, slots, devices, random, baseUrl, watch.fetchFor(index));
}
