/**
 * Starts the hub: validates the environment, opens the store (migrating it), seeds the demo
 * into an empty store, and listens. Stops cleanly on SIGINT and SIGTERM, letting requests in
 * flight finish so that no transaction is cut short by the hub itself.
 */
import { serve } from '@hono/node-server';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createApp } from './app.ts';
import type { SessionLifetimes } from './auth/sessions.ts';
import { seedDemoMonth } from './demo/month.ts';
import { demoSignIns, isEmpty, seedDemo } from './demo/seed.ts';
import { issueEnrolmentCode } from './devices/enrolment.ts';
import { readEnv, type HubEnv } from './env.ts';
import { COMMANDS, isCommand, reportIntegrity, runCommand } from './ops/cli.ts';
import { checkIntegrity } from './ops/integrity.ts';
import { openPostgresStore } from './store/postgres.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { Store } from './store/store.ts';

async function main(): Promise<void> {
  const env = readEnv(process.env);
  const [command, ...args] = process.argv.slice(2);
  if (isCommand(command)) {
    process.exitCode = await runCommand(command, args, env, process.env.HUB_BACKUP_KEY);
    return;
  }
  if (command !== undefined) {
    console.error(`unknown command "${command}"; the commands are: ${COMMANDS.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const { store, where } = await openStore(env);
  if (!(await integrityAllowsStart(store, env))) return;
  const demoCodes = await prepareDemo(store, env);
  serveHub(store, env, where, demoCodes);
}

/** The store the environment names (PostgreSQL, else SQLite in the data folder), and where. */
async function openStore(env: HubEnv): Promise<{ store: Store; where: string }> {
  const file = join(env.HUB_DATA_DIR, 'gridtally.sqlite');
  const store = env.DATABASE_URL
    ? await openPostgresStore(env.DATABASE_URL, { poolSize: env.HUB_PG_POOL_SIZE })
    : await openSqliteStore(file);
  const where = env.DATABASE_URL
    ? `PostgreSQL at ${redactPassword(env.DATABASE_URL)}`
    : `SQLite at ${file}`;
  return { store, where };
}

/**
 * Whether the hub may start on this store. A store that fails the integrity check is not served
 * unless the operator says so (HUB_START_DESPITE_PROBLEMS), so that nothing new is written over
 * damage nobody has looked at yet. When it may not start, the store is closed and the exit code
 * set.
 */
async function integrityAllowsStart(store: Store, env: HubEnv): Promise<boolean> {
  if (reportIntegrity(await checkIntegrity(store))) return true;
  if (!env.HUB_START_DESPITE_PROBLEMS) {
    console.error(
      '[hub] not starting: find what changed the rows named above (docs/operations.md), or restore a backup. ' +
        'HUB_START_DESPITE_PROBLEMS=1 starts anyway.',
    );
    await store.close();
    process.exitCode = 1;
    return false;
  }
  console.error('[hub] starting despite the problems above (HUB_START_DESPITE_PROBLEMS=1)');
  return true;
}

/** Seeds the demo into an empty store when asked to, and returns fresh enrolment codes for it. */
async function prepareDemo(store: Store, env: HubEnv): Promise<string[]> {
  if (env.HUB_DEMO === 'seed-when-empty' && (await isEmpty(store))) {
    const today = new Date();
    await seedDemo(store, today, env.HUB_DEMO_CUSTOMERS);
    if (env.HUB_DEMO_ACTIVITY === 'month')
      await seedDemoMonth(store, today, env.HUB_DEMO_CUSTOMERS);
    console.log(
      `[hub] seeded the demo deployment into an empty store${env.HUB_DEMO_ACTIVITY === 'month' ? ', with a month of field work' : ''}`,
    );
  }
  const demoCodes: string[] = [];
  if (env.HUB_DEMO === 'seed-when-empty') {
    // Fresh one-time codes at every demo start, so a new tablet can be enrolled at once.
    for (let i = 0; i < 3; i++) {
      demoCodes.push(
        (await issueEnrolmentCode(store, 'user-grace', new Date(), 7 * 24 * 3600 * 1000)).code,
      );
    }
  }
  return demoCodes;
}

/** Listens, serving the built client when there is one, and stops cleanly on a signal. */
function serveHub(store: Store, env: HubEnv, where: string, demoCodes: readonly string[]): void {
  const staticDir = existsSync(env.HUB_STATIC_DIR)
    ? relative(process.cwd(), env.HUB_STATIC_DIR) || '.'
    : undefined;
  if (!staticDir)
    console.warn(`[hub] no built client at ${env.HUB_STATIC_DIR}: serving the API only`);
  const deviceSettings = {
    maxUnsyncedCashMinor: env.HUB_MAX_UNSYNCED_CASH_MINOR,
    maxDaysOffline: env.HUB_MAX_DAYS_OFFLINE,
    retentionDays: env.HUB_DEVICE_RETENTION_DAYS,
    maxAmountMinor: env.HUB_MAX_AMOUNT_MINOR,
  };
  const app = createApp(
    {
      store,
      now: () => new Date(),
      deviceSettings,
      sessionLifetimes: sessionLifetimesOf(env),
      trustProxy: env.HUB_TRUST_PROXY,
      ...(env.HUB_PUBLIC_ORIGIN ? { publicOrigin: new URL(env.HUB_PUBLIC_ORIGIN).origin } : {}),
      ...(env.HUB_STS_VENDING_KEY ? { stsVendingKeyHex: env.HUB_STS_VENDING_KEY } : {}),
    },
    staticDir ? { staticDir, serveSourceMaps: env.HUB_SERVE_SOURCE_MAPS } : {},
  );
  const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
    console.log(`[hub] Gridtally hub on http://localhost:${info.port} (store: ${where})`);
    printSignIns(demoCodes);
  });
  const stop = () => {
    server.close(() => {
      void store.close().then(() => process.exit(0));
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function sessionLifetimesOf(env: HubEnv): SessionLifetimes {
  const minuteMs = 60_000;
  const supervisor = {
    idleMs: env.HUB_SUPERVISOR_IDLE_MINUTES * minuteMs,
    absoluteMs: env.HUB_SUPERVISOR_SESSION_HOURS * 60 * minuteMs,
  };
  return {
    supervisor,
    admin: supervisor,
    agent: {
      idleMs: env.HUB_AGENT_IDLE_DAYS * 24 * 60 * minuteMs,
      absoluteMs: env.HUB_AGENT_SESSION_DAYS * 24 * 60 * minuteMs,
      offlineUnlockMs:
        Math.min(env.HUB_AGENT_OFFLINE_UNLOCK_DAYS, env.HUB_AGENT_SESSION_DAYS) *
        24 *
        60 *
        minuteMs,
    },
  };
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function printSignIns(demoCodes: readonly string[]): void {
  console.log('[hub] demo sign-ins:');
  console.log(
    `  supervisor  ${demoSignIns.supervisor.username} / ${demoSignIns.supervisor.password}`,
  );
  console.log(
    `  admin       ${demoSignIns.admin.username} / ${demoSignIns.admin.password}  (every region, tariffs)`,
  );
  for (const agent of demoSignIns.agents)
    console.log(`  agent       ${agent.username} / PIN ${agent.pin}  (route ${agent.routeName})`);
  const village = demoSignIns.villageAgent;
  console.log(
    `  village     ${village.username} / PIN ${village.pin}  (pop-up point, area ${village.areaName}: route Nyando, any customer through the hub)`,
  );
  if (demoCodes.length > 0) {
    console.log(
      `[hub] device enrolment codes (one-time, 7 days; more from grace's Devices screen): ${demoCodes.join('  ')}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
