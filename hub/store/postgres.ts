/**
 * The PostgreSQL store, for a utility that runs several hub processes behind a load balancer.
 * Same interface, same queries, same migrations as the embedded SQLite store.
 *
 * Why several processes never lose or skip a change: every write that others must see takes a
 * change number from one counter row, whose lock it holds until it commits (see `nextCounter`),
 * so numbers are taken in commit order; a pull reads its page and its cursor in one REPEATABLE
 * READ snapshot. Pushes of one device are serialised by locking the device's row first.
 *
 * 64-bit integers come back as JavaScript numbers: every such column (money in minor units,
 * change numbers, counts) stays far inside 2^53 by the money schema's range.
 */
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { insertInChunks, migrate, type Store } from './store.ts';
import type { Database } from './schema.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export interface PostgresOptions {
  /** Connections in this process's pool. */
  readonly poolSize?: number;
  /** How long an idle connection stays open (pg's default: 10 s). */
  readonly idleTimeoutMs?: number;
}

export async function openPostgresStore(
  url: string,
  options: PostgresOptions = {},
): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMillis: options.idleTimeoutMs }),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db, 'postgres');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    engine: 'postgres',
    db,
    transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.transaction().execute(work);
    },
    readTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.transaction().setIsolationLevel('repeatable read').execute(work);
    },
    insertMany: insertInChunks,
    async close() {
      await db.destroy();
    },
  };
}
