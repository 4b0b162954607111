/**
 * The embedded SQLite store. WAL journal with synchronous=FULL: a push is acknowledged only
 * after its transaction is on disk, so a power cut after the reply loses nothing the device
 * was told is safe. The hub holds one connection, and Kysely's SQLite driver lends it to one
 * transaction at a time, so transactions never interleave.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type Transaction } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, type Store } from './store.ts';
import type { Database } from './schema.ts';

export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  await migrate(db, 'sqlite');
  return {
    engine: 'sqlite',
    db,
    transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.transaction().execute(work);
    },
    // One connection, one transaction at a time: every transaction reads one snapshot.
    readTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.transaction().execute(work);
    },
    async close() {
      await db.destroy();
    },
  };
}
