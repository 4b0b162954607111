/**
 * A real hub process for end-to-end tests: started with `tsx hub/main.ts` on a free port with
 * its own data folder, stopped hard (SIGKILL, as a crash or power cut would) and started again
 * on the same port and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { freePort } from '../support/ports.ts';

export class HubProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly staticDir: string,
  ) {}

  /** `staticDir` serves another copy of the built app, for tests that change it. */
  static async create(staticDir = 'dist/client'): Promise<HubProcess> {
    return new HubProcess(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'gridtally-e2e-')),
      staticDir,
    );
  }

  get url(): string {
    return `http://localhost:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  async start(): Promise<void> {
    const child = spawn('npx', ['tsx', 'hub/main.ts'], {
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        HUB_DATA_DIR: this.dataDir,
        HUB_STATIC_DIR: this.staticDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`hub exited early:\n${this.output}`);
      try {
        const response = await fetch(`${this.url}/api/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`hub did not answer in time:\n${this.output}`);
  }

  /** Kills the hub's whole process group at once, with no chance to clean up. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** A one-time device enrolment code, issued through the API as the demo supervisor. */
  async enrolmentCode(): Promise<string> {
    const signIn = await fetch(`${this.url}/api/auth/supervisor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'grace', password: 'gridtally-demo' }),
    });
    const { token } = (await signIn.json()) as { token: string };
    const issued = await fetch(`${this.url}/api/devices/enrolment-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await issued.json()) as { code: string }).code;
  }

  /** Reads the hub's database directly, read-only, to check what the hub holds. */
  query<T>(sql: string, ...params: unknown[]): T[] {
    const db = new BetterSqlite3(join(this.dataDir, 'gridtally.sqlite'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
