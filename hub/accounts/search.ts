/**
 * Finding any customer of the deployment on the hub, for a village agent's pop-up point (a
 * walk-in customer from beyond her area) and for supervisors (their region): by account number
 * (dashes and case ignored), meter number, phone digits (any form: the national digits are
 * looked for) or part of the name, as typed or folded as the tablet folds it (accents, spaces
 * and case ignored; a Chinese name by its pinyin: hub/accounts/search-text.ts). Bounded: a
 * query of 2 to 64 characters, at most 20 answers and whether there are more.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { AccountHit } from '../../shared/api.ts';
import { minor } from '../../shared/money.ts';
import { fold } from '../../shared/text.ts';
import type { Store } from '../store/store.ts';

export const HUB_SEARCH_LIMIT = 20;

/** `text` as a LIKE pattern that matches it literally. */
function literal(text: string): string {
  return text.replace(/[\\%_]/g, (sign) => `\\${sign}`);
}

export async function searchDeployment(
  store: Store,
  query: string,
  regionId: string | null,
): Promise<{ accounts: AccountHit[]; more: boolean }> {
  const text = query.trim().toLowerCase();
  // An account number as the tablet folds it: no case, accents, dashes or spaces.
  const folded = fold(text);
  const digits = text.replace(/\D/g, '');
  // The national part of a phone: no leading zeros, and at most its last nine digits.
  const national = digits.replace(/^0+/, '').slice(-9);
  const like = (column: Expression<unknown>, pattern: string) =>
    sql<SqlBool>`${column} like ${pattern} escape '\\'`;
  let search = store.db
    .selectFrom('accounts')
    .innerJoin('routes', 'routes.id', 'accounts.route_id')
    .select([
      'accounts.id',
      'accounts.account_number',
      'accounts.name',
      'accounts.address',
      'accounts.currency',
      'accounts.balance_minor',
      'routes.name as route_name',
    ])
    .where((eb) =>
      eb.or([
        ...(folded.length > 0
          ? [
              like(
                sql`lower(replace(replace(${eb.ref('accounts.account_number')}, '-', ''), ' ', ''))`,
                `${literal(folded)}%`,
              ),
            ]
          : []),
        // As typed: also finds an account whose name_search was never written (null).
        like(sql`lower(${eb.ref('accounts.name')})`, `%${literal(text)}%`),
        // Folded as the tablet folds it: "ngugi" finds Ngũgĩ, "wxm" and "wangxiaoming" 王小明.
        ...(folded.length >= 2
          ? [like(eb.ref('accounts.name_search'), `%${literal(folded)}%`)]
          : []),
        ...(digits.length >= 3 ? [like(eb.ref('accounts.meter_number'), `${digits}%`)] : []),
        ...(national.length >= 6
          ? [like(sql`replace(${eb.ref('accounts.phone')}, ' ', '')`, `%${national}%`)]
          : []),
      ]),
    );
  if (regionId !== null) search = search.where('routes.region_id', '=', regionId);
  const rows = await search
    .orderBy('accounts.account_number')
    .limit(HUB_SEARCH_LIMIT + 1)
    .execute();
  return {
    accounts: rows.slice(0, HUB_SEARCH_LIMIT).map((row) => ({
      id: row.id,
      accountNumber: row.account_number,
      name: row.name,
      address: row.address,
      routeName: row.route_name,
      currency: row.currency,
      balanceMinor: minor(Number(row.balance_minor)),
    })),
    more: rows.length > HUB_SEARCH_LIMIT,
  };
}
