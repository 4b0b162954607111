/**
 * A real hub process that a fault test can kill as a power cut would. It follows
 * tests/e2e/hub-process.ts (both start the hub with `node --import tsx`, the code `npx tsx`
 * runs without npx's second or so per start, which a test with dozens of restarts feels), with
 * two differences the fault tests need: it talks to 127.0.0.1 only; and it notes whether the
 * hub ever exited without being killed, since a hub that dies by itself is a finding, not a
 * fault the test injected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { freePort } from '../support/ports.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Only against a hub that hangs: a start takes a second or two, and a busy machine may make it
 * several times that without anything being wrong.
 */
const START_TIMEOUT_MS = 120_000;
const LOG_LIMIT_CHARS = 20_000;

export class KillableHub {
  private child: ChildProcess | undefined;
  private output = '';
  /** Exits the test did not cause, with their code or signal. */
  readonly unexpectedExits: string[] = [];
  starts = 0;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  static async create(): Promise<KillableHub> {
    return new KillableHub(await freePort(), mkdtempSync(join(tmpdir(), 'gridtally-faults-')));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get file(): string {
    return join(this.dataDir, 'gridtally.sqlite');
  }

  /** The end of the hub's output, across all its lives. */
  get log(): string {
    return this.output.slice(-LOG_LIMIT_CHARS);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('the hub is already running');
    this.starts += 1;
    this.output += `\n--- start ${this.starts} ---\n`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        HUB_DATA_DIR: this.dataDir,
        // No built client here: the hub then serves the API only.
        HUB_STATIC_DIR: join(this.dataDir, 'no-client'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4 * LOG_LIMIT_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') this.unexpectedExits.push(`code ${code} signal ${signal}`);
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        throw new Error(`the hub exited while starting:\n${this.log}`);
      }
      try {
        const response = await fetch(`${this.url}/api/health`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the hub did not answer within ${START_TIMEOUT_MS} ms:\n${this.log}`);
  }

  /** SIGKILL to the hub's whole process group: no handler runs, nothing is flushed. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }

  /** For an exit hook, where nothing can be awaited. */
  killNow(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** Reads the hub's database directly, read-only, beside the running hub. */
  read<T>(work: (db: BetterSqlite3.Database) => T): T {
    const db = new BetterSqlite3(this.file, { readonly: true, fileMustExist: true });
    try {
      return work(db);
    } finally {
      db.close();
    }
  }

  query<T>(sql: string, ...params: unknown[]): T[] {
    return this.read((db) => db.prepare(sql).all(...params) as T[]);
  }

  /** SQLite's own verdict on the file: 'ok', or the list of what is wrong. */
  integrityCheck(): string {
    return this.read((db) =>
      (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
        .map((row) => row.integrity_check)
        .join('; '),
    );
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
