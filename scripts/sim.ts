/**
 * Runs the seeded sync simulation (tests/sim) from the command line.
 *
 *   npm run sim -- --seeds 10000            seeds 1 to 10000, on every core
 *   npm run sim -- --seeds 500 --from 7001  seeds 7001 to 7500
 *   npm run sim -- --seed 42 --verbose      one seed, printing its whole trace
 *   npm run sim -- --seeds 200 --steps 400 --devices 30
 *
 * Options: --steps N (random steps before quiescence), --devices N, --workers N (threads for
 * many seeds), --keep-going (do not stop at the first failing seed), --enrol (enrol and sign
 * in every device through the app, ids from the seed, instead of starting from the
 * template's enrolled devices), --real-sign-in (also sign in with the app's signInAgent and
 * its PBKDF2 PIN hash; slow), --rule-breaking KINDS (comma-separated: account-not-found,
 * currency-mismatch, or none), --restores (also back the hub up and restore it from its last
 * backup, forgetting what came after; beyond the acceptance criterion, off by default),
 * --weight EVENT=W,… (replace the default weights of some actions and deliveries, to explore
 * one kind of interleaving harder; `deliver-intact` is the delivery that loses nothing).
 *
 * A run replays exactly from its seed with the same --steps, --devices, --enrol,
 * --rule-breaking and --weight. Exits 1 if a seed failed, printing its failures and the
 * command that replays it.
 */
import { parseArgs } from 'node:util';
import { defaultWorkers, runSeedsInWorkers, type SeedSummary } from '../tests/sim/pool.ts';
import {
  DEFAULT_OPTIONS,
  RULE_BREAKING,
  runSeed,
  WEIGHTED_EVENTS,
  type RuleBreaking,
  type SimOptions,
} from '../tests/sim/world.ts';

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer, not ${text}`);
    process.exit(2);
  }
  return value;
}

function ruleBreaking(text: string | undefined): readonly RuleBreaking[] {
  if (text === undefined) return DEFAULT_OPTIONS.ruleBreaking;
  const kinds = text.split(',').filter((kind) => kind !== '' && kind !== 'none');
  for (const kind of kinds) {
    if (!(RULE_BREAKING as readonly string[]).includes(kind)) {
      console.error(`--rule-breaking takes ${RULE_BREAKING.join(', ')} or none, not ${kind}`);
      process.exit(2);
    }
  }
  return kinds as RuleBreaking[];
}

function weights(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  const parsed: Record<string, number> = {};
  for (const pair of text.split(',').filter((part) => part !== '')) {
    const [event = '', value = ''] = pair.split('=');
    const weight = Number(value);
    if (!WEIGHTED_EVENTS.includes(event) || !Number.isFinite(weight) || weight < 0) {
      console.error(
        `--weight takes EVENT=WEIGHT,… with a weight of 0 or more and an event among ${WEIGHTED_EVENTS.join(', ')}; not ${pair}`,
      );
      process.exit(2);
    }
    parsed[event] = weight;
  }
  return parsed;
}

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    from: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    devices: { type: 'string' },
    workers: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    enrol: { type: 'boolean', default: false },
    'real-sign-in': { type: 'boolean', default: false },
    'rule-breaking': { type: 'string' },
    'keep-going': { type: 'boolean', default: false },
    restores: { type: 'boolean', default: false },
    weight: { type: 'string' },
  },
  strict: true,
});

const options: SimOptions = {
  devices: positive('devices', values.devices, DEFAULT_OPTIONS.devices),
  steps: positive('steps', values.steps, DEFAULT_OPTIONS.steps),
  setup: values.enrol || values['real-sign-in'] ? 'enrol' : 'template',
  realSignIn: values['real-sign-in'],
  ruleBreaking: ruleBreaking(values['rule-breaking']),
  restores: values.restores,
  ...(values.weight === undefined ? {} : { weights: weights(values.weight) }),
};

function replayCommand(seed: number): string {
  const extra = [
    options.steps === DEFAULT_OPTIONS.steps ? '' : ` --steps ${options.steps}`,
    options.devices === DEFAULT_OPTIONS.devices ? '' : ` --devices ${options.devices}`,
    options.realSignIn ? ' --real-sign-in' : options.setup === 'enrol' ? ' --enrol' : '',
    options.ruleBreaking.join() === DEFAULT_OPTIONS.ruleBreaking.join()
      ? ''
      : ` --rule-breaking ${options.ruleBreaking.join(',') || 'none'}`,
    options.restores ? ' --restores' : '',
    values.weight === undefined ? '' : ` --weight ${values.weight}`,
  ].join('');
  return `npm run sim -- --seed ${seed}${extra} --verbose`;
}

function report(seed: number, failures: readonly string[]): void {
  console.error(`\nseed ${seed} FAILED:`);
  for (const failure of failures.slice(0, 30)) console.error(`  - ${failure}`);
  if (failures.length > 30) console.error(`  … and ${failures.length - 30} more`);
  console.error(`replay: ${replayCommand(seed)}`);
}

async function one(seed: number): Promise<boolean> {
  const result = await runSeed(seed, {
    ...options,
    ...(values.verbose ? { onTrace: (line: string) => console.log(line) } : {}),
  });
  const phases = Object.entries(result.phases)
    .map(([phase, ms]) => `${phase} ${ms.toFixed(0)} ms`)
    .join(', ');
  console.log(`\nseed ${seed}: ${result.failures.length === 0 ? 'passed' : 'FAILED'} (${phases})`);
  console.log(`digest ${result.digest}`);
  for (const note of result.stats?.notes ?? []) console.log(`note: ${note}`);
  if (result.failures.length > 0) report(seed, result.failures);
  return result.failures.length === 0;
}

async function many(first: number, count: number): Promise<boolean> {
  const started = performance.now();
  const totals = new Map<string, number>();
  const failed: SeedSummary[] = [];
  let done = 0;
  let facts = 0;
  let flagged = 0;
  let unknownOutcome = 0;
  const unknownSeeds: number[] = [];
  const workers = positive('workers', values.workers, defaultWorkers());
  const seeds = Array.from({ length: count }, (_, i) => first + i);
  await runSeedsInWorkers(seeds, options, workers, !values['keep-going'], (summary) => {
    done++;
    for (const [what, n] of Object.entries(summary.counts))
      totals.set(what, (totals.get(what) ?? 0) + n);
    facts += summary.facts;
    flagged += summary.flagged;
    unknownOutcome += summary.outcomeUnknownOnDevice;
    if (summary.outcomeUnknownOnDevice > 0) unknownSeeds.push(summary.seed);
    if (summary.failures.length > 0) {
      failed.push(summary);
      report(summary.seed, summary.failures);
    }
    if (done % 100 === 0)
      console.log(`${done}/${count} seeds, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
  const seconds = (performance.now() - started) / 1000;
  const failing = failed.map((summary) => summary.seed).sort((a, b) => a - b);
  console.log(
    `\nseeds ${first}..${first + count - 1} on ${workers} workers: ${done} run, ${
      failing.length === 0
        ? 'all passed'
        : `${failing.length} failed (${failing.slice(0, 30).join(', ')})`
    }, ${seconds.toFixed(1)} s`,
  );
  console.log(
    `facts stored ${facts}, flagged or duplicate ${flagged}, acknowledged only by a pull (outcome unknown on the device) ${unknownOutcome}${
      unknownSeeds.length > 0
        ? ` (seeds ${unknownSeeds
            .sort((a, b) => a - b)
            .slice(0, 10)
            .join(', ')})`
        : ''
    }`,
  );
  console.log(
    `events: ${[...totals]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([what, n]) => `${what} ${n}`)
      .join(', ')}`,
  );
  return failing.length === 0;
}

const passed =
  values.seed !== undefined
    ? await one(positive('seed', values.seed, 1))
    : await many(positive('from', values.from, 1), positive('seeds', values.seeds, 1000));
process.exit(passed ? 0 : 1);
