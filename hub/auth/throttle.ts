/**
 * Rate limits and lock-outs, kept in the store so they hold across several hub processes and
 * across a restart. A throttle counts requests of one kind from one bucket (an address, an
 * account, a device) in fixed windows, in one atomic upsert; a request past the limit is
 * refused with `too-many-requests` and a Retry-After. A lock-out counts wrong secrets in a row
 * for one subject (a PIN on a device, a supervisor's password): past the free tries the
 * subject is locked for a time that doubles with every further wrong try, up to a day, and
 * while it is locked even the right secret is refused without being checked, so a locked
 * answer says nothing about the secret. The right secret, once unlocked, clears the count.
 */
import { sql } from 'kysely';
import type { Store } from '../store/store.ts';
import { HubError } from '../http/errors.ts';

export interface ThrottlePolicy {
  /** What is counted, part of the bucket's key: `sign-in-address`, `push-device`, … */
  readonly kind: string;
  readonly limit: number;
  readonly windowMs: number;
}

const MINUTE_MS = 60_000;

/**
 * The limits (STYLE 16). Each is far above what a person or a tablet does, far below what a
 * guesser needs: a 4-digit PIN under the address limit alone takes days, and the lock-out
 * stops it long before.
 */
export const THROTTLES = {
  /** Sign-in tries from one address: a village point's agents share one address. */
  signInAddress: { kind: 'sign-in-address', limit: 60, windowMs: MINUTE_MS },
  /** Sign-in tries for one account, from anywhere. */
  signInAccount: { kind: 'sign-in-account', limit: 20, windowMs: MINUTE_MS },
  /**
   * Enrolment tries from one address: a supervisor may enrol a box of tablets at once; a code
   * has 60 random bits, so this slows a guesser to nothing.
   */
  enrolAddress: { kind: 'enrol-address', limit: 60, windowMs: 10 * MINUTE_MS },
  /** Quotes from one address, which need no sign-in. */
  quoteAddress: { kind: 'quote-address', limit: 120, windowMs: MINUTE_MS },
  /** Pushes from one address, before the body is read: a village point's tablets share one. */
  pushAddress: { kind: 'push-address', limit: 600, windowMs: MINUTE_MS },
  /** Pushes from one device: a first sync of 10,000 payments is 11 pushes. */
  pushDevice: { kind: 'push-device', limit: 120, windowMs: MINUTE_MS },
  /**
   * Hub-wide customer searches by one user: a counter's queue types a few a minute; a stolen
   * token walking the customer list gets 20 answers a search, 60 searches a minute.
   */
  accountSearchUser: { kind: 'account-search-user', limit: 60, windowMs: MINUTE_MS },
} as const satisfies Record<string, ThrottlePolicy>;

export interface LockoutPolicy {
  readonly kind: string;
  /** Wrong tries in a row before the first lock. */
  readonly freeTries: number;
  /** The first lock; each further wrong try doubles it. */
  readonly firstLockMs: number;
  readonly longestLockMs: number;
}

export const LOCKOUTS = {
  /** An agent's PIN on one device: five wrong tries, then a minute, two, four, … a day. */
  pin: { kind: 'pin', freeTries: 5, firstLockMs: MINUTE_MS, longestLockMs: 24 * 60 * MINUTE_MS },
  /** A supervisor's password: ten wrong tries, then the same back-off. */
  password: {
    kind: 'password',
    freeTries: 10,
    firstLockMs: MINUTE_MS,
    longestLockMs: 24 * 60 * MINUTE_MS,
  },
} as const satisfies Record<string, LockoutPolicy>;

/** Rows of windows ended this long ago are deleted as new windows open. */
const THROTTLE_ROWS_KEPT_MS = 24 * 60 * MINUTE_MS;

function retryAfterSeconds(untilMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}

/** Counts one request of the bucket, or refuses it with `too-many-requests`. */
export async function throttle(
  store: Store,
  policy: ThrottlePolicy,
  key: string,
  now: Date,
): Promise<void> {
  const windowStartMs = Math.floor(now.getTime() / policy.windowMs) * policy.windowMs;
  const windowStart = new Date(windowStartMs).toISOString();
  const bucket = `${policy.kind}:${key}`;
  const row = await store.db
    .insertInto('throttles')
    .values({ bucket, window_start: windowStart, count: 1 })
    .onConflict((conflict) =>
      conflict.column('bucket').doUpdateSet({
        count: sql<number>`case when throttles.window_start = excluded.window_start then throttles.count + 1 else 1 end`,
        window_start: sql<string>`excluded.window_start`,
      }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  if (count === 1) {
    const stale = new Date(now.getTime() - THROTTLE_ROWS_KEPT_MS).toISOString();
    await store.db.deleteFrom('throttles').where('window_start', '<', stale).execute();
  }
  if (count > policy.limit) {
    throw new HubError(
      429,
      'too-many-requests',
      `Too many requests; try again in ${retryAfterSeconds(windowStartMs + policy.windowMs, now.getTime())} s.`,
      { retryAfterSeconds: retryAfterSeconds(windowStartMs + policy.windowMs, now.getTime()) },
    );
  }
}

/** Refuses with `sign-in-locked` while the subject is locked; the secret is not looked at. */
export async function refuseWhileLocked(
  store: Store,
  policy: LockoutPolicy,
  subject: string,
  now: Date,
): Promise<void> {
  const row = await store.db
    .selectFrom('lockouts')
    .select('locked_until')
    .where('subject', '=', `${policy.kind}:${subject}`)
    .executeTakeFirst();
  const until = row?.locked_until ? Date.parse(row.locked_until) : undefined;
  if (until !== undefined && until > now.getTime()) {
    const seconds = retryAfterSeconds(until, now.getTime());
    throw new HubError(
      429,
      'sign-in-locked',
      `Too many wrong tries: sign-in is locked for ${seconds} s.`,
      { retryAfterSeconds: seconds },
    );
  }
}

/** The lock a subject gets after its `failures`-th wrong try in a row, if any. */
export function lockAfter(policy: LockoutPolicy, failures: number): number | undefined {
  if (failures < policy.freeTries) return undefined;
  const doublings = Math.min(failures - policy.freeTries, 30);
  return Math.min(policy.longestLockMs, policy.firstLockMs * 2 ** doublings);
}

/** Counts a wrong try, locking the subject when it has had its free tries. */
export async function recordWrongSecret(
  store: Store,
  policy: LockoutPolicy,
  subject: string,
  now: Date,
): Promise<void> {
  const key = `${policy.kind}:${subject}`;
  const at = now.toISOString();
  const row = await store.db
    .insertInto('lockouts')
    .values({ subject: key, failures: 1, locked_until: null, last_failure_at: at })
    .onConflict((conflict) =>
      conflict.column('subject').doUpdateSet({
        failures: sql<number>`lockouts.failures + 1`,
        last_failure_at: at,
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  const failures = Number(row.failures);
  if (failures === 1) await forgetOldWrongSecrets(store, now);
  const lockMs = lockAfter(policy, failures);
  if (lockMs === undefined) return;
  await store.db
    .updateTable('lockouts')
    .set({ locked_until: new Date(now.getTime() + lockMs).toISOString() })
    .where('subject', '=', key)
    .execute();
}

/**
 * Wrong tries a day old that locked nothing (or whose lock has passed) are forgotten as new
 * subjects are counted, so guesses at made-up usernames cannot grow the table for ever.
 */
async function forgetOldWrongSecrets(store: Store, now: Date): Promise<void> {
  const dayAgo = new Date(now.getTime() - THROTTLE_ROWS_KEPT_MS).toISOString();
  await store.db
    .deleteFrom('lockouts')
    .where('last_failure_at', '<', dayAgo)
    .where((eb) =>
      eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now.toISOString())]),
    )
    .execute();
}

/** The right secret: wrong tries before it no longer count. */
export async function clearWrongSecrets(
  store: Store,
  policy: LockoutPolicy,
  subject: string,
): Promise<void> {
  await store.db
    .deleteFrom('lockouts')
    .where('subject', '=', `${policy.kind}:${subject}`)
    .execute();
}
