/**
 * What needs the tariff engine on the tablet, loaded on first use so the app starts without it:
 * the tariff versions held, what a top-up would buy, the top-up itself (priced and tokened
 * inside the transaction that records it, so two top-ups can never take one count), and a
 * bill printed at the door. Callers import this module before they open a transaction: the
 * import must not happen inside one.
 */
import type { AnyTopUp } from '../../shared/facts.ts';
import type { MinorUnits } from '../../shared/money.ts';
import type { AccountSnapshot } from '../../shared/protocol.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import { STS_UNIT_WH } from '../../shared/rules/topup.ts';
import { stsAmountCode } from '../../shared/sts-amount.ts';
import {
  makeTokens,
  purchaseFor,
  tokensLeft,
  type Purchase,
  type PurchaseError,
  type TokenError,
} from '../../shared/topup.ts';
import type { GridtallyDatabase, StoredFact } from './database.ts';
import { boughtOnDevice, lastCountOf } from './prepaid.ts';

export { draftSpotBill } from '../../shared/spot-bill.ts';
export { computeBill } from '../../shared/tariff/engine.ts';
export { parseTariff };

export type TopUpError = PurchaseError | TokenError | 'not-prepaid' | 'no-lease';

/** The versions of a tariff the device holds, oldest first, as the engine reads them. */
export async function tariffVersionsOf(db: GridtallyDatabase, tariffId: string): Promise<Tariff[]> {
  return (await db.tariffs.where('tariffId').equals(tariffId).sortBy('version'))
    .map((v) => parseTariff(v.document))
    .flatMap((parsed) => (parsed.ok ? [parsed.value] : []));
}

export interface TopUpPreview extends Purchase {
  /** Tokens the device's lease still holds for this meter; undefined for an STS meter. */
  readonly tokensLeft: number | undefined;
}

/** What an amount buys for a prepaid account now, tiers counted from what it bought before. */
async function purchaseNow(
  db: GridtallyDatabase,
  account: AccountSnapshot & { prepaid: NonNullable<AccountSnapshot['prepaid']> },
  own: readonly StoredFact[],
  amountMinor: MinorUnits,
  nowMs: number,
): Promise<Result<Purchase, PurchaseError>> {
  const saleDate = new Date(nowMs).toISOString().slice(0, 10);
  return purchaseFor({
    versions: await tariffVersionsOf(db, account.tariffId),
    tariffId: account.tariffId,
    amountMinor,
    saleDate,
    bought: boughtOnDevice(account, own, saleDate),
    unitWh: account.prepaid.unitWh,
  });
}

/** What a top-up on the account reads: the account, its lease, this tablet's facts, the price. */
async function topUpInputs(
  db: GridtallyDatabase,
  accountId: string,
  amountMinor: MinorUnits,
  nowMs: number,
) {
  const found = await db.accounts.get(accountId);
  if (!found?.prepaid) return err('not-prepaid' as const);
  const account = { ...found, prepaid: found.prepaid };
  const lease = await db.leases.get(accountId);
  const own = await db.facts.where('accountId').equals(accountId).toArray();
  const purchase = await purchaseNow(db, account, own, amountMinor, nowMs);
  return ok({ account, lease, own, purchase });
}

/** What an amount would buy for the account now, as the top-up would record it. */
export async function previewTopUp(
  db: GridtallyDatabase,
  accountId: string,
  amountMinor: MinorUnits,
  nowMs: number,
): Promise<Result<TopUpPreview, TopUpError>> {
  const inputs = await topUpInputs(db, accountId, amountMinor, nowMs);
  if (!inputs.ok) return inputs;
  const { lease, own, purchase } = inputs.value;
  if (!purchase.ok) return purchase;
  if (inputs.value.account.prepaid.system === 'sts') {
    const sts = stsTopUpFor(inputs.value.account, purchase.value);
    return sts.ok ? ok({ ...purchase.value, tokensLeft: undefined }) : sts;
  }
  return ok({
    ...purchase.value,
    tokensLeft: lease ? tokensLeft(lease, lastCountOf(lease, own)) : 0,
  });
}

/**
 * The top-up a payment of `amountMinor` makes now: priced, with its tokens at the lease's next
 * counts. Run inside the transaction that records the payment (facts, accounts, tariffs and
 * leases in its scope), so what it reads cannot change before the payment is written.
 */
export async function draftTopUp(
  db: GridtallyDatabase,
  accountId: string,
  amountMinor: MinorUnits,
  nowMs: number,
): Promise<Result<AnyTopUp, TopUpError>> {
  const inputs = await topUpInputs(db, accountId, amountMinor, nowMs);
  if (!inputs.ok) return inputs;
  const { account, lease, own, purchase } = inputs.value;
  if (account.prepaid.system === 'sts')
    return purchase.ok ? stsTopUpFor(account, purchase.value) : purchase;
  if (!lease) return err('no-lease');
  if (!purchase.ok) return purchase;
  const tokens = makeTokens(lease, lastCountOf(lease, own), purchase.value.energyWh);
  if (!tokens.ok) return tokens;
  // Noted on the lease in the same transaction as the payment: the counts stay used after
  // the payment is pruned (and if the payment is not written, counts are skipped, never reused).
  const usedThrough = tokens.value.at(-1)?.count;
  if (usedThrough !== undefined) await db.leases.put({ ...lease, usedThrough });
  return ok({
    system: 'openpaygo',
    tariffId: account.tariffId,
    tariffVersion: purchase.value.tariffVersion,
    energyWh: purchase.value.energyWh,
    costMinor: purchase.value.costMinor,
    tokens: tokens.value,
  });
}

/**
 * An STS top-up: the purchase as priced, for the account's STS meter, with no token (the hub
 * vends it). One token carries the energy, so a purchase one token cannot carry exactly (above
 * 1,638.3 kWh, only whole steps) is refused as too many tokens: sell it as two top-ups.
 */
function stsTopUpFor(
  account: Pick<AccountSnapshot, 'tariffId' | 'prepaid'>,
  purchase: Purchase,
): Result<AnyTopUp, TopUpError> {
  const meterNumber = account.prepaid?.stsMeterNumber;
  if (!meterNumber) return err('not-prepaid');
  if (
    purchase.energyWh % STS_UNIT_WH !== 0 ||
    stsAmountCode(purchase.energyWh / STS_UNIT_WH) === undefined
  )
    return err('too-many-tokens');
  return ok({
    system: 'sts',
    tariffId: account.tariffId,
    tariffVersion: purchase.tariffVersion,
    energyWh: purchase.energyWh,
    costMinor: purchase.costMinor,
    meterNumber,
  });
}
