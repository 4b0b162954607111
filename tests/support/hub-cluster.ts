/**
 * Several real hub processes (hub/main.ts) on one store, as a utility runs them behind a load
 * balancer, with a round-robin `fetch` in front: each request goes to the next process. The
 * store is a PostgreSQL database, or one SQLite file that processes on one machine share. The
 * first process seeds the demo into the empty store before the others start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FetchLike } from '../../client/api.ts';
import { freePort } from './ports.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface HubCluster {
  readonly urls: readonly string[];
  /** The address devices use; `fetch` maps it onto the processes in turn. */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  /** How many requests each process answered. */
  readonly served: number[];
  stop(): Promise<void>;
}

export const CLUSTER_BASE_URL = 'http://hubs.test';

/** Where the processes keep their state: a PostgreSQL URL, or a folder for the SQLite file. */
export type ClusterStore = { readonly databaseUrl: string } | { readonly dataDir: string };

async function startOne(
  store: ClusterStore,
  demo: boolean,
  log: string[],
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...('databaseUrl' in store
        ? { DATABASE_URL: store.databaseUrl, HUB_PG_POOL_SIZE: '8' }
        : { HUB_DATA_DIR: store.dataDir }),
      HUB_DEMO: demo ? 'seed-when-empty' : 'off',
      HUB_STATIC_DIR: '/nonexistent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`a hub process exited while starting:\n${log.join('')}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return { url, child };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`a hub process did not answer within ${START_TIMEOUT_MS} ms:\n${log.join('')}`);
}

export async function startHubCluster(store: ClusterStore, processes: number): Promise<HubCluster> {
  const log: string[] = [];
  const started = [await startOne(store, true, log)];
  started.push(
    ...(await Promise.all(
      Array.from({ length: processes - 1 }, () => startOne(store, false, log)),
    )),
  );
  const urls = started.map((s) => s.url);
  const served = urls.map(() => 0);
  let next = 0;
  const roundRobin: FetchLike = async (input, init) => {
    const index = next++ % urls.length;
    served[index] = (served[index] ?? 0) + 1;
    return fetch(String(input).replace(CLUSTER_BASE_URL, urls[index] as string), init);
  };
  return {
    urls,
    baseUrl: CLUSTER_BASE_URL,
    fetch: roundRobin,
    served,
    async stop() {
      await Promise.all(
        started.map(
          ({ child }) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
