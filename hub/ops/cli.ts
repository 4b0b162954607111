/**
 * The hub's operator commands, run as `npm run hub -- <command>` with the hub's environment:
 *
 *   backup FILE    write an encrypted backup of the store (the hub may keep running)
 *   restore FILE   replace the store with a backup (stop every hub process first)
 *   check          verify chains, ledger and audit log; exit 1 naming each problem found
 *
 * They act on the store the hub would open: DATABASE_URL when set, otherwise the SQLite file in
 * HUB_DATA_DIR. docs/operations.md says when and how to use them.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { HubEnv } from '../env.ts';
import { openPostgresStore } from '../store/postgres.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { backup, BackupError, backupKey, restore, type BackupTarget } from './backup.ts';
import { checkIntegrity, type Problem } from './integrity.ts';

/** Prints the integrity check's findings; true when there are none. */
export function reportIntegrity(problems: readonly Problem[]): boolean {
  if (problems.length === 0) {
    console.log('[hub] integrity check: chains, ledger and audit log agree');
    return true;
  }
  console.error(`[hub] integrity check found ${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  ${problem.where}: ${problem.what}`);
  return false;
}

export const COMMANDS = ['backup', 'restore', 'check'] as const;
export type Command = (typeof COMMANDS)[number];

export function isCommand(word: string | undefined): word is Command {
  return (COMMANDS as readonly string[]).includes(word ?? '');
}

export function storeTarget(env: HubEnv): BackupTarget {
  return env.DATABASE_URL
    ? { engine: 'postgres', location: env.DATABASE_URL }
    : { engine: 'sqlite', location: join(env.HUB_DATA_DIR, 'gridtally.sqlite') };
}

export function openStoreFor(target: BackupTarget): Promise<Store> {
  return target.engine === 'postgres'
    ? openPostgresStore(target.location, { poolSize: 2 })
    : openSqliteStore(target.location);
}

/** Runs one command; returns the process exit code. Messages go to the console. */
export async function runCommand(
  command: Command,
  args: readonly string[],
  env: HubEnv,
  keyText: string | undefined,
): Promise<number> {
  if (command === 'check') {
    const store = await openStoreFor(storeTarget(env));
    try {
      return reportIntegrity(await checkIntegrity(store)) ? 0 : 1;
    } finally {
      await store.close();
    }
  }
  const file = args[0];
  if (!file) {
    console.error(`usage: npm run hub -- ${command} FILE`);
    return 2;
  }
  const target = storeTarget(env);
  try {
    const key = backupKey(keyText);
    if (command === 'backup') {
      await backup(target, file, key, new Date());
      console.log(
        `[hub] backup of the ${target.engine} store written to ${file} (${statSync(file).size} bytes, encrypted)`,
      );
      return 0;
    }
    const header = await restore(target, file, key, async () => {
      const store = await openStoreFor(target);
      return { db: store.db, close: () => store.close() };
    });
    console.log(
      `[hub] restored the ${target.engine} store from ${file} (backup of ${header.createdAt}); ` +
        'devices will send again what came after it on their next sync',
    );
    return 0;
  } catch (error) {
    if (error instanceof BackupError) {
      console.error(`[hub] ${command} failed: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
