/**
 * Everything a SQLite store holds, table by table, row by row, but for the bookkeeping that
 * any request may change: sessions (a sign-in), rate-limit counters and lock-outs.
 */
import { sql } from 'kysely';
import type { Store } from '../../hub/store/store.ts';

const BOOKKEEPING = new Set(['sessions', 'throttles', 'lockouts']);

export async function storedDump(store: Store): Promise<Record<string, unknown[]>> {
  const tables = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name
  `.execute(store.db);
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables.rows) {
    if (BOOKKEEPING.has(name)) continue;
    const rows = await sql<
      Record<string, unknown>
    >`select * from ${sql.table(name)} order by rowid`.execute(store.db);
    dump[name] = rows.rows;
  }
  return dump;
}
