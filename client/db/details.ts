/**
 * One customer in full, fetched from the hub when the customer screen opens online (GET
 * /api/accounts/{id}), and kept on the device, sealed, to show offline as of when it was read.
 *
 * The fresh snapshot it carries replaces the one held only when that cannot count anything
 * twice: same route and hub history, not older than the one held, and no fact of this device
 * on the account still waiting for its acknowledgement or held (the hub may already count it while the
 * device, not knowing, would add it again). Otherwise the next sync brings the balance.
 */
import { accountDetailSchema, type AccountDetail } from '../../shared/account-detail.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { callHub, type FetchLike, type HubFailure } from '../api.ts';
import type { GridtallyDatabase, StoredAccount } from './database.ts';
import { prepareSearch, searchWordsOf } from './search-words.ts';

/** How many customers' details a device keeps: the recent ones; the oldest read goes first. */
export const DETAILS_KEPT = 100;

export interface StoredDetail {
  readonly accountId: string;
  /** When this device read it from the hub. */
  readonly fetchedAt: string;
  readonly detail: AccountDetail;
}

export interface Refreshed {
  readonly detail: AccountDetail;
  /**
   * The balance shown now: the hub's of this moment (`fresh`); as of the last sync because this
   * device has facts on the account the hub has not answered yet (`waits-sync`); or as of the
   * last sync for another reason (no route pulled yet, another hub history, a newer one held).
   */
  readonly balance: 'fresh' | 'waits-sync' | 'as-of-sync';
}

export async function refreshAccount(
  db: GridtallyDatabase,
  call: { baseUrl: string; token: string; fetch?: FetchLike | undefined },
  accountId: string,
  now: Date,
): Promise<Result<Refreshed, HubFailure>> {
  const answer = await callHub(
    call.baseUrl,
    {
      method: 'GET',
      path: `/api/accounts/${encodeURIComponent(accountId)}`,
      token: call.token,
      timeoutMs: 10_000,
    },
    accountDetailSchema,
    call.fetch,
  );
  if (!answer.ok) return answer;
  const detail = answer.value;
  if (detail.account.id !== accountId)
    return err({
      code: 'hub-bad-answer',
      message: 'The hub answered for another account.',
      status: 200,
    });
  await prepareSearch([detail.account.name]);
  await db.transaction('rw', db.details, async () => {
    await db.details.put({ accountId, fetchedAt: now.toISOString(), detail });
    const kept = await db.details.count();
    if (kept > DETAILS_KEPT) {
      const oldest = await db.details
        .orderBy('fetchedAt')
        .limit(kept - DETAILS_KEPT)
        .primaryKeys();
      await db.details.bulkDelete(oldest);
    }
  });
  // Judged first in a read: most often the snapshot held is the hub's own, and then nothing is
  // written where a payment's transaction (the chain in settings, the facts) would wait for it.
  const judged = await db.transaction('r', [db.accounts, db.facts, db.settings], () =>
    judge(db, detail),
  );
  const balance =
    typeof judged === 'string'
      ? judged
      : await db.transaction('rw', [db.accounts, db.facts, db.settings], async () => {
          // Judged again where it is written: a sync may have brought another since.
          const again = await judge(db, detail);
          if (typeof again === 'string') return again;
          await db.accounts.put(again.replacement);
          return 'fresh' as const;
        });
  return ok({ detail, balance });
}

export async function storedDetail(
  db: GridtallyDatabase,
  accountId: string,
): Promise<StoredDetail | undefined> {
  return db.details.get(accountId);
}

/**
 * What the hub's snapshot in `detail` means for the one held: the balance to show, or the
 * snapshot that replaces the one held (then the balance is fresh). Inside a transaction over
 * accounts, facts and settings.
 */
async function judge(
  db: GridtallyDatabase,
  detail: AccountDetail,
): Promise<Refreshed['balance'] | { replacement: StoredAccount }> {
  const accountId = detail.account.id;
  const cursor = await db.settings.get('cursor');
  const held = await db.accounts.get(accountId);
  if (cursor?.key !== 'cursor' || cursor.epoch !== detail.epoch) return 'as-of-sync';
  // A village agent's device serves walk-in customers from anywhere: one it does not hold
  // is kept from now on (its pulls never bring it; opening it online reads it again).
  const servesAnyone = cursor.routeId.startsWith('area:');
  if (!held) {
    if (!servesAnyone) return 'as-of-sync';
    return {
      replacement: {
        ...detail.account,
        searchWords: searchWordsOf(detail.account),
        walkIn: true,
      },
    };
  }
  if (!servesAnyone && cursor.routeId !== detail.account.routeId) return 'as-of-sync';
  if (detail.account.changeSeq < held.changeSeq) return 'as-of-sync';
  const unanswered = await db.facts
    .where('accountId')
    .equals(accountId)
    .filter((stored) => stored.ackChangeSeq === undefined || stored.outcome === 'held')
    .count();
  if (unanswered > 0) return 'waits-sync';
  // The same change of the account: the snapshot held is the hub's of this moment already.
  if (detail.account.changeSeq === held.changeSeq) return 'fresh';
  return {
    replacement: {
      ...detail.account,
      searchWords: searchWordsOf(detail.account),
      ...(held.walkIn ? { walkIn: true as const } : {}),
    },
  };
}
