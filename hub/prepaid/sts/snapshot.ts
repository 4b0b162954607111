/**
 * What a pulled snapshot tells of an account's STS meter: its number, its unit (a tenth of a
 * kWh) and the tokens vended for its latest top-ups, so a tablet that sold a top-up offline
 * shows the token after its next sync. Read for a page of accounts at once.
 */
import type { Kysely, Transaction } from 'kysely';
import {
  RECENT_STS_VENDS_SENT,
  type AccountSnapshot,
  type StsVend,
} from '../../../shared/protocol.ts';
import { STS_UNIT_WH } from '../../../shared/rules/topup.ts';
import type { StsToken } from '../../../shared/prepaid-tokens.ts';
import type { Database } from '../../store/schema.ts';

type Prepaid = NonNullable<AccountSnapshot['prepaid']>;

export async function stsPrepaidOf(
  trx: Transaction<Database> | Kysely<Database>,
  accountIds: readonly string[],
): Promise<Map<string, Prepaid>> {
  const found = new Map<string, Prepaid>();
  if (accountIds.length === 0) return found;
  const meters = await trx
    .selectFrom('sts_meters')
    .select(['account_id', 'meter_number'])
    .where('account_id', 'in', accountIds)
    .execute();
  if (meters.length === 0) return found;
  const vends = await trx
    .selectFrom('sts_vends')
    .select([
      'request_id',
      'account_id',
      'tokens',
      'energy_deci_kwh',
      'vend_reference',
      'issued_at',
    ])
    .where(
      'account_id',
      'in',
      meters.map((meter) => meter.account_id),
    )
    .orderBy('account_id')
    .orderBy('tid', 'desc')
    .execute();
  const byAccount = new Map<string, StsVend[]>();
  for (const vend of vends) {
    const list = byAccount.get(vend.account_id) ?? [];
    if (list.length >= RECENT_STS_VENDS_SENT) continue;
    list.push({
      factId: vend.request_id,
      tokens: (JSON.parse(vend.tokens) as StsToken[]).map((token) => token.digits),
      energyDeciKwh: Number(vend.energy_deci_kwh),
      vendReference: vend.vend_reference,
      issuedAt: vend.issued_at,
    });
    byAccount.set(vend.account_id, list);
  }
  for (const meter of meters)
    found.set(meter.account_id, {
      system: 'sts',
      stsMeterNumber: meter.meter_number,
      unitWh: STS_UNIT_WH,
      soldByMonth: [],
      stsVends: byAccount.get(meter.account_id) ?? [],
    });
  return found;
}
