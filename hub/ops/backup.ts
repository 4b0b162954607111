/**
 * Backups and restores, for both engines, encrypted at rest.
 *
 * - SQLite: the online backup API (better-sqlite3's `backup`), safe while the hub runs: it
 *   copies a consistent snapshot of the database, WAL included.
 * - PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore --clean --if-exists`.
 *
 * Every backup file is AES-256-GCM encrypted with HUB_BACKUP_KEY (32 random bytes, base64):
 * a header line naming the format, the engine and the time, a 12-byte nonce, the ciphertext,
 * and the 16-byte authentication tag, so a file altered or cut short is refused, never
 * restored. A restore gives the store a new epoch (see hub_meta), which devices notice on their
 * next pull: they pull again from 0 and send again what the restored hub forgot.
 */
import BetterSqlite3 from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

const MAGIC = 'GRIDTALLY-BACKUP 1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class BackupError extends Error {
  override name = 'BackupError';
}

/** The key from HUB_BACKUP_KEY: 32 bytes as base64 (or 64 hex digits). */
export function backupKey(text: string | undefined): Buffer {
  if (!text)
    throw new BackupError(
      "HUB_BACKUP_KEY is not set. Make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"",
    );
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new BackupError('HUB_BACKUP_KEY must be 32 bytes, as base64 or hex');
  return key;
}

export type BackupEngine = 'sqlite' | 'postgres';

interface Header {
  readonly engine: BackupEngine;
  readonly createdAt: string;
}

async function encryptFile(
  plain: string,
  target: string,
  key: Buffer,
  header: Header,
): Promise<void> {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const headerLine = `${MAGIC} ${header.engine} ${header.createdAt}\n`;
  cipher.setAAD(Buffer.from(headerLine));
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  const out = await open(partial, 'w');
  try {
    await out.write(Buffer.from(headerLine));
    await out.write(nonce);
    for await (const chunk of createReadStream(plain))
      await out.write(cipher.update(chunk as Buffer));
    await out.write(cipher.final());
    await out.write(cipher.getAuthTag());
    await out.sync();
  } finally {
    await out.close();
  }
  // Only a complete file, on disk, takes the backup's name.
  renameSync(partial, target);
}

function readHeader(file: string): { header: Header; headerBytes: number } {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(200);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const newline = buffer.subarray(0, read).indexOf(0x0a);
    const line = newline < 0 ? '' : buffer.subarray(0, newline).toString('utf8');
    const match = /^GRIDTALLY-BACKUP 1 (sqlite|postgres) (\S+)$/.exec(line);
    if (!match) throw new BackupError(`${file} is not a Gridtally backup`);
    return {
      header: { engine: match[1] as BackupEngine, createdAt: match[2] as string },
      headerBytes: newline + 1,
    };
  } finally {
    closeSync(fd);
  }
}

async function decryptFile(file: string, target: string, key: Buffer): Promise<Header> {
  const { header, headerBytes } = readHeader(file);
  const fd = openSync(file, 'r');
  let size: number;
  const nonce = Buffer.alloc(NONCE_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    size = fstatSync(fd).size;
    if (size < headerBytes + NONCE_BYTES + TAG_BYTES) throw new BackupError(`${file} is cut short`);
    readSync(fd, nonce, 0, NONCE_BYTES, headerBytes);
    readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    closeSync(fd);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(`${MAGIC} ${header.engine} ${header.createdAt}\n`));
  decipher.setAuthTag(tag);
  const start = headerBytes + NONCE_BYTES;
  const length = size - TAG_BYTES - start;
  const out = await open(target, 'w');
  try {
    if (length > 0)
      for await (const chunk of createReadStream(file, { start, end: start + length - 1 }))
        await out.write(decipher.update(chunk as Buffer));
    // final() checks the tag: a wrong key or an altered byte anywhere fails here.
    await out.write(decipher.final());
  } catch (error) {
    await out.close();
    rmSync(target, { force: true });
    throw new BackupError(
      `${file} cannot be decrypted: wrong HUB_BACKUP_KEY, or the file was altered (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  await out.close();
  return header;
}

function scratch(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gridtally-backup-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The machine's PostgreSQL client program, newest version first, or the one on PATH. */
export function pgTool(name: 'pg_dump' | 'pg_restore'): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const path = join(root, version, 'bin', name);
      if (existsSync(path)) return path;
    }
  }
  return name;
}

function runTool(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw new BackupError(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0)
    throw new BackupError(`${command} failed (${result.status}): ${result.stderr.trim()}`);
}

export interface BackupTarget {
  readonly engine: BackupEngine;
  /** The SQLite database file, or the PostgreSQL URL. */
  readonly location: string;
}

/** Writes an encrypted backup of the store at `target` to `file`; the hub may keep running. */
export async function backup(
  target: BackupTarget,
  file: string,
  key: Buffer,
  now: Date,
): Promise<void> {
  const work = scratch();
  try {
    const plain = join(work.dir, 'plain');
    if (target.engine === 'sqlite') {
      if (!existsSync(target.location)) throw new BackupError(`no database at ${target.location}`);
      const source = new BetterSqlite3(target.location, { fileMustExist: true });
      try {
        await source.backup(plain);
      } finally {
        source.close();
      }
    } else {
      runTool(pgTool('pg_dump'), [
        '--format=custom',
        '--no-owner',
        '--file',
        plain,
        '--dbname',
        target.location,
      ]);
    }
    await encryptFile(plain, file, key, { engine: target.engine, createdAt: now.toISOString() });
  } finally {
    work.done();
  }
}

/**
 * Replaces the store at `target` with the backup in `file`. The hub must be stopped (on
 * PostgreSQL: every hub process). The backup is decrypted and checked before anything is
 * replaced; afterwards the store takes a new epoch.
 */
export async function restore(
  target: BackupTarget,
  file: string,
  key: Buffer,
  openForEpoch: () => Promise<{ db: Kysely<Database>; close: () => Promise<void> }>,
): Promise<Header> {
  const work = scratch();
  try {
    const plain = join(work.dir, 'plain');
    const header = await decryptFile(file, plain, key);
    if (header.engine !== target.engine)
      throw new BackupError(
        `${file} is a ${header.engine} backup; this hub runs on ${target.engine}`,
      );
    if (target.engine === 'sqlite') {
      const check = new BetterSqlite3(plain, { readonly: true, fileMustExist: true });
      try {
        const result = check.pragma('integrity_check', { simple: true });
        if (result !== 'ok')
          throw new BackupError(`the backup's database is damaged: ${String(result)}`);
      } finally {
        check.close();
      }
      mkdirSync(dirname(target.location), { recursive: true });
      for (const suffix of ['-wal', '-shm']) rmSync(`${target.location}${suffix}`, { force: true });
      const staged = `${target.location}.restoring`;
      copyFileSync(plain, staged);
      renameSync(staged, target.location);
    } else {
      runTool(pgTool('pg_restore'), [
        '--clean',
        '--if-exists',
        '--no-owner',
        '--single-transaction',
        '--exit-on-error',
        '--dbname',
        target.location,
        plain,
      ]);
    }
    const opened = await openForEpoch();
    try {
      await sql`update hub_meta set value = ${randomUUID()} where key = 'epoch'`.execute(opened.db);
    } finally {
      await opened.close();
    }
    return header;
  } finally {
    work.done();
  }
}
