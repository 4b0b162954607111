/**
 * A worker thread of the pool (pool.ts): runs its share of the seeds one after another and
 * posts a summary of each.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SeedSummary, ShardTask } from './pool.ts';
import { removeTemplates } from './template.ts';
import { runSeed } from './world.ts';

const task = workerData as ShardTask;
if (!parentPort) throw new Error('shard.ts runs as a worker thread');
for (const seed of task.seeds) {
  const result = await runSeed(seed, task.options);
  const summary: SeedSummary = {
    seed,
    failures: result.failures,
    digest: result.digest,
    ms: result.ms,
    counts: Object.fromEntries(result.counts),
    facts: result.stats?.facts ?? 0,
    flagged: result.stats?.flagged ?? 0,
    outcomeUnknownOnDevice: result.stats?.outcomeUnknownOnDevice ?? 0,
  };
  parentPort.postMessage(summary);
  if (task.stopOnFailure && result.failures.length > 0) break;
}
removeTemplates();
