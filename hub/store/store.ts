/**
 * The store: the hub's only state. Handlers reach it through the request context, never a
 * singleton, so the same code and tests run on any engine the store supports. Queries are
 * written with Kysely so that adding an engine means adding a dialect, not rewriting queries.
 */
import { Migrator, sql, type Kysely, type Transaction } from 'kysely';
import { migrations } from './migrations.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite';

export interface Store {
  readonly engine: Engine;
  readonly db: Kysely<Database>;
  /**
   * Runs `work` in one transaction: all of it commits or none of it, and its reads see one
   * consistent state.
   */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

/** Brings the schema up to date; refuses a database migrated by a newer hub. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const known = new Set(Object.keys(migrations));
  const applied = await migrator.getMigrations();
  const unknown = applied.filter((m) => m.executedAt !== undefined && !known.has(m.name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database has migrations this hub does not know: ${unknown.map((m) => m.name).join(', ')}`,
    );
  }
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** Takes the next number of a named counter inside a write transaction. */
export async function nextCounter(trx: Transaction<Database>, name: string): Promise<number> {
  const row = await trx
    .updateTable('counters')
    .set({ value: sql<number>`value + 1` })
    .where('name', '=', name)
    .returning('value')
    .executeTakeFirst();
  if (row) return Number(row.value);
  await trx.insertInto('counters').values({ name, value: 1 }).execute();
  return 1;
}

export async function currentCounter(db: Kysely<Database>, name: string): Promise<number> {
  const row = await db
    .selectFrom('counters')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? Number(row.value) : 0;
}
