/**
 * 0025, names found as the tablet finds them: each account keeps its name folded (and a Chinese
 * name's pinyin) in `name_search` (hub/accounts/search-text.ts), written with the name; the
 * names already held are written here, a thousand at a time.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { nameSearchText } from '../accounts/search-text.ts';

const CHUNK = 1_000;

export const searchableNames: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('accounts').addColumn('name_search', 'text').execute();
    await writeNameSearch(db);
  },
};

/** Writes `name_search` of every account from its name, a thousand accounts at a time. */
export async function writeNameSearch(db: Kysely<unknown>): Promise<void> {
  for (let after = ''; ;) {
    const rows = await sql<{ id: string; name: string }>`
      select id, name from accounts where id > ${after} order by id limit ${CHUNK}`.execute(db);
    const last = rows.rows.at(-1);
    if (!last) return;
    for (const row of rows.rows)
      await sql`update accounts set name_search = ${nameSearchText(row.name)} where id = ${row.id}`.execute(
        db,
      );
    after = last.id;
  }
}
