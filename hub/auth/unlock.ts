/**
 * The secret that opens a tablet's data (client/auth/unlock.ts, docs/security.md): one per
 * device, made the first time an agent signs in on it and handed out only in the answer to a
 * sign-in whose PIN the hub checked, on a device that is enrolled and not revoked. A revoked
 * tablet is never told it again, so its data stays sealed once its offline window has passed.
 */
import { randomBytes } from 'node:crypto';
import type { DeviceUnlock } from '../../shared/api.ts';
import type { Store } from '../store/store.ts';
import type { SessionLifetimes } from './sessions.ts';

/** The device's secret, made once: two sign-ins at the same moment still agree on one. */
async function deviceSecret(store: Store, deviceId: string): Promise<string> {
  const read = () =>
    store.db
      .selectFrom('devices')
      .select('unlock_secret')
      .where('id', '=', deviceId)
      .executeTakeFirstOrThrow();
  const held = (await read()).unlock_secret;
  if (held !== null) return held;
  await store.db
    .updateTable('devices')
    .set({ unlock_secret: randomBytes(32).toString('base64url') })
    .where('id', '=', deviceId)
    .where('unlock_secret', 'is', null)
    .execute();
  const made = (await read()).unlock_secret;
  if (made === null) throw new Error(`device ${deviceId}: no unlock secret after making one`);
  return made;
}

/** What an agent's sign-in answer carries to open the tablet's data. */
export async function deviceUnlock(
  store: Store,
  deviceId: string,
  now: Date,
  sessionExpiresAt: string,
  lifetimes: SessionLifetimes,
): Promise<DeviceUnlock> {
  const windowMs = lifetimes.agent.offlineUnlockMs ?? 0;
  const until = Math.min(now.getTime() + windowMs, Date.parse(sessionExpiresAt));
  return {
    secret: await deviceSecret(store, deviceId),
    offlineUntil: new Date(until).toISOString(),
  };
}
