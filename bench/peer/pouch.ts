/**
 * The peer: PouchDB replicating one way to `pouchdb-server`, as an offline-first app built on
 * CouchDB replication would sync. The server is its own process bound to 127.0.0.1, on a free
 * port, storing on LevelDB in a folder of its own: on disk, as our hub's SQLite file is, though
 * LevelDB does not sync each write to the disk as our hub does (synchronous=FULL). The
 * device's database is PouchDB's memory adapter, the match for our device's fake-indexeddb in
 * memory: neither side's local storage is what is compared. Replication runs with PouchDB's
 * defaults (batches of 100 documents), as an app would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import PouchDB from 'pouchdb';
import memoryAdapter from 'pouchdb-adapter-memory';
import { uuidv7 } from 'uuidv7';
import { freePort } from '../../tests/support/ports.ts';
import { startThrottleProxy, type Link, type ThrottleProxy } from '../throttle.ts';

PouchDB.plugin(memoryAdapter);

const START_TIMEOUT_MS = 30_000;
const require = createRequire(import.meta.url);

export interface PouchServer {
  readonly port: number;
  stop(): Promise<void>;
}

const serverManifest = require.resolve('pouchdb-server/package.json');

/** What the figures' context names: the two packages' versions. */
export const peerVersions = {
  pouchdb: PouchDB.version,
  pouchdbServer: (JSON.parse(readFileSync(serverManifest, 'utf8')) as { version: string }).version,
};

/** Starts `pouchdb-server` on LevelDB in `folder` (its config and log go there too). */
async function startPouchServer(folder: string): Promise<PouchServer> {
  const port = await freePort();
  const bin = join(serverManifest, '..', 'bin', 'pouchdb-server');
  const log: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      folder,
      '--config',
      join(folder, 'config.json'),
      '--no-stdout-logs',
    ],
    { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(port))) {
    if (child.exitCode !== null) throw new Error(`pouchdb-server exited:\n${log.join('')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pouchdb-server did not answer in ${START_TIMEOUT_MS} ms:\n${log.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function answers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`)).ok;
  } catch {
    return false;
  }
}

/** A device's PouchDB and its handle on the server's database, whose requests can be counted. */
export interface PouchDevice {
  /** Adds documents to the device's database (the device's work, not the sync's). */
  add(docs: readonly object[]): Promise<void>;
  /** Replicates every local change to the server; `countRequest` is called for each request. */
  replicate(countRequest: () => void, capMs?: number): Promise<ReplicationRun>;
  close(): Promise<void>;
}

export interface ReplicationRun {
  readonly docsWritten: number;
  /** The replication was cancelled at `capMs`: its figures are lower bounds. */
  readonly capped: boolean;
}

/**
 * Opens a device replicating to `remoteUrl` (a database on the server, through the measuring
 * proxy). The remote database is created here, before anything is measured, as our device is
 * enrolled before it is measured.
 */
async function openPouchDevice(remoteUrl: string): Promise<PouchDevice> {
  const local = new PouchDB(`peer-${uuidv7()}`, { adapter: 'memory' });
  let onRequest = () => {};
  // PouchDB's own fetch in Node (node-fetch) closes the connection after every request; in a
  // browser PouchDB uses the platform's fetch, which keeps connections alive. The platform's
  // fetch here is Node's (undici), the same our device uses, so both sides share one HTTP client.
  const remote = new PouchDB(remoteUrl, {
    fetch: (url, init) => {
      onRequest();
      return fetch(url, init);
    },
  });
  await remote.info();
  return {
    async add(docs) {
      const results = await local.bulkDocs(docs);
      const failed = results.filter((result) => result.error !== undefined);
      if (failed.length > 0) throw new Error(`PouchDB refused ${failed.length} documents`);
    },
    async replicate(countRequest, capMs) {
      onRequest = countRequest;
      const replication = local.replicate.to(remote);
      let capped = false;
      const timer =
        capMs === undefined
          ? undefined
          : setTimeout(() => {
              capped = true;
              replication.cancel();
            }, capMs);
      try {
        const result = await replication;
        if (!capped && (!result.ok || result.doc_write_failures > 0))
          throw new Error(`PouchDB replication failed: ${JSON.stringify(result)}`);
        return { docsWritten: result.docs_written, capped };
      } finally {
        clearTimeout(timer);
        onRequest = () => {};
      }
    },
    async close() {
      await local.destroy();
      await remote.close();
    },
  };
}

/** A payment fact as a PouchDB document: the same fields, its id (a UUIDv7) as `_id`. */
export function asDocument(fact: Record<string, unknown>): object {
  const { id, ...rest } = fact;
  return { _id: id, ...rest };
}

/** How many documents the server's database holds, asked directly (not through the proxy). */
async function serverDocCount(port: number, database: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/${database}`);
  return ((await response.json()) as { doc_count: number }).doc_count;
}

const PEER_DATABASE = 'payments';

/** The peer's side of a measured sync: a PouchDB device replicating through a proxy. */
export interface PeerSide {
  readonly device: PouchDevice;
  readonly proxy: ThrottleProxy;
  /** How many documents the server's database holds, asked directly. */
  heldDocuments(): Promise<number>;
}

/**
 * Runs `work` on the peer's side: pouchdb-server on LevelDB in `folder`, a proxy in front of it
 * (throttled as `link`, or counting only) and a device replicating through the proxy; stops all
 * of it afterwards.
 */
export async function withPeerSide<T>(
  folder: string,
  link: Link | null,
  work: (side: PeerSide) => Promise<T>,
): Promise<T> {
  mkdirSync(folder, { recursive: true });
  const server = await startPouchServer(folder);
  try {
    const proxy = await startThrottleProxy(server.port, link);
    try {
      const device = await openPouchDevice(`http://127.0.0.1:${proxy.port}/${PEER_DATABASE}`);
      try {
        return await work({
          device,
          proxy,
          heldDocuments: () => serverDocCount(server.port, PEER_DATABASE),
        });
      } finally {
        await device.close();
      }
    } finally {
      await proxy.close();
    }
  } finally {
    await server.stop();
  }
}
