/**
 * `npm start`: builds the PWA when it is missing or older than its sources, then runs the hub
 * in this process's place, so that Ctrl-C and signals reach the hub directly. An empty store is
 * seeded with the demo and a month of its field work (HUB_DEMO_ACTIVITY).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const built = 'dist/client/index.html';
const sources = ['client', 'shared', 'vite.config.ts', 'package.json'];

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, entry) => Math.max(newest, newestMtimeMs(join(path, entry))),
    stat.mtimeMs,
  );
}

function isStale(): boolean {
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return sources.some((source) => existsSync(source) && newestMtimeMs(source) > builtAt);
}

if (isStale()) {
  console.log('[start] building the app (missing or older than its sources)…');
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// The demo that `npm start` shows comes with a month of field work behind it, so the
// supervisor's screens have collections and flags to look at; hubs started by tests do not.
process.env.HUB_DEMO_ACTIVITY ??= 'month';
await import('../hub/main.ts');
