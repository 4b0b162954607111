/**
 * The demo's STS meters: three of its prepaid customers (58 in Kabondo; 139 and 179 in Nyando)
 * have STS meters instead of OpenPAYGO ones, so `npm start` shows both kinds of top-up. Their
 * supply group's vending key comes from a cryptographic random source at seed, kept in the
 * software vending module's key table (a deployment gives its own in HUB_STS_VENDING_KEY).
 */
import { randomBytes } from 'node:crypto';
import type { Insertable, Transaction } from 'kysely';
import { luhnDigit } from '../prepaid/sts/keys.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

/** The demo's supply group (SGC), key revision (KRN) and tariff index (TI). */
export const DEMO_STS = { supplyGroupCode: '900417', keyRevisionNumber: 1, tariffIndex: '01' };

/** Customer numbers whose prepaid meter is an STS meter. */
export function isDemoSts(n: number): boolean {
  return n === 58 || n === 139 || n === 179;
}

/** Customer n's STS meter number: 11 digits, the last the Luhn check digit. */
export function demoStsMeterNumber(n: number): string {
  const body = `0417${String(n).padStart(6, '0')}`;
  return `${body}${luhnDigit(body)}`;
}

export async function seedDemoSts(
  store: Store,
  trx: Transaction<Database>,
  accountIds: readonly string[],
): Promise<void> {
  const meters: Insertable<Database['sts_meters']>[] = accountIds.flatMap((id, i) =>
    isDemoSts(i + 1)
      ? [
          {
            account_id: id,
            meter_number: demoStsMeterNumber(i + 1),
            supply_group_code: DEMO_STS.supplyGroupCode,
            key_revision: DEMO_STS.keyRevisionNumber,
            tariff_index: DEMO_STS.tariffIndex,
            base_date: 2014,
            last_tid: 0,
            blocked: 0,
          },
        ]
      : [],
  );
  await store.insertMany(trx, 'sts_meters', meters);
  await trx
    .insertInto('sts_vending_keys')
    .values({
      supply_group_code: DEMO_STS.supplyGroupCode,
      key_revision: DEMO_STS.keyRevisionNumber,
      vending_key: randomBytes(8).toString('hex'),
    })
    .execute();
}
