/**
 * A throw-away PostgreSQL for tests, from the machine's own binaries
 * (/usr/lib/postgresql/<version>/bin): a new cluster in a temp folder, on a free port on
 * 127.0.0.1, started as the `postgres` user when we are root (PostgreSQL refuses to run as
 * root), stopped and deleted afterwards. With DATABASE_URL set, that server is used instead and
 * each test gets a fresh database on it. Under Vitest, one cluster serves the whole run
 * (tests/support/vitest-setup.ts starts it and names it in SHARED_CLUSTER_ENV), instead of one
 * per test file.
 *
 * When neither is available, `postgresMissing()` says why in plain words, and suites skip with
 * that message, unless GRIDTALLY_REQUIRE_POSTGRES=1 (as `.ci/run` sets), when they fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

const ROOT = '/usr/lib/postgresql';

function binDir(): string | undefined {
  if (!existsSync(ROOT)) return undefined;
  const versions = readdirSync(ROOT)
    .filter((name) => existsSync(join(ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  return newest === undefined ? undefined : join(ROOT, newest, 'bin');
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (process.env.DATABASE_URL) return undefined;
  if (!binDir())
    return 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): install Debian\'s "postgresql" package, or set DATABASE_URL';
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0)
    return 'running as root and there is no "postgres" user to run PostgreSQL as';
  return undefined;
}

/** Whether suites must fail rather than skip when PostgreSQL is missing. */
export const POSTGRES_REQUIRED = process.env.GRIDTALLY_REQUIRE_POSTGRES === '1';

/** Names the run's shared cluster (its admin URL), for `startPostgres` in every test file. */
export const SHARED_CLUSTER_ENV = 'GRIDTALLY_TEST_POSTGRES_URL';

export interface PostgresServer {
  /** The server's admin URL (its `postgres` database). */
  readonly url: string;
  /**
   * A URL for a new database on the server: empty, or a copy of the database at `templateUrl`
   * (on this server, with nobody connected to it).
   */
  newDatabase(templateUrl?: string): Promise<string>;
  stop(): Promise<void>;
  /** Stops it at once, synchronously: for a process 'exit' hook. */
  stopNow(): void;
}

function asPostgresUser(command: string, args: readonly string[]): string[] {
  return process.getuid?.() === 0
    ? ['runuser', '-u', 'postgres', '--', command, ...args]
    : [command, ...args];
}

function run(command: string, args: readonly string[]): void {
  const [file, ...rest] = asPostgresUser(command, args);
  execFileSync(file as string, rest, { stdio: 'pipe' });
}

let databases = 0;

async function createDatabase(adminUrl: string, templateUrl?: string): Promise<string> {
  const name = `gridtally_test_${process.pid}_${++databases}_${Date.now()}`;
  const template = templateUrl === undefined ? undefined : new URL(templateUrl).pathname.slice(1);
  if (template !== undefined && !/^gridtally_test_[0-9_]+$/.test(template))
    throw new Error(`not a test database: ${templateUrl}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(
      template === undefined
        ? `create database ${name}`
        : `create database ${name} template ${template}`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts a cluster (or uses DATABASE_URL's server, or the run's shared cluster, which whoever
 * started it stops). Throws, saying why, when it cannot.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const external = process.env.DATABASE_URL || process.env[SHARED_CLUSTER_ENV];
  if (external) {
    return {
      url: external,
      newDatabase: (templateUrl) => createDatabase(external, templateUrl),
      stop: async () => {},
      stopNow: () => {},
    };
  }
  const missing = postgresMissing();
  if (missing) throw new Error(missing);
  const bin = binDir() as string;
  const dir = mkdtempSync(join(tmpdir(), 'gridtally-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  run(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  run(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`,
    'start',
  ]);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    try {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return {
    url: admin,
    newDatabase: (templateUrl) => createDatabase(admin, templateUrl),
    stop: async () => stopNow(),
    stopNow,
  };
}
