/**
 * Vitest's global setup, run once in the main process around the whole run. Vitest ends its
 * test processes with SIGTERM, so they never reach their 'exit' hooks: whatever a test file
 * makes outside itself must be made and removed here instead.
 *
 * - A scratch folder in RAM (SCRATCH_ENV) for the test stores copied from templates
 *   (store-template.ts), removed at the end.
 * - One throw-away PostgreSQL cluster (SHARED_CLUSTER_ENV), from which each test file that
 *   needs PostgreSQL gets its databases instead of starting a cluster of its own (a second or
 *   two each), stopped at the end. Nothing starts when DATABASE_URL names a server, or when
 *   PostgreSQL is missing: then each file finds that out, and skips or fails saying why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { postgresMissing, SHARED_CLUSTER_ENV, startPostgres } from './postgres.ts';
import { ramRoot, SCRATCH_ENV } from './store-template.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const scratch = mkdtempSync(join(ramRoot(), 'gridtally-vitest-'));
  process.env[SCRATCH_ENV] = scratch;
  const startCluster = !(
    process.env.DATABASE_URL ||
    process.env[SHARED_CLUSTER_ENV] ||
    postgresMissing()
  );
  const server = startCluster ? await startPostgres() : undefined;
  if (server) process.env[SHARED_CLUSTER_ENV] = server.url;
  return async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
