/**
 * One simulated run, from its seed: a hub, twenty devices (by default) on four agents and
 * three routes, and random steps (40 by default, `--steps` for more) of payments, voids
 * and contact corrections (actions.ts), sync rounds, tabs opening and reloading, clocks
 * jumping, devices going offline, a device's storage wiped after an export (wipe.ts), the
 * hub restarting and the network dropping, duplicating, delaying and reordering messages; then
 * quiescence (every device online, a perfect network, rounds until nothing moves) and the
 * checks against the independent model. A step is one event; delivering a parked request is
 * a step of its own, so the network's faults and orderings are drawn like everything else.
 *
 * Everything that happens is a function of the seed: see network.ts for how real async
 * device code is run one piece at a time. The trace lists every step, so a failing seed can
 * be read as well as replayed (`npm run sim -- --seed S --verbose`).
 */
import { createHash } from 'node:crypto';
import { issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import { currentCounter } from '../../hub/store/store.ts';
import type { SyncReport } from '../../client/sync/engine.ts';
import { pendingCount } from '../../client/db/facts.ts';
import {
  canEditContact,
  canVoidByReceipt,
  canVoidOwn,
  editContact,
  pay,
  payingTabs,
  voidByReceipt,
  voidOwn,
  type Stage,
} from './actions.ts';
import { checkWorld, type CheckStats, type Identity } from './checks.ts';
import {
  DAY_MS,
  enrolAndSignIn,
  installTemplateDevice,
  MAX_SKEW_MS,
  SimDevice,
  Tab,
} from './devices.ts';
import { SimHub } from './hub.ts';
import { Model } from './model.ts';
import { SimNetwork, type Delivery } from './network.ts';
import { Random } from './random.ts';
import { Supervisor, type UploadResult } from './supervisor.ts';
import { STORAGE_WIPE_AFTER_EXPORT, wipeStorageAfterExport } from './wipe.ts';
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
   * came after (not in the acceptance criterion; off by default). Storage wipes are not
   * drawn then.
   */
  readonly restores?: boolean;
  /**
   * Weights that replace the defaults of some events (actions and deliveries, by name), to
   * explore one kind of interleaving harder: `--weight toggle-second-tab=8,hold-reply=25`.
   */
  readonly weights?: Readonly<Record<string, number>>;
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

/** The events whose weights `--weight` can change. */
export const WEIGHTED_EVENTS: readonly string[] = [
  'pay',
  'pay-rule-breaking',
  'void-own',
  'void-by-receipt',
  'edit-contact',
  'round',
  'deliver',
  'release-held',
  'stale-copy',
  'go-offline',
  'hub-restart',
  'reload-tab',
  'toggle-second-tab',
  'clock-jump',
  'hub-backup',
  'hub-restore',
  'storage-wipe-after-export',
  ...DELIVERIES.map(([how]) => deliveryEvent(how)),
];

/** A delivery's name as a weighted event: `deliver` is also the action that picks a request. */
function deliveryEvent(how: Delivery): string {
  return how === 'deliver' ? 'deliver-intact' : how;
}

type Action =
  | 'pay'
  | 'pay-rule-breaking'
  | 'void-own'
  | 'void-by-receipt'
  | 'edit-contact'
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

class World implements Stage {
  readonly trace: string[] = [];
  readonly findings: string[] = [];
  readonly model = new Model(TEMPLATE);
  readonly devices: SimDevice[] = [];
  /** Every device identity of the run, the wiped ones too, in the order they were made. */
  readonly identities: Identity[] = [];
  readonly network: SimNetwork;
  readonly supervisor: Supervisor;
  private readonly reported = new Set<string>();
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
    this.supervisor = new Supervisor(this.network);
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

  /** An event's weight: the default, or the one `--weight` gives (never where it cannot happen). */
  private weight(event: string, weight: number): number {
    return weight === 0 ? 0 : (this.options.weights?.[event] ?? weight);
  }

  count(what: string, times = 1): void {
    for (let i = 0; i < times; i++) this.network.count(what);
  }

  /** After quiescence every upload has had its answer. */
  uploadsEnded(): void {
    for (const upload of this.supervisor.uploads)
      if (!this.reported.has(upload.label)) this.finding(`${upload.label} never ended`);
  }

  get ruleBreaking(): SimOptions['ruleBreaking'] {
    return this.options.ruleBreaking;
  }

  async atHub(factId: string): Promise<boolean> {
    const row = await this.hub.store.db
      .selectFrom('facts')
      .select('id')
      .where('id', '=', factId)
      .executeTakeFirst();
    return row !== undefined;
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
        await this.enrol(tab, await this.codeFromTemplateHub());
      }
      this.identities.push({ deviceId: device.deviceId, label: device.label, device });
      const skewH = Math.round(device.skewMs / 3_600_000);
      this.log(
        `${device.label} is ${device.deviceId}, agent ${device.agent.username}, clock ${skewH >= 0 ? '+' : ''}${skewH} h`,
      );
    }
  }

  private async codeFromTemplateHub(): Promise<string> {
    const issued = await issueEnrolmentCode(this.hub.store, TEMPLATE.supervisorId, this.hub.now());
    return issued.code;
  }

  /** Enrolment, sign-in and the first round the app runs after it, on a perfect network. */
  async enrol(tab: Tab, code: string): Promise<void> {
    const device = tab.device;
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
    this.reapUploads();
  }

  /** Reports every supervisor upload that ended: each push's answer, in the trace. */
  private reapUploads(): void {
    for (const upload of this.supervisor.uploads) {
      if (!upload.proc.done || this.reported.has(upload.label)) continue;
      this.reported.add(upload.label);
      const name = `${upload.label} (${upload.from}'s file, identity ${upload.deviceId})`;
      if (upload.proc.error !== undefined) {
        this.finding(`${name} threw: ${String(upload.proc.error)}`);
        continue;
      }
      const result = upload.proc.result as UploadResult;
      if (!result.ok) {
        this.finding(`${name} failed after ${upload.tries} tries: ${result.error}`);
        continue;
      }
      const answers = result.answer.pushes.map((push) =>
        push.ok
          ? push.response.results.map((r) => `${r.seq}:${r.outcome}`).join(' ')
          : `refused ${push.error}`,
      );
      this.log(`${name} answered after ${upload.tries} tries: ${answers.join(' | ')}`);
      this.count('upload-answered');
      for (const push of result.answer.pushes)
        if (!push.ok) this.finding(`${name}: a push was refused: ${push.error} (${push.message})`);
      const answered = result.answer.pushes.flatMap((push) =>
        push.ok ? push.response.results.map((r) => r.seq) : [],
      );
      if (answered.join() !== upload.seqs.join())
        this.finding(
          `${name} answered seqs ${answered.join()}; the file held ${upload.seqs.join()}`,
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
    const choices: [Action, number][] = (
      [
        ['pay', 14],
        ['pay-rule-breaking', this.options.ruleBreaking.length > 0 ? 1.2 : 0],
        ['void-own', canVoidOwn(this) ? 1.6 : 0],
        ['void-by-receipt', canVoidByReceipt(this) ? 1.6 : 0],
        ['edit-contact', canEditContact(this) ? 2.4 : 0],
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
        // Not with restores: a hub restored from a backup older than a device's enrolment
        // forgets the device, and the harness does not enrol it once more.
        [
          'storage-wipe-after-export',
          STORAGE_WIPE_AFTER_EXPORT && !this.options.restores ? 0.35 : 0,
        ],
      ] as [Action, number][]
    ).map(([action, weight]) => [action, this.weight(action, weight)]);
    const action = this.random.weighted(choices);
    this.network.count(action);
    await this.perform(action, idle);
    this.reap(false);
  }

  private async perform(action: Action, idle: readonly Tab[]): Promise<void> {
    const random = this.random;
    switch (action) {
      case 'pay':
        return pay(this, random.pick(payingTabs(this)), false);
      case 'pay-rule-breaking':
        return pay(this, random.pick(payingTabs(this)), true);
      case 'void-own':
        return voidOwn(this);
      case 'void-by-receipt':
        return voidByReceipt(this);
      case 'edit-contact':
        return editContact(this);
      case 'round': {
        const tab = random.pick(idle);
        this.log(`${tab.label} starts a round`);
        await tab.run(() => tab.syncRound());
        return;
      }
      case 'deliver':
        return this.network.deliver(
          random.pick(this.network.parked),
          random.weighted(
            DELIVERIES.map(([how, weight]) => [how, this.weight(deliveryEvent(how), weight)]),
          ),
        );
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
        return wipeStorageAfterExport(this, random.pick(this.devices));
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

  /**
   * Every device online, a perfect network, and rounds until nothing moves: devices with
   * facts waiting go first, then the others; then again every device that pulled before the
   * last round of the pass that changed the hub, and that one, until a pass changes nothing.
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
        // Whether the round changed the hub is read from the hub, not from the round's report;
        // the tab itself goes again too, since a round that resends facts to a restored hub
        // pushes after it pulled.
        const before = await currentCounter(this.hub.store.db, 'change');
        const report = await this.round(tab);
        if ((await currentCounter(this.hub.store.db, 'change')) !== before) lastPush = index;
        if (report.state !== 'synced' || report.pending > 0) unsettled.push(tab);
      }
      if (lastPush < 0 && unsettled.length === 0) return;
      tabs = [...new Set([...unsettled, ...tabs.slice(0, lastPush + 1)])];
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
      .select(['id', 'balance_minor', 'change_seq', 'name', 'phone', 'address'])
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
    world.uploadsEnded();
    checked = await checkWorld(hub, world.identities, world.model);
    time('checks');
    for (const [what, n] of Object.entries(checked.stats.coverage)) world.count(what, n);
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
