/**
 * Sessions: creating one at sign-in, finding it again from a bearer token, ending it at sign-out.
 * A session ends at its absolute end or when idle too long, whichever comes first. An agent's
 * lives long, since an agent may be offline for weeks (a tablet's pushes need no session: they
 * are signed by the device; pulls do); a supervisor's lives a working day and ends after an
 * hour unused.
 */
import type { Transaction } from 'kysely';
import type { User } from '../../shared/api.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { SessionUser } from '../http/context.ts';
import { newSessionToken, tokenHash } from './secrets.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export interface SessionLifetime {
  /** Unused this long, the session ends. */
  readonly idleMs: number;
  /** From sign-in, the session ends after this long whatever its use. */
  readonly absoluteMs: number;
  /**
   * How long after an online sign-in a tablet may open its data with the PIN alone (no hub);
   * at most `absoluteMs`. Agents only; 0 means only with the hub.
   */
  readonly offlineUnlockMs?: number;
}

export type SessionLifetimes = Readonly<Record<User['role'], SessionLifetime>>;

export const DEFAULT_SESSION_LIFETIMES: SessionLifetimes = {
  agent: { idleMs: 14 * DAY_MS, absoluteMs: 30 * DAY_MS, offlineUnlockMs: 14 * DAY_MS },
  supervisor: { idleMs: HOUR_MS, absoluteMs: 12 * HOUR_MS },
  admin: { idleMs: HOUR_MS, absoluteMs: 12 * HOUR_MS },
};

/** A user's role: the stored role, and an admin is a supervisor the store marks so. */
export function roleOf(row: { role: 'agent' | 'supervisor'; is_admin: number }): User['role'] {
  return row.role === 'supervisor' && row.is_admin === 1 ? 'admin' : row.role;
}

/** A session's last use is written at most this often, not on every request. */
const LAST_SEEN_STEP_MS = MINUTE_MS;

export async function createSession(
  store: Store,
  user: User,
  deviceId: string | null,
  now: Date,
  lifetimes: SessionLifetimes = DEFAULT_SESSION_LIFETIMES,
): Promise<{ token: string; expiresAt: string }> {
  const token = newSessionToken();
  const expiresAt = new Date(now.getTime() + lifetimes[user.role].absoluteMs).toISOString();
  await store.transaction(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        token_hash: tokenHash(token),
        user_id: user.id,
        device_id: deviceId,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        last_seen_at: now.toISOString(),
        // What the agent serves as her device learns it now (the sign-in answer's user).
        route_id: user.routeId,
        area_id: user.areaId ?? null,
        scoped: 1,
      })
      .execute();
    if (deviceId !== null && user.role === 'agent')
      await recordAgentOnDevice(trx, deviceId, user.id, now);
  });
  return { token, expiresAt };
}

/**
 * Records that an agent signed in on a device: from then on the agent may record facts on it,
 * also long after the session ended (the hub holds this for as long as it holds the facts).
 */
export async function recordAgentOnDevice(
  trx: Transaction<Database>,
  deviceId: string,
  userId: string,
  at: Date,
): Promise<void> {
  await trx
    .insertInto('device_agents')
    .values({ device_id: deviceId, user_id: userId, first_signed_in_at: at.toISOString() })
    .onConflict((oc) => oc.columns(['device_id', 'user_id']).doNothing())
    .execute();
}

/** The session's user, or undefined when the token is unknown, expired or idle too long. */
export async function findSession(
  store: Store,
  token: string,
  now: Date,
  lifetimes: SessionLifetimes = DEFAULT_SESSION_LIFETIMES,
): Promise<SessionUser | undefined> {
  const hash = tokenHash(token);
  const row = await store.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id as userId',
      'users.role',
      'users.is_admin',
      'users.route_id',
      'users.area_id',
      'users.region_id',
      'sessions.route_id as session_route_id',
      'sessions.area_id as session_area_id',
      'sessions.scoped',
      'sessions.device_id',
      'sessions.created_at',
      'sessions.expires_at',
      'sessions.last_seen_at',
    ])
    .where('sessions.token_hash', '=', hash)
    .executeTakeFirst();
  if (!row) return undefined;
  const nowMs = now.getTime();
  const role = roleOf(row);
  const lifetime = lifetimes[role];
  const lastSeenMs = Date.parse(row.last_seen_at ?? row.created_at);
  const ended =
    Date.parse(row.expires_at) <= nowMs ||
    Date.parse(row.created_at) + lifetime.absoluteMs <= nowMs ||
    lastSeenMs + lifetime.idleMs <= nowMs;
  if (ended) {
    await store.db.deleteFrom('sessions').where('token_hash', '=', hash).execute();
    return undefined;
  }
  if (nowMs - lastSeenMs >= LAST_SEEN_STEP_MS)
    await store.db
      .updateTable('sessions')
      .set({ last_seen_at: now.toISOString() })
      .where('token_hash', '=', hash)
      .execute();
  return {
    userId: row.userId,
    role,
    // What she served when she signed in, as her device does until her next sign-in.
    routeId: row.scoped === 1 ? row.session_route_id : row.route_id,
    areaId: row.scoped === 1 ? row.session_area_id : row.area_id,
    deviceId: row.device_id,
    regionId: row.region_id,
  };
}

/** Ends the session of `token` on the hub: the token opens nothing from now on. */
export async function endSession(store: Store, token: string): Promise<void> {
  await store.db.deleteFrom('sessions').where('token_hash', '=', tokenHash(token)).execute();
}

export async function findUser(store: Store, username: string) {
  return usersWithRoute(store).where('users.username', '=', username).executeTakeFirst();
}

/** A signed-in user's account as the sign-in answer describes it. */
export async function userById(store: Store, userId: string): Promise<User> {
  return toUser(
    await usersWithRoute(store).where('users.id', '=', userId).executeTakeFirstOrThrow(),
  );
}

/** A user row (as `findUser` reads it) as the sign-in answer describes the user. */
export function toUser(row: NonNullable<Awaited<ReturnType<typeof findUser>>>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: roleOf(row),
    routeId: row.route_id,
    routeName: row.route_name,
    areaId: row.area_id,
    areaName: row.area_name,
  };
}

function usersWithRoute(store: Store) {
  return store.db
    .selectFrom('users')
    .leftJoin('routes', 'routes.id', 'users.route_id')
    .leftJoin('areas', 'areas.id', 'users.area_id')
    .select([
      'users.id',
      'users.username',
      'users.display_name',
      'users.role',
      'users.is_admin',
      'users.route_id',
      'users.area_id',
      'users.secret_hash',
      'routes.name as route_name',
      'areas.name as area_name',
    ]);
}
