/**
 * Sessions: creating one at sign-in and finding it again from a bearer token. An agent's
 * session lives long, since an agent may be offline for weeks and must still sync when the
 * network returns; a supervisor's lives a working day.
 */
import type { Transaction } from 'kysely';
import type { User } from '../../shared/api.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { SessionUser } from '../http/context.ts';
import { newSessionToken, tokenHash } from './secrets.ts';

const AGENT_SESSION_MS = 30 * 24 * 3600 * 1000;
const SUPERVISOR_SESSION_MS = 12 * 3600 * 1000;

export async function createSession(
  store: Store,
  user: User,
  deviceId: string | null,
  now: Date,
): Promise<{ token: string; expiresAt: string }> {
  const token = newSessionToken();
  const lifetime = user.role === 'agent' ? AGENT_SESSION_MS : SUPERVISOR_SESSION_MS;
  const expiresAt = new Date(now.getTime() + lifetime).toISOString();
  await store.transaction(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        token_hash: tokenHash(token),
        user_id: user.id,
        device_id: deviceId,
        created_at: now.toISOString(),
        expires_at: expiresAt,
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

export async function findSession(
  store: Store,
  token: string,
  now: Date,
): Promise<SessionUser | undefined> {
  const row = await store.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id as userId',
      'users.role',
      'users.route_id',
      'sessions.device_id',
      'sessions.expires_at',
    ])
    .where('sessions.token_hash', '=', tokenHash(token))
    .executeTakeFirst();
  if (!row || row.expires_at <= now.toISOString()) return undefined;
  return { userId: row.userId, role: row.role, routeId: row.route_id, deviceId: row.device_id };
}

export async function findUser(store: Store, username: string) {
  return store.db
    .selectFrom('users')
    .leftJoin('routes', 'routes.id', 'users.route_id')
    .select([
      'users.id',
      'users.username',
      'users.display_name',
      'users.role',
      'users.route_id',
      'users.secret_hash',
      'routes.name as route_name',
    ])
    .where('users.username', '=', username)
    .executeTakeFirst();
}
