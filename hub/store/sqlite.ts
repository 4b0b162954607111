/**
 * The embedded SQLite store. WAL journal with synchronous=FULL: a push is acknowledged only
 * after its transaction is on disk, so a power cut after the reply loses nothing the device
 * was told is safe. The hub holds one connection, and Kysely's SQLite driver lends it to one
 * transaction at a time, so transactions never interleave; several hub processes may share
 * the file on one machine (see `transaction`).
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type SqliteDatabase, type Transaction } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { assert } from '../../shared/assert.ts';
import { migrate, type Store } from './store.ts';
import type { Database } from './schema.ts';

/**
 * Prepared statements kept by their SQL text. Kysely prepares every query it runs again, and a
 * push's statements are the same each time (their IN lists are as long as the push's ones):
 * preparing a read of a hundred accounts' latest payments cost more than running it. A
 * statement is only ever run to its end (the hub reads no query as a stream), so one statement
 * serves every query of its text in turn.
 */
const CACHED_STATEMENTS = 200;

type Prepare = (key: string, text?: () => string) => BetterSqlite3.Statement;

/** Prepares a statement once per key (its text, unless the text is long and given apart). */
function statementCache(connection: BetterSqlite3.Database): Prepare {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return (key, text = () => key) => {
    let statement = statements.get(key);
    if (statement) {
      // Most recently used last: the first one is the one to drop when the cache is full.
      statements.delete(key);
    } else {
      statement = connection.prepare(text());
      if (statements.size >= CACHED_STATEMENTS) {
        const oldest = statements.keys().next();
        if (!oldest.done) statements.delete(oldest.value);
      }
    }
    statements.set(key, statement);
    return statement;
  };
}

/**
 * The most rows one insert statement writes: a power of two, and with the widest table far
 * below SQLite's 32,766 parameters.
 */
const ROWS_PER_INSERT = 256;

/**
 * Inserts rows with multi-row statements, bound by position from the first row's columns: a
 * push's 1,000 facts take seven statements, not 1,000 runs each binding fourteen values by name.
 * The rows go in chunks of powers of two, largest first, so a table is written by a few
 * statements whatever the count, and only a few statements per table are ever prepared.
 */
function insertRows(
  prepare: Prepare,
  table: string,
  rows: readonly Readonly<Record<string, unknown>>[],
): void {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0, count = 0; start < rows.length; start += count) {
    count = ROWS_PER_INSERT;
    while (count > rows.length - start) count /= 2;
    const statement = prepare(`${head}${count}`, () => head + Array(count).fill(tuple).join(', '));
    const values: unknown[] = new Array(count * columns.length);
    let next = 0;
    for (let i = start; i < start + count; i++) {
      const row = rows[i] as Readonly<Record<string, unknown>>;
      for (const column of columns) {
        const value = row[column];
        // As a named parameter would, a column missing from a row refuses the insert.
        if (value === undefined) assert(column in row, `a row of ${table} has no ${column}`);
        values[next++] = value;
      }
    }
    statement.run(values);
  }
}

export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 10000');
  const prepare = statementCache(connection);
  const database: SqliteDatabase = {
    prepare: (text) => prepare(text),
    close: () => connection.close(),
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
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
      insertRows(prepare, table, rows);
    },
    async close() {
      await db.destroy();
    },
  };
}
