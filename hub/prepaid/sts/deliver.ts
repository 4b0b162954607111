/**
 * The money path of an STS top-up on the hub (docs/prepaid-tokens.md, "STS"). A tablet records
 * the payment first, offline if need be, with the energy it priced and no token; the ingest
 * checks it and sells the energy (hub/ingest/apply.ts); then the hub asks the vending service
 * for the token, with the payment's fact id as the request id:
 *
 * - after each push, for the top-ups sold and not yet vended (a few at a time);
 * - when an online tablet asks for one payment's token (POST /api/prepaid/sts/vends).
 *
 * The request carries the hub's record of the meter and the energy the hub sold, never what a
 * tablet says beyond the fact id. A fact id is one request id, so a payment never buys two
 * tokens, whether asked twice, by both paths at once, or again after a hub died mid-vend.
 */
import type { StsVendError, StsVendingService } from '../../../shared/prepaid-tokens.ts';
import type { StsVend } from '../../../shared/protocol.ts';
import { err, ok, type Result } from '../../../shared/result.ts';
import { STS_UNIT_WH } from '../../../shared/rules/topup.ts';
import type { Store } from '../../store/store.ts';

/** Top-ups vended after one push at most: the rest wait for the next push or a tablet's ask. */
export const VENDS_PER_PUSH = 20;

export type VendOutcome =
  | { readonly outcome: 'vended'; readonly vend: StsVend }
  | { readonly outcome: 'not-sold' }
  | { readonly outcome: 'refused'; readonly reason: StsVendError };

/** The top-up a payment made, if it is an STS top-up the hub stored: undefined otherwise. */
async function stsSale(store: Store, factId: string) {
  return store.db
    .selectFrom('top_ups')
    .innerJoin('sts_meters', 'sts_meters.account_id', 'top_ups.account_id')
    .select([
      'top_ups.fact_id',
      'top_ups.account_id',
      'top_ups.energy_wh',
      'top_ups.status',
      'sts_meters.meter_number',
      'sts_meters.supply_group_code',
      'sts_meters.key_revision',
      'sts_meters.tariff_index',
    ])
    .where('top_ups.fact_id', '=', factId)
    .executeTakeFirst();
}

/** The account a stored STS top-up was sold to, to check who may ask for its token. */
export async function stsSaleAccount(store: Store, factId: string): Promise<string | undefined> {
  return (await stsSale(store, factId))?.account_id;
}

/** Vends the token of one stored STS top-up, or answers the tokens vended before. */
export async function vendTopUp(
  store: Store,
  service: StsVendingService,
  factId: string,
): Promise<Result<VendOutcome, 'not-found'>> {
  const sale = await stsSale(store, factId);
  if (!sale) return err('not-found');
  if (sale.status !== 'sold') return ok({ outcome: 'not-sold' });
  const answer = await service.vend({
    requestId: factId,
    meter: {
      meterNumber: sale.meter_number,
      supplyGroupCode: sale.supply_group_code,
      keyRevisionNumber: Number(sale.key_revision),
      tariffIndex: sale.tariff_index,
    },
    credit: { basis: 'energy', energyDeciKwh: Number(sale.energy_wh) / STS_UNIT_WH },
  });
  if (!answer.ok) return ok({ outcome: 'refused', reason: answer.error });
  return ok({
    outcome: 'vended',
    vend: {
      factId,
      tokens: answer.value.tokens.map((token) => token.digits),
      energyDeciKwh: answer.value.energyDeciKwh,
      vendReference: answer.value.vendReference,
      issuedAt: answer.value.issuedAt,
    },
  });
}

/**
 * Vends the STS top-ups sold and not vended yet, newest first, at most `limit`. A refusal or a
 * failure of one leaves it for the next round and does not stop the others. Newest first: the
 * sales just pushed are the ones a customer may be waiting for, and a top-up the service keeps
 * refusing (a blocked meter) never holds back the ones after it; older ones follow at the next
 * rounds, and a tablet can ask for any one.
 */
export async function vendPending(
  store: Store,
  service: StsVendingService,
  limit = VENDS_PER_PUSH,
): Promise<number> {
  const pending = await store.db
    .selectFrom('top_ups')
    .innerJoin('sts_meters', 'sts_meters.account_id', 'top_ups.account_id')
    .leftJoin('sts_vends', 'sts_vends.request_id', 'top_ups.fact_id')
    .select('top_ups.fact_id')
    .where('top_ups.status', '=', 'sold')
    .where('sts_vends.request_id', 'is', null)
    .orderBy('top_ups.fact_id', 'desc')
    .limit(limit)
    .execute();
  let vended = 0;
  for (const { fact_id } of pending) {
    try {
      const answer = await vendTopUp(store, service, fact_id);
      if (answer.ok && answer.value.outcome === 'vended') vended += 1;
    } catch (error) {
      console.error(`[hub] STS vend of ${fact_id} failed; it waits for the next round`, error);
    }
  }
  return vended;
}
