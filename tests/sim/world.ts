/**
 * One simulated run, from its seed: a hub, twenty devices (by default) on four agents and
 * three routes, and random steps (40 by default, `--steps` for more) of payments, sync
 * rounds, tabs opening and reloading, clocks jumping, devices going offline, the hub
 * restarting and the network dropping, duplicating, delaying and reordering messages; then
 * quiescence (every device online, a perfect network, rounds until nothing moves) and the
 * checks against the independent model. A step is one event; delivering a parked request is
 * a step of its own, so the network's faults and orderings are drawn like everything else.
 *
 * Everything that happens is a function of the seed: see network.ts for how real async
 * device code is run one piece at a time. The trace lists every step, so a failing seed can
 * be read as well as replayed (`npm run sim -- --seed S --verbose`).
 */
import { createHash } from 'node:crypto';
import { accountView } from '../../client/db/accounts.ts';
import { issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import type { SyncReport } from '../../client/sync/engine.ts';
import { pendingCount } from '../../client/db/facts.ts';
import { checkWorld, type CheckStats } from './checks.ts';
import {
  DAY_MS,
  enrolAndSignIn,
  installTemplateDevice,
  MAX_SKEW_MS,
  recordPayment,
  SimDevice,
  Tab,
} from './devices.ts';
import { SimHub } from './hub.ts';
import { Model } from './model.ts';
import { SimNetwork, type Delivery } from './network.ts';
import { Random } from './random.ts';
import { template, TEMPLATE, type Template } from './template.ts';

export interface SimOptions {
  readonly devices: number;
  readonly steps: number;
  /**
   * `template`: devices start as the template's enrolled, signed-in devices, with nothing
   * pulled yet (fast; their ids are the template's). `enrol`: each device is enrolled with a
   * fresh code through the app's `enrolDevice`, signs in and runs a first round, all on a
   * perfect network (slow; ids from the seed).
   */
  readonly setup: 'template' | 'enrol';
  /** With `enrol`: sign in with the app's `signInAgent` (its PBKDF2 PIN hash costs 0.1 s). */
  readonly realSignIn: boolean;
  /**
   * The rule-breaking payments devices take now and then; the hub must store and flag each,
   * never drop it, and no balance may count it.
   */
  readonly ruleBreaking: readonly RuleBreaking[];
  /**
   * Also back the hub up now and then and restore it from its last backup, forgetting what
   * came after (not in the acceptance criterion; off by default).
   */
  readonly restores?: boolean;
  /** Called with each trace line as it happens. */
  readonly onTrace?: (line: string) => void;
}

export type RuleBreaking = 'account-not-found' | 'currency-mismatch';
export const RULE_BREAKING: readonly RuleBreaking[] = ['account-not-found', 'currency-mismatch'];

export const DEFAULT_OPTIONS: SimOptions = {
  devices: 20,
  steps: 40,
  setup: 'template',
  realSignIn: false,
  ruleBreaking: RULE_BREAKING,
};

export interface SeedResult {
  readonly seed: number;
  readonly failures: readonly string[];
  readonly trace: readonly string[];
  /** A hash of the trace and the hub's final state: equal for two runs of one seed. */
  readonly digest: string;
  readonly counts: ReadonlyMap<string, number>;
  readonly stats: CheckStats | undefined;
  readonly ms: number;
  /** Milliseconds spent in each phase of the run. */
  readonly phases: Readonly<Record<'setup' | 'steps' | 'quiescence' | 'checks', number>>;
}

const START_MS = Date.parse('2026-11-20T08:00:00.000Z');

const DELIVERIES: readonly (readonly [Delivery, number])[] = [
  ['deliver', 56],
  ['drop-request', 9],
  ['drop-reply', 9],
  ['duplicate', 6],
  ['duplicate-later', 6],
  ['hub-error', 6],
  ['hold-reply', 8],
];

/**
 * TODO(export): storage wipe after export. The acceptance criterion asks for a device that
 * exports its facts, has its storage wiped, and comes back without losing or doubling a
 * fact. Export does not exist yet, so this step is not scheduled (it draws nothing from the
 * seed). When export is built: set STORAGE_WIPE_AFTER_EXPORT to true and make this export
 * the device's facts through the app's export, delete its IndexedDB, restore or re-enrol it
 * through the app, and let the checks in checks.ts hold as they are.
 */
export const STORAGE_WIPE_AFTER_EXPORT = false;
async function wipeStorageAfterExport(device: SimDevice): Promise<void> {
  throw new Error(`TODO(export): storage wipe after export is not built (${device.label})`);
}

type Action =
  | 'pay'
  | 'pay-rule-breaking'
  | 'round'
  | 'deliver'
  | 'release-held'
  | 'stale-copy'
  | 'go-offline'
  | 'hub-restart'
  | 'reload-tab'
  | 'toggle-second-tab'
  | 'clock-jump'
  | 'hub-backup'
  | 'hub-restore'
  | 'storage-wipe-after-export';

/** The world's clock: the hub reads it as it is, each device with its own skew. */
interface Clock {
  ms: number;
}

class World {
  readonly trace: string[] = [];
  readonly findings: string[] = [];
  readonly model = new Model(TEMPLATE);
  readonly devices: SimDevice[] = [];
  readonly network: SimNetwork;
  step = 0;

  constructor(
    readonly seed: number,
    readonly clock: Clock,
    readonly random: Random,
    readonly hub: SimHub,
    readonly options: SimOptions,
  ) {
    this.network = new SimNetwork(
      () => this.hub,
      (line) => this.log(line),
      (line) => this.finding(line),
    );
    for (let i = 0; i < options.devices; i++) {
      const agent = TEMPLATE.agents[i % TEMPLATE.agents.length];
      if (!agent) throw new Error('no agents in the template');
      this.devices.push(
        new SimDevice(i, agent, random.fork(i), () => this.clock.ms, `sim-${seed}-d${i}`),
      );
    }
  }

  log(line: string): void {
    const stamped = `[${this.step}] ${line}`;
    this.trace.push(stamped);
    this.options.onTrace?.(stamped);
  }

  finding(line: string): void {
    this.findings.push(`step ${this.step}: ${line}`);
    this.log(`FINDING ${line}`);
  }

  tabs(): Tab[] {
    return this.devices.flatMap((device) => device.openTabs());
  }

  async setup(from: Template): Promise<void> {
    for (const device of this.devices) {
      const tab = new Tab(device, 0, this.network);
      device.tabs[0] = tab;
      const enrolled = from.devices[device.index];
      if (this.options.setup === 'template' && enrolled) {
        await installTemplateDevice(tab, enrolled);
        // Half the devices had their first sync at the office; the others make it in the
        // field, under the network's faults.
        if (this.random.chance(0.5)) await this.round(tab);
      } else {
        await this.enrol(tab);
      }
      const skewH = Math.round(device.skewMs / 3_600_000);
      this.log(
        `${device.label} is ${device.deviceId}, agent ${device.agent.username}, clock ${skewH >= 0 ? '+' : ''}${skewH} h`,
      );
    }
  }

  /** Enrolment, sign-in and the first round the app runs after it, on a perfect network. */
  private async enrol(tab: Tab): Promise<void> {
    const device = tab.device;
    const { code } = await issueEnrolmentCode(
      this.hub.store,
      TEMPLATE.supervisorId,
      this.hub.now(),
    );
    const proc = await tab.run(() => enrolAndSignIn(tab, code, this.options.realSignIn));
    if (!proc.done || proc.error !== undefined) throw proc.error ?? new Error('setup parked');
    const { deviceId, user } = proc.result as Awaited<ReturnType<typeof enrolAndSignIn>>;
    device.deviceId = deviceId;
    device.user = user;
    tab.proc = undefined;
    const first = await this.round(tab);
    if (first.state !== 'synced') throw new Error(`${device.label} first round: ${first.state}`);
  }

  /** Reports every Proc that ended since the last look, in a fixed order. */
  reap(quiet: boolean): void {
    for (const tab of this.tabs()) {
      const proc = tab.proc;
      if (!proc?.done) continue;
      tab.proc = undefined;
      if (proc.error !== undefined) {
        const error =
          proc.error instanceof Error
            ? (proc.error.stack ?? proc.error.message)
            : String(proc.error);
        this.finding(`${tab.label} threw: ${error}`);
        continue;
      }
      const report = proc.result as SyncReport;
      if (report.pulledAccounts > 0) tab.device.knowsAccounts = true;
      this.log(`${tab.label} round: ${describe(report)}`);
      const expected = quiet ? ['synced'] : ['synced', 'offline'];
      if (!expected.includes(report.state))
        this.finding(
          `${tab.label} round ended ${report.state} (${report.error ?? ''}: ${report.message ?? ''})`,
        );
    }
  }

  async act(): Promise<void> {
    this.clock.ms += this.random.int(0, 120_000);
    for (const device of this.devices) {
      if (device.offline && this.step >= device.offlineUntilStep) {
        device.offline = false;
        this.log(`${device.label} back online`);
      }
    }
    const idle = this.tabs().filter((tab) => !tab.busy);
    const choices: [Action, number][] = [
      ['pay', 14],
      ['pay-rule-breaking', this.options.ruleBreaking.length > 0 ? 1.2 : 0],
      ['round', idle.length > 0 ? 12 : 0],
      ['deliver', this.network.parked.length > 0 ? 24 : 0],
      ['release-held', this.network.held.length > 0 ? 5 : 0],
      ['stale-copy', this.network.ghosts.length > 0 ? 2 : 0],
      ['go-offline', 2],
      ['hub-restart', 0.4],
      ['reload-tab', 0.6],
      ['toggle-second-tab', 1.2],
      ['clock-jump', 0.4],
      ['hub-backup', this.options.restores ? 0.6 : 0],
      ['hub-restore', this.options.restores ? 0.3 : 0],
    ];
    if (STORAGE_WIPE_AFTER_EXPORT) choices.push(['storage-wipe-after-export', 0.3]);
    const action = this.random.weighted(choices);
    this.network.count(action);
    await this.perform(action, idle);
    this.reap(false);
  }

  private async perform(action: Action, idle: readonly Tab[]): Promise<void> {
    const random = this.random;
    switch (action) {
      case 'pay':
        return this.pay(random.pick(this.payingTabs()), false);
      case 'pay-rule-breaking':
        return this.pay(random.pick(this.payingTabs()), true);
      case 'round': {
        const tab = random.pick(idle);
        this.log(`${tab.label} starts a round`);
        await tab.run(() => tab.syncRound());
        return;
      }
      case 'deliver':
        return this.network.deliver(random.pick(this.network.parked), random.weighted(DELIVERIES));
      case 'release-held':
        return this.network.release(random.pick(this.network.held), random.chance(0.25));
      case 'stale-copy':
        return this.network.deliverGhost(random.pick(this.network.ghosts));
      case 'go-offline': {
        const device = random.pick(this.devices);
        device.offline = true;
        device.offlineUntilStep = Math.max(device.offlineUntilStep, this.step + random.int(2, 60));
        this.log(`${device.label} offline until step ${device.offlineUntilStep}`);
        return this.network.cut('device offline', (from) => from.startsWith(`${device.label}.`));
      }
      case 'hub-restart':
        this.log(`hub restarts`);
        await this.hub.restart();
        return this.network.cut('hub restarted', () => true);
      case 'reload-tab': {
        const tab = random.pick(this.tabs());
        const keep = random.chance(0.5);
        this.log(
          `${tab.label} reloads${tab.busy ? ` mid-round (its request ${keep ? 'still' : 'never'} arrives)` : ''}`,
        );
        this.network.abandon(tab.label, keep);
        tab.reload();
        return;
      }
      case 'toggle-second-tab':
        return this.toggleSecondTab(random.pick(this.devices), random.chance(0.5));
      case 'clock-jump': {
        const device = random.pick(this.devices);
        device.skewMs = random.int(-MAX_SKEW_MS, MAX_SKEW_MS);
        this.log(`${device.label} clock jumps to ${(device.skewMs / DAY_MS).toFixed(2)} days off`);
        return;
      }
      case 'hub-backup':
        this.log('hub backs up');
        return this.hub.backup();
      case 'hub-restore':
        if (!(await this.hub.restore())) return this.log('hub has no backup to restore');
        this.log('hub restored from its last backup');
        return this.network.cut('hub restored', () => true);
      case 'storage-wipe-after-export':
        return wipeStorageAfterExport(random.pick(this.devices));
    }
  }

  private async toggleSecondTab(device: SimDevice, keep: boolean): Promise<void> {
    const second = device.tabs[1];
    if (second) {
      this.log(`${second.label} closes${second.busy ? ' mid-round' : ''}`);
      this.network.abandon(second.label, keep);
      second.close();
      device.tabs[1] = undefined;
      return;
    }
    device.tabs[1] = new Tab(device, 1, this.network);
    this.log(`${device.label}.t1 opens`);
  }

  /** Tabs of devices that have pulled their route, or every tab while none has. */
  private payingTabs(): Tab[] {
    const ready = this.tabs().filter((tab) => tab.device.knowsAccounts);
    return ready.length > 0 ? ready : this.tabs();
  }

  private async pay(tab: Tab, ruleBreaking: boolean): Promise<void> {
    const random = this.random;
    const known = (await tab.db.accounts.orderBy('id').primaryKeys()).map(String);
    let accountId: string;
    let currency;
    const kind = ruleBreaking ? random.pick(this.options.ruleBreaking) : undefined;
    if (kind === 'account-not-found') {
      accountId = `acc-unknown-${random.int(1, 99)}`;
      currency = random.pick(['KES', 'USD'] as const);
    } else {
      if (known.length === 0) {
        // The agent cannot find the customer before a first pull: the tab syncs instead.
        if (tab.busy) return this.log(`${tab.label} knows no account yet`);
        this.log(`${tab.label} knows no account yet, starts a round`);
        await tab.run(() => tab.syncRound());
        return;
      }
      accountId = random.pick(known);
      const own = this.model.account(accountId).currency;
      currency = kind === 'currency-mismatch' ? (own === 'KES' ? 'USD' : 'KES') : own;
    }
    // A quarter of payments settle what the device shows as owed, when it shows a debt.
    const settle = random.chance(0.25) && known.includes(accountId);
    const shown = settle ? (await accountView(tab.db, accountId))?.balanceMinor : undefined;
    const amountMinor =
      shown !== undefined && shown > 0
        ? shown
        : random.chance(0.1)
          ? random.int(20_000, 90_000)
          : random.int(1, 15_000);
    const tenderedMinor = random.chance(0.5) ? amountMinor : amountMinor + random.int(1, 5_000);
    const result = await recordPayment(tab, { accountId, currency, amountMinor, tenderedMinor });
    if (!result.ok) {
      this.finding(`${tab.label} could not record a payment: ${result.error}`);
      return;
    }
    const stored = result.value;
    this.model.record({
      factId: stored.id,
      device: tab.device.label,
      deviceId: tab.device.deviceId,
      seq: stored.seq,
      hash: stored.fact.hash,
      accountId,
      currency,
      amountMinor,
      tenderedMinor,
      stampMs: Number(stored.fact.hlc.slice(0, 15)),
      rule: this.model.ruleOutcome(accountId, currency),
    });
    this.log(
      `${tab.label} records seq ${stored.seq} ${stored.id}: ${amountMinor} ${currency} on ${accountId}`,
    );
  }

  /**
   * Every device online, a perfect network, and rounds until nothing moves: devices with
   * facts waiting go first, then the others; then again every device that pulled before the
   * last push of the pass, until a pass pushes nothing.
   */
  async quiesce(): Promise<void> {
    this.log('quiescence: all online, no more faults');
    for (const device of this.devices) device.offline = false;
    await this.network.drain();
    this.reap(false);
    const waiting: Tab[] = [];
    const quiet: Tab[] = [];
    for (const device of this.devices) {
      const tab = device.openTabs()[0];
      if (!tab) throw new Error(`${device.label} has no open tab`);
      ((await pendingCount(tab.db)) > 0 ? waiting : quiet).push(tab);
    }
    let tabs = [...waiting, ...quiet];
    for (let pass = 1; pass <= 8; pass++) {
      let lastPush = -1;
      const unsettled: Tab[] = [];
      for (const [index, tab] of tabs.entries()) {
        const report = await this.round(tab);
        if (report.pushed > 0) lastPush = index;
        if (report.state !== 'synced' || report.pending > 0) unsettled.push(tab);
      }
      if (lastPush < 0 && unsettled.length === 0) return;
      tabs = [...new Set([...unsettled, ...tabs.slice(0, lastPush)])];
      if (tabs.length === 0) return;
    }
    this.finding('the world did not settle after 8 passes of sync rounds on a perfect network');
  }

  async round(tab: Tab): Promise<SyncReport> {
    const proc = await tab.run(() => tab.syncRound());
    if (!proc.done) throw new Error(`${tab.label} parked on a perfect network`);
    const report = proc.result as SyncReport;
    this.reap(true);
    return report ?? { state: 'failed', pushed: 0, pulledAccounts: 0, pending: -1 };
  }

  async digest(): Promise<string> {
    const hash = createHash('sha256');
    for (const line of this.trace) hash.update(line).update('\n');
    const accounts = await this.hub.store.db
      .selectFrom('accounts')
      .select(['id', 'balance_minor', 'change_seq'])
      .orderBy('id')
      .execute();
    hash.update(JSON.stringify(accounts));
    return hash.digest('hex').slice(0, 16);
  }

  close(): void {
    for (const tab of this.tabs()) tab.close();
  }
}

function describe(report: SyncReport): string {
  const error = report.error === undefined ? '' : ` (${report.error})`;
  return `${report.state}${error} pushed ${report.pushed} pulled ${report.pulledAccounts} pending ${report.pending}`;
}

let runs = 0;

export async function runSeed(
  seed: number,
  options: SimOptions = DEFAULT_OPTIONS,
): Promise<SeedResult> {
  const started = performance.now();
  const random = new Random(seed);
  const clock: Clock = { ms: START_MS };
  const from = await template(options.setup === 'template' ? options.devices : 0);
  const hub = await SimHub.open(from, `seed-${seed}-${++runs}`, () => clock.ms);
  const world = new World(seed, clock, random, hub, options);
  let checked: Awaited<ReturnType<typeof checkWorld>> | undefined;
  const failures: string[] = [];
  const phases = { setup: 0, steps: 0, quiescence: 0, checks: 0 };
  let lap = performance.now();
  const time = (phase: keyof typeof phases) => {
    const now = performance.now();
    phases[phase] += now - lap;
    lap = now;
  };
  try {
    await world.setup(from);
    time('setup');
    world.network.mode = 'faulty';
    for (world.step = 1; world.step <= options.steps; world.step++) await world.act();
    time('steps');
    await world.quiesce();
    time('quiescence');
    checked = await checkWorld(hub, world.devices, world.model);
    time('checks');
    failures.push(...world.findings, ...checked.failures);
  } catch (error) {
    failures.push(
      ...world.findings,
      `the run crashed at step ${world.step}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
  const digest = await world.digest().catch(() => 'none');
  world.close();
  await hub.close();
  return {
    seed,
    failures,
    trace: world.trace,
    digest,
    counts: world.network.counts,
    stats: checked?.stats,
    ms: performance.now() - started,
    phases,
  };
}
