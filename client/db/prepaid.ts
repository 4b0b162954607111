/**
 * Prepaid on the tablet: the leases of token counts it holds (sealed at rest, since each
 * carries its meter's key), which prepaid accounts still want one, and what the account bought
 * before. Pricing a top-up and making its tokens is client/db/pricing.ts, loaded when a top-up
 * is made (shared/topup.ts says why counts are leased).
 */
import type { AnyTopUp, FactOf, StsTopUp, TopUp } from '../../shared/facts.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';
import {
  leaseResponseSchema,
  MAX_LEASES_PER_REQUEST,
  pendingEffects,
  type AccountSnapshot,
} from '../../shared/protocol.ts';
import { ok, type Result } from '../../shared/result.ts';
import {
  boughtBefore,
  tokensLeft,
  type BoughtBefore,
  type TokenLease,
} from '../../shared/token-lease.ts';
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

/** The highest token count this device used for the account's meter (0: none). */
export function lastCountUsed(own: readonly StoredFact[]): number {
  let last = 0;
  for (const stored of own) {
    for (const token of topUpOf(stored)?.tokens ?? []) last = Math.max(last, token.count);
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

/** The prepaid accounts the device holds whose lease is missing or used up. */
export async function leasesWanted(db: GridtallyDatabase): Promise<string[]> {
  const record = await db.settings.get('prepaid');
  const ids = record?.key === 'prepaid' ? record.accountIds : [];
  if (ids.length === 0) return [];
  const leases = new Map(
    (await db.leases.bulkGet(ids)).flatMap((lease) => (lease ? [[lease.accountId, lease]] : [])),
  );
  // A lease notes the last count used of it in the transaction that used it (draftTopUp), so
  // the account's facts need not be read (and opened) here: thousands on a busy tablet.
  return ids.filter((id) => {
    const lease = leases.get(id);
    return !lease || tokensLeft(lease, lease.usedThrough ?? 0) === 0;
  });
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

/** Notes which accounts of a pulled page have OpenPAYGO meters (the set lease requests read). */
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
    // Only OpenPAYGO meters are leased: an STS meter's tokens are vended by the hub.
    const leased = account.prepaid?.system === 'openpaygo';
    if (leased && !ids.has(account.id)) {
      ids.add(account.id);
      changed = true;
    } else if (!leased && ids.delete(account.id)) changed = true;
  }
  if (changed || (reset && record === undefined))
    await db.settings.put({ key: 'prepaid', accountIds: [...ids] });
}

/** The top-up a stored payment made, of either system, if it is one. */
export function anyTopUpOf(stored: StoredFact | undefined): AnyTopUp | undefined {
  const fact = stored?.fact;
  return fact?.kind === 'payment' ? (fact as FactOf<'payment'>).body.topUp : undefined;
}

/** The OpenPAYGO top-up a stored payment made, if it is one. */
export function topUpOf(stored: StoredFact | undefined): TopUp | undefined {
  const topUp = anyTopUpOf(stored);
  return topUp?.system === 'openpaygo' ? topUp : undefined;
}

/** The STS top-up a stored payment made, if it is one: its token comes from the hub. */
export function stsTopUpOf(stored: StoredFact | undefined): StsTopUp | undefined {
  const topUp = anyTopUpOf(stored);
  return topUp?.system === 'sts' ? topUp : undefined;
}

/** The credit a top-up leaves: the money not spent on energy. */
export function topUpCredit(amountMinor: number, topUp: AnyTopUp): MinorUnits {
  return minor(amountMinor - topUp.costMinor);
}
