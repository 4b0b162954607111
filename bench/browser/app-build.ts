/**
 * The built app for the browser benchmark: `vite build` into dist/client as the end-to-end
 * setup does, but only when the build is missing or older than its sources, then a private
 * copy of it for the benchmark's hub to serve, so that a rebuild started by someone else
 * meanwhile cannot swap files under a measurement.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const BUILD_INPUTS = ['client', 'shared', 'vite.config.ts', 'package.json', 'package-lock.json'];
const BUILT = 'dist/client';

function newestMtimeMs(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path))
    newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** When the build finished: its oldest top-level output, since vite writes them all at once. */
function builtAtMs(root: string): number | undefined {
  const outputs = ['index.html', 'sw.js'].map((name) => join(root, BUILT, name));
  if (!outputs.every((path) => existsSync(path))) return undefined;
  return Math.min(...outputs.map((path) => statSync(path).mtimeMs));
}

/** The scripts and styles index.html names all exist beside it. */
function isWhole(dir: string): boolean {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const named = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((match) => match[1]);
  return named.length > 0 && named.every((path) => path && existsSync(join(dir, path)));
}

/**
 * Builds the app if it is missing or stale and returns a folder holding a copy of it (no
 * source maps), for the caller to delete. `rebuilt` says whether this call ran the build.
 */
export async function builtAppCopy(root: string): Promise<{ dir: string; rebuilt: boolean }> {
  const builtAt = builtAtMs(root);
  const sourcesAt = Math.max(
    ...BUILD_INPUTS.map((input) => join(root, input))
      .filter((path) => existsSync(path))
      .map(newestMtimeMs),
  );
  const rebuilt = builtAt === undefined || sourcesAt > builtAt;
  if (rebuilt)
    // The build's own output goes to stderr: stdout carries the benchmark's JSON lines.
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    });
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'gridtally-bench-app-'));
    cpSync(join(root, BUILT), dir, {
      recursive: true,
      filter: (source) => !source.endsWith('.map'),
    });
    if (isWhole(dir)) return { dir, rebuilt };
    // Caught a rebuild half-way: wait for it to finish and copy again.
    rmSync(dir, { recursive: true, force: true });
    await sleep(2_000);
  }
  throw new Error(`${BUILT} stayed incomplete; is a build failing?`);
}
