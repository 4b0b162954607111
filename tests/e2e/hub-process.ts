/**
 * A real hub process for end-to-end tests: hub/main.ts started with `node --import tsx` (what
 * `npx tsx` runs, without npx's second or so per start) on a free port with its own data
 * folder, stopped hard (SIGKILL, as a crash or power cut would) and started again on the same
 * port and data.
 *
 * Tests get one through a fixture: `sharedHub` is one hub for every test of a Playwright worker
 * that neither stops it nor needs it empty (each such test enrols its own device and pays into
 * accounts no other test touches, and looks only for its own records); `ownHub` is a fresh hub
 * for one test, which may kill it or count everything it holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base } from '@playwright/test';
import BetterSqlite3 from 'better-sqlite3';
import { freePort } from '../support/ports.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Only against a hub that hangs: a start takes a few seconds. */
const START_LIMIT_MS = 60_000;
const HEALTH_POLL_MS = 25;

export class HubProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly staticDir: string,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  /**
   * `staticDir` serves another copy of the built app, for tests that change it; `env` adds to
   * the hub's environment (HUB_DEMO_ACTIVITY, say).
   */
  static async create(
    staticDir = 'dist/client',
    env: Readonly<Record<string, string>> = {},
  ): Promise<HubProcess> {
    return new HubProcess(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'gridtally-e2e-')),
      staticDir,
      env,
    );
  }

  /** A hub created and started: the fixtures' way to get one. */
  static async started(
    staticDir?: string,
    env: Readonly<Record<string, string>> = {},
  ): Promise<HubProcess> {
    const hub = await HubProcess.create(staticDir, env);
    await hub.start();
    return hub;
  }

  get url(): string {
    return `http://localhost:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  /** Starts the hub and waits until it answers; a hub seeding a large demo may need longer. */
  async start(limitMs = START_LIMIT_MS): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        HUB_DATA_DIR: this.dataDir,
        HUB_STATIC_DIR: this.staticDir,
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`hub exited early:\n${this.output}`);
      try {
        const response = await fetch(`${this.url}/api/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
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

/** Playwright's `test` with the two ways to get a hub (see the top of this file). */
export const test = base.extend<{ ownHub: HubProcess }, { sharedHub: HubProcess }>({
  sharedHub: [
    // Playwright reads a fixture's dependencies from its first parameter's pattern: none here.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const hub = await HubProcess.started();
      await use(hub);
      await hub.dispose();
    },
    { scope: 'worker' },
  ],
  // eslint-disable-next-line no-empty-pattern
  ownHub: async ({}, use) => {
    const hub = await HubProcess.started();
    await use(hub);
    await hub.dispose();
  },
});
