/**
 * `npm run bench [-- NAME…]`: runs the project's benchmarks and prints one JSON line per
 * figure ({ name, value, unit, context }), then a short table. Figures are meant to be
 * compared as ratios within one run: this machine is shared, and absolute times move.
 */
import { billingRun } from './billing.ts';
import type { Figure } from './figures.ts';
import { ingestSqlite } from './ingest.ts';
import { ingestPostgres } from './ingest-cluster.ts';
import { twoG } from './two-g.ts';

const benchmarks: Record<string, () => Figure[] | Promise<Figure[]>> = {
  billing: billingRun,
  ingest: ingestSqlite,
  'ingest-postgres': ingestPostgres,
  '2g': twoG,
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
for (const figure of all)
  console.log(`${figure.name.padEnd(44)} ${String(figure.value).padStart(12)} ${figure.unit}`);
