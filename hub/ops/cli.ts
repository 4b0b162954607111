/**
 * The hub's operator commands, run as `npm run hub -- <command>` with the hub's environment:
 *
 *   backup FILE    write an encrypted backup of the store (the hub may keep running)
 *   restore FILE   replace the store with a backup (stop every hub process first)
 *   check          verify chains, ledger and audit log; exit 1 naming each problem found
 *   verify-audit [FILE]  verify the audit chain against the heads devices kept (FILE: a list
 *                  of heads, or a tablet's outbox file); exit 1 naming the first bad row
 *
 * They act on the store the hub would open: DATABASE_URL when set, otherwise the SQLite file in
 * HUB_DATA_DIR. docs/operations.md says when and how to use them.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HubEnv } from '../env.ts';
import { openPostgresStore } from '../store/postgres.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { backup, BackupError, backupKey, restore, type BackupTarget } from './backup.ts';
import { keptHeadsSchema, verifyAudit } from './verify-audit.ts';
import type { AuditHead } from '../../shared/audit-head.ts';
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

export const COMMANDS = ['backup', 'restore', 'check', 'verify-audit'] as const;
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
  if (command === 'verify-audit') return runVerifyAudit(env, args[0]);
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

/**
 * `verify-audit [FILE]`: the audit chain from its first entry, and the heads in FILE (a JSON
 * list of heads, or a tablet's outbox file) held against it. Exit code 1 names the first bad row.
 */
async function runVerifyAudit(env: HubEnv, file: string | undefined): Promise<number> {
  let heads: AuditHead[] = [];
  if (file) {
    const parsed = keptHeadsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      console.error(`[hub] ${file} holds no audit heads: ${parsed.error.issues[0]?.message ?? ''}`);
      return 2;
    }
    heads = parsed.data;
  }
  const store = await openStoreFor(storeTarget(env));
  try {
    const result = await verifyAudit(store, heads);
    const [first] = result.findings;
    if (!first) {
      console.log(
        `[hub] audit chain of ${result.entries} entries holds, and agrees with ${result.headsChecked} kept heads`,
      );
      return 0;
    }
    console.error(`[hub] the first bad row: audit ${first.seq}: ${first.problem}`);
    for (const finding of result.findings.slice(1))
      console.error(`  audit ${finding.seq}: ${finding.problem}`);
    return 1;
  } finally {
    await store.close();
  }
}
