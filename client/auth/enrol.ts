/**
 * Enrolling this device: it makes an ECDSA P-256 key pair whose private half can never leave
 * the browser, and registers the public half with the hub using a supervisor's one-time code.
 * From then on every push is signed with that key.
 */
import { ECDSA_KEY, enrolResponseSchema } from '../../shared/devices.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { callHub, type FetchLike } from '../api.ts';
import type { DeviceRecord, GridtallyDatabase } from '../db/database.ts';
import { deviceRecord } from '../db/database.ts';
import { ensureDevice, type DeviceDeps } from '../db/facts.ts';

export type EnrolError =
  | 'enrolment-code-invalid'
  | 'device-already-enrolled'
  | 'invalid-request'
  | 'hub-unreachable'
  | 'hub-failed';

/** The device's key pair, made once and kept; made outside any database transaction. */
async function signingKey(db: GridtallyDatabase, deps: DeviceDeps): Promise<DeviceRecord> {
  const device = await ensureDevice(db, deps);
  if (device.signingKey && device.publicKeyJwk) return device;
  const pair = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
  const publicKeyJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return db.transaction('rw', db.settings, async () => {
    const current = await deviceRecord(db);
    if (current.signingKey && current.publicKeyJwk) return current;
    const next: DeviceRecord = { ...current, signingKey: pair.privateKey, publicKeyJwk };
    await db.settings.put(next);
    return next;
  });
}

export async function isEnrolled(db: GridtallyDatabase): Promise<boolean> {
  const device = await db.settings.get('device');
  return device?.key === 'device' && device.enrolledAt !== undefined;
}

export async function enrolDevice(
  db: GridtallyDatabase,
  baseUrl: string,
  code: string,
  deps: DeviceDeps,
  fetchImpl?: FetchLike,
): Promise<Result<string, EnrolError>> {
  const device = await signingKey(db, deps);
  const answer = await callHub(
    baseUrl,
    {
      method: 'POST',
      path: '/api/devices/enrol',
      body: { code, deviceId: device.deviceId, publicKey: device.publicKeyJwk },
    },
    enrolResponseSchema,
    fetchImpl,
  );
  if (!answer.ok) {
    const code = answer.error.code;
    return err(
      code === 'enrolment-code-invalid' ||
        code === 'device-already-enrolled' ||
        code === 'invalid-request' ||
        code === 'hub-unreachable'
        ? code
        : 'hub-failed',
    );
  }
  await db.transaction('rw', db.settings, async () => {
    const current = await deviceRecord(db);
    await db.settings.put({ ...current, enrolledAt: answer.value.enrolledAt });
  });
  return ok(answer.value.enrolledAt);
}
