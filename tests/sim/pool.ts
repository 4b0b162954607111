/**
 * Runs many seeds on several cores: each worker thread (shard-entry.mjs registers tsx, since
 * the harness is TypeScript) runs every n-th seed and reports each result. A seed's result does
 * not depend on the worker that ran it nor on what else ran: every run has its own hub file,
 * its own IndexedDB factories and its own generator.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SimOptions } from './world.ts';

/** What a worker sends back for each seed: the result without its trace. */
export interface SeedSummary {
  readonly seed: number;
  readonly failures: readonly string[];
  readonly digest: string;
  readonly ms: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly facts: number;
  readonly flagged: number;
  readonly outcomeUnknownOnDevice: number;
}

export type WorkerOptions = Omit<SimOptions, 'onTrace'>;

export interface ShardTask {
  readonly seeds: readonly number[];
  readonly options: WorkerOptions;
  /** Stop at the first failing seed. */
  readonly stopOnFailure: boolean;
}

export function defaultWorkers(): number {
  const fromEnv = Number(process.env.SIM_WORKERS);
  if (Number.isSafeInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.min(availableParallelism(), 8));
}

export async function runSeedsInWorkers(
  seeds: readonly number[],
  options: WorkerOptions,
  workers: number,
  stopOnFailure: boolean,
  onResult: (summary: SeedSummary) => void,
): Promise<void> {
  const shards = Array.from({ length: Math.max(1, Math.min(workers, seeds.length)) }, (_, i) =>
    seeds.filter((_, index) => index % workers === i),
  );
  const running = shards.map(
    (shard) =>
      new Promise<void>((resolve, reject) => {
        const task: ShardTask = { seeds: shard, options, stopOnFailure };
        const worker = new Worker(new URL('./shard-entry.mjs', import.meta.url), {
          workerData: task,
        });
        worker.on('message', (summary: SeedSummary) => onResult(summary));
        worker.on('error', reject);
        worker.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`a simulation worker exited with ${code}`)),
        );
      }),
  );
  await Promise.all(running);
}
