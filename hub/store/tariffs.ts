/**
 * Reading tariffs from the store: every version of some tariffs, parsed, oldest first.
 * Parsed from this store's rows on every call: a cache kept outside the store would hand one
 * store's version to another in the same process, where one number can mean other rates.
 */
import type { Transaction } from 'kysely';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import type { Database } from './schema.ts';
import { chunks } from './store.ts';

export async function tariffVersionsOf(
  trx: Transaction<Database>,
  tariffIds: readonly string[],
): Promise<Map<string, Tariff[]>> {
  const byId = new Map<string, Tariff[]>();
  for (const part of chunks([...new Set(tariffIds)])) {
    const rows = await trx
      .selectFrom('tariff_versions')
      .select(['tariff_id', 'document'])
      .where('tariff_id', 'in', part)
      .orderBy('tariff_id')
      .orderBy('version')
      .execute();
    for (const row of rows) {
      const parsed = parseTariff(JSON.parse(row.document) as unknown);
      if (!parsed.ok) continue;
      const list = byId.get(row.tariff_id);
      if (list) list.push(parsed.value);
      else byId.set(row.tariff_id, [parsed.value]);
    }
  }
  return byId;
}
