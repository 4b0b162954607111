/**
 * The store: the hub's only state. Handlers reach it through the request context, never a
 * singleton, so the same code and tests run on any engine the store supports. Queries are
 * written with Kysely so that adding an engine means adding a dialect, not rewriting queries.
 */
import { type Insertable, Migrator, sql, type Kysely, type Transaction } from 'kysely';
import { migrationsFor } from './migrations.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  readonly engine: Engine;
  readonly db: Kysely<Database>;
  /**
   * Runs `work` in one transaction: all of it commits or none of it, and its reads see one
   * consistent state.
   */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `work` reading one snapshot of the store from its first statement to its last, so a
   * page and its cursor describe the same moment (REPEATABLE READ on PostgreSQL).
   */
  readTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * Inserts rows of one table inside `trx` the engine's fastest way: on SQLite a few cached
   * multi-row statements bound by position, on PostgreSQL a few multi-row statements (one
   * round trip each). Every row must name the same columns.
   */
  insertMany<T extends keyof Database & string>(
    trx: Transaction<Database>,
    table: T,
    rows: readonly Insertable<Database[T]>[],
  ): Promise<void>;
  close(): Promise<void>;
}

/** Rows per statement: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
export const ROWS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/** Multi-row inserts through Kysely, a chunk per statement. */
export async function insertInChunks<T extends keyof Database & string>(
  trx: Transaction<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  for (const part of chunks(rows))
    await trx
      .insertInto(table)
      .values(part as never)
      .execute();
}

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

/** Brings the schema up to date; refuses a database migrated by a newer hub. */
export async function migrate(db: Kysely<Database>, engine: Engine): Promise<void> {
  const migrations = migrationsFor(engine);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const known = new Set(Object.keys(migrations));
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (tables.some((table) => table.name === 'kysely_migration')) {
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const unknown = applied.rows.map((row) => row.name).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new SchemaTooNewError(
        `the database has migrations this hub does not know: ${unknown.sort().join(', ')}; ` +
          'it was migrated by a newer hub. Run that version, or restore a backup this version made.',
      );
    }
  }
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/**
 * Takes the next number of a named counter inside a write transaction. The update locks the
 * counter's row until the transaction ends, so on PostgreSQL too no other transaction can take
 * a number before this one commits or rolls back: numbers are taken in commit order, and a
 * cursor that has seen number n has seen every change numbered below it.
 */
export async function nextCounter(trx: Transaction<Database>, name: string): Promise<number> {
  return takeCounters(trx, name, 1);
}

/**
 * Takes `count` consecutive numbers of a named counter at once (one statement, one lock, as
 * `nextCounter`) and returns the first; the numbers are first .. first + count - 1. A count of
 * 0 takes no number, only the lock.
 */
export async function takeCounters(
  trx: Transaction<Database>,
  name: string,
  count: number,
): Promise<number> {
  const bump = () =>
    trx
      .updateTable('counters')
      .set({ value: sql<number>`value + ${count}` })
      .where('name', '=', name)
      .returning('value')
      .executeTakeFirst();
  const row = (await bump()) ?? (await createCounter(trx, name).then(bump));
  if (!row) throw new Error(`counter ${name} could not be created`);
  return row.value - count + 1;
}

async function createCounter(trx: Transaction<Database>, name: string): Promise<void> {
  await trx
    .insertInto('counters')
    .values({ name, value: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function currentCounter(db: Kysely<Database>, name: string): Promise<number> {
  const row = await db
    .selectFrom('counters')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? row.value : 0;
}

/** This store's epoch: a new one after every restore from a backup. */
export async function storeEpoch(db: Pick<Kysely<Database>, 'selectFrom'>): Promise<string> {
  const row = await db
    .selectFrom('hub_meta')
    .select('value')
    .where('key', '=', 'epoch')
    .executeTakeFirstOrThrow();
  return row.value;
}
