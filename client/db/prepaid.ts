/**
 * Prepaid on the tablet: the leases of token counts it holds (sealed at rest, since each
 * carries its meter's key), which prepaid accounts still want one, what a top-up would buy, and
 * the top-up itself, priced and tokened inside the transaction that records it, so two top-ups
 * can never take one count (shared/topup.ts says why counts are leased).
 */
import type { FactOf, TopUp } from '../../shared/facts.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';
import {
  leaseResponseSchema,
  MAX_LEASES_PER_REQUEST,
  pendingEffects,
  type AccountSnapshot,
} from '../../shared/protocol.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import {
  boughtBefore,
  makeTokens,
  purchaseFor,
  tokensLeft,
  type BoughtBefore,
  type Purchase,
  type PurchaseError,
  type TokenError,
  type TokenLease,
} from '../../shared/topup.ts';
import { callHub, type FetchLike, type HubFailure } from '../api.ts';
import type { GridtallyDatabase, StoredFact } from './database.ts';

/**
 * A lease as the device holds it, with the highest count it used (`usedThrough`), kept on the
 * lease itself: the payments that carried the tokens are pruned from the device in time, and
 * a count must never be made twice.
 */
export interface StoredLease extends TokenLease {
  readonly usedThrough?: number;
}

export type TopUpError = PurchaseError | TokenError | 'not-prepaid' | 'no-lease';

/** The highest token count this device used for the account's meter (0: none). */
export function lastCountUsed(own: readonly StoredFact[]): number {
  let last = 0;
  for (const stored of own) {
    const topUp = stored.fact.kind === 'payment' ? stored.fact.body.topUp : undefined;
    for (const token of topUp?.tokens ?? []) last = Math.max(last, token.count);
  }
  return last;
}

/** The highest count used of the lease's meter: by the lease's record or the facts still held. */
export function lastCountOf(lease: StoredLease | undefined, own: readonly StoredFact[]): number {
  return Math.max(lease?.usedThrough ?? 0, lastCountUsed(own));
}

/** The device's own top-ups of an account, as the snapshot does not include them yet. */
function pendingSales(account: AccountSnapshot, own: readonly StoredFact[]) {
  return pendingEffects(account, own).flatMap((stored) => {
    const topUp = stored.fact.kind === 'payment' ? stored.fact.body.topUp : undefined;
    return topUp ? [{ soldOn: stored.fact.recordedAt.slice(0, 10), energyWh: topUp.energyWh }] : [];
  });
}

/** What the account bought before a sale today: the hub's months plus this device's pending. */
export function boughtOnDevice(
  account: AccountSnapshot,
  own: readonly StoredFact[],
  saleDate: string,
): BoughtBefore {
  const months = (account.prepaid?.soldByMonth ?? []).map((m) => ({
    soldOn: `${m.month}-01`,
    energyWh: m.energyWh,
  }));
  return boughtBefore([...months, ...pendingSales(account, own)], saleDate);
}

/** The versions of a tariff the device holds, oldest first, as the engine reads them. */
export async function tariffVersionsOf(db: GridtallyDatabase, tariffId: string): Promise<Tariff[]> {
  return (await db.tariffs.where('tariffId').equals(tariffId).sortBy('version'))
    .map((v) => parseTariff(v.document))
    .flatMap((parsed) => (parsed.ok ? [parsed.value] : []));
}

export interface TopUpPreview extends Purchase {
  /** Tokens the device's lease still holds for this meter. */
  readonly tokensLeft: number;
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

/** What an amount would buy for the account now, as the top-up would record it. */
export async function previewTopUp(
  db: GridtallyDatabase,
  accountId: string,
  amountMinor: MinorUnits,
  nowMs: number,
): Promise<Result<TopUpPreview, TopUpError>> {
  const account = await db.accounts.get(accountId);
  if (!account?.prepaid) return err('not-prepaid');
  const own = await db.facts.where('accountId').equals(accountId).toArray();
  const lease = await db.leases.get(accountId);
  const purchase = await purchaseNow(
    db,
    { ...account, prepaid: account.prepaid },
    own,
    amountMinor,
    nowMs,
  );
  if (!purchase.ok) return purchase;
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
): Promise<Result<TopUp, TopUpError>> {
  const account = await db.accounts.get(accountId);
  if (!account?.prepaid) return err('not-prepaid');
  const lease = await db.leases.get(accountId);
  if (!lease) return err('no-lease');
  const own = await db.facts.where('accountId').equals(accountId).toArray();
  const purchase = await purchaseNow(
    db,
    { ...account, prepaid: account.prepaid },
    own,
    amountMinor,
    nowMs,
  );
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

/** The prepaid accounts the device holds whose lease is missing or used up. */
export async function leasesWanted(db: GridtallyDatabase): Promise<string[]> {
  const record = await db.settings.get('prepaid');
  const ids = record?.key === 'prepaid' ? record.accountIds : [];
  if (ids.length === 0) return [];
  const leases = new Map(
    (await db.leases.bulkGet(ids)).flatMap((lease) => (lease ? [[lease.accountId, lease]] : [])),
  );
  const wanted: string[] = [];
  for (const id of ids) {
    const lease = leases.get(id);
    if (!lease) {
      wanted.push(id);
      continue;
    }
    const own = await db.facts.where('accountId').equals(id).toArray();
    if (tokensLeft(lease, lastCountOf(lease, own)) === 0) wanted.push(id);
  }
  return wanted;
}

/**
 * Asks the hub for leases of `accountIds` (`take`: move one another device holds here) and
 * keeps what it answers: a lease granted replaces the one held, a refusal drops it.
 */
export async function fetchLeases(
  db: GridtallyDatabase,
  call: { baseUrl: string; token: string; deviceId: string; fetch?: FetchLike | undefined },
  accountIds: readonly string[],
  take = false,
): Promise<Result<{ granted: number; refused: number }, HubFailure>> {
  let granted = 0;
  let refused = 0;
  for (let at = 0; at < accountIds.length; at += MAX_LEASES_PER_REQUEST) {
    const part = accountIds.slice(at, at + MAX_LEASES_PER_REQUEST);
    const answer = await callHub(
      call.baseUrl,
      {
        method: 'POST',
        path: '/api/prepaid/leases',
        token: call.token,
        body: { deviceId: call.deviceId, accountIds: part, ...(take ? { take } : {}) },
      },
      leaseResponseSchema,
      call.fetch,
    );
    if (!answer.ok) return answer;
    await db.transaction('rw', db.leases, async () => {
      // The same lease answered again keeps what this device used of it.
      const held = await db.leases.bulkGet(answer.value.leases.map((l) => l.accountId));
      await db.leases.bulkPut(
        answer.value.leases.map((lease, i): StoredLease => {
          const before = held[i];
          return before?.fromCount === lease.fromCount &&
            before.toCount === lease.toCount &&
            before.usedThrough !== undefined
            ? { ...lease, usedThrough: before.usedThrough }
            : lease;
        }),
      );
      await db.leases.bulkDelete(answer.value.refused.map((r) => r.accountId));
    });
    granted += answer.value.leases.length;
    refused += answer.value.refused.length;
  }
  return ok({ granted, refused });
}

/** Notes which accounts of a pulled page are prepaid (the set the lease requests read). */
export async function notePrepaid(
  db: GridtallyDatabase,
  accounts: readonly AccountSnapshot[],
  reset: boolean,
): Promise<void> {
  const record = await db.settings.get('prepaid');
  const ids = new Set(!reset && record?.key === 'prepaid' ? record.accountIds : []);
  const before = ids.size;
  let changed = reset && before > 0;
  for (const account of accounts) {
    if (account.prepaid && !ids.has(account.id)) {
      ids.add(account.id);
      changed = true;
    } else if (!account.prepaid && ids.delete(account.id)) changed = true;
  }
  if (changed || (reset && record === undefined))
    await db.settings.put({ key: 'prepaid', accountIds: [...ids] });
}

/** The top-up a stored payment made, if it is one. */
export function topUpOf(stored: StoredFact | undefined): TopUp | undefined {
  const fact = stored?.fact;
  return fact?.kind === 'payment' ? (fact as FactOf<'payment'>).body.topUp : undefined;
}

/** The credit a top-up leaves: the money not spent on energy. */
export function topUpCredit(amountMinor: number, topUp: TopUp): MinorUnits {
  return minor(amountMinor - topUp.costMinor);
}
