/**
 * `npm run bench [-- NAME…]`: runs the project's benchmarks and prints one JSON line per
 * figure ({ name, value, unit, context }), then a short table. Figures are meant to be
 * compared as ratios within one run: this machine is shared, and absolute times move.
 */
import { billingRun } from './billing.ts';
import { browserFigures } from './browser.ts';
import { syncComparison } from './compare.ts';
import type { Figure } from './figures.ts';
import { ingestSqlite } from './ingest.ts';
import { ingestPostgres } from './ingest-cluster.ts';
import { twoG } from './two-g.ts';

const benchmarks: Record<string, () => Figure[] | Promise<Figure[]>> = {
  billing: billingRun,
  ingest: ingestSqlite,
  compare: syncComparison,
  '2g': twoG,
  'ingest-postgres': ingestPostgres,
  browser: browserFigures,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark: ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`,
  );
  process.exit(2);
}

const all: Figure[] = [];
for (const [name, run] of Object.entries(benchmarks)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  for (const figure of await run()) {
    console.log(JSON.stringify(figure));
    all.push(figure);
  }
}
console.log('');
const width = Math.max(...all.map((figure) => figure.name.length));
for (const figure of all)
  console.log(`${figure.name.padEnd(width)} ${String(figure.value).padStart(12)} ${figure.unit}`);

// Ours beside the peer: every figure named `<case>.ours.<measure>` that has a `.peer.` twin.
const sides = new Map<string, { ours?: Figure; peer?: Figure }>();
for (const figure of all) {
  const match = /^(.*)\.(ours|peer)\.([^.]+)$/.exec(figure.name);
  if (!match) continue;
  const key = `${match[1]}.${match[3]}`;
  const row = sides.get(key) ?? {};
  row[match[2] as 'ours' | 'peer'] = figure;
  sides.set(key, row);
}
const pairs = [...sides].filter(([, row]) => row.ours && row.peer);
if (pairs.length > 0) {
  const keyWidth = Math.max(...pairs.map(([key]) => key.length));
  console.log('');
  console.log(
    `${'ours beside the peer'.padEnd(keyWidth)} ${'ours'.padStart(12)} ${'peer'.padStart(12)} ${'peer/ours'.padStart(10)}`,
  );
  for (const [key, { ours, peer }] of pairs) {
    if (!ours || !peer) continue;
    const ratio = ours.value === 0 ? '' : (peer.value / ours.value).toFixed(2);
    console.log(
      `${key.padEnd(keyWidth)} ${String(ours.value).padStart(12)} ${String(peer.value).padStart(12)} ${ratio.padStart(10)}  ${ours.unit}`,
    );
  }
}
