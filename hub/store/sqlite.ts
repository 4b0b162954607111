/**
 * The embedded SQLite store. WAL journal with synchronous=FULL: a push is acknowledged only
 * after its transaction is on disk, so a power cut after the reply loses nothing the device
 * was told is safe. The hub holds one connection, and Kysely's SQLite driver lends it to one
 * transaction at a time, so transactions never interleave; several hub processes may share
 * the file on one machine (see `transaction`).
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type Transaction } from 'kysely';
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
  connection.pragma('busy_timeout = 10000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  const statements = new Map<string, BetterSqlite3.Statement>();
  await migrate(db, 'sqlite');
  return {
    engine: 'sqlite',
    db,
    // BEGIN IMMEDIATE takes the write lock at the start, not at the first write: with several
    // hub processes on one file, a transaction can then never find, on its first write, that
    // another process wrote since it began reading (SQLITE_BUSY_SNAPSHOT); it waits its turn
    // (busy_timeout) instead, and writers across processes commit one at a time, in the order
    // they took their change numbers.
    transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await work(connection as Transaction<Database>);
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        }
      });
    },
    // One connection, one transaction at a time: every transaction reads one snapshot.
    readTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.transaction().execute(work);
    },
    // The transaction runs on this same connection, so rows inserted here are part of it.
    async insertMany(_trx, table, rows) {
      const first = rows[0];
      if (!first) return;
      const columns = Object.keys(first);
      const text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`;
      let statement = statements.get(text);
      if (!statement) {
        statement = connection.prepare(text);
        statements.set(text, statement);
      }
      // Named parameters bind straight from each row object.
      for (const row of rows) statement.run(row);
    },
    async close() {
      await db.destroy();
    },
  };
}
