/**
 * Enrolment codes and the devices enrolled with them. A code is random, shown once, stored
 * only as its hash, good for one device and for a limited time. Any refusal of a code says
 * the same thing, so a guesser learns nothing from the answer. Revoking a device refuses its
 * future pushes and sessions and flags the payments it already delivered for a supervisor.
 */
import { randomInt } from 'node:crypto';
import {
  ENROLMENT_ALPHABET,
  formatEnrolmentCode,
  type DeviceSummary,
  type PublicKeyJwk,
} from '../../shared/devices.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { tokenHash } from '../auth/secrets.ts';
import { HubError } from '../http/errors.ts';
import { devicesIn } from '../auth/scope.ts';
import { appendAudit } from '../store/audit.ts';
import type { Store } from '../store/store.ts';

export const CODE_LIFETIME_MS = 24 * 3600 * 1000;

export async function issueEnrolmentCode(
  store: Store,
  supervisorId: string,
  now: Date,
  lifetimeMs = CODE_LIFETIME_MS,
): Promise<{ code: string; expiresAt: string }> {
  const code = Array.from(
    { length: 12 },
    () => ENROLMENT_ALPHABET[randomInt(ENROLMENT_ALPHABET.length)],
  ).join('');
  const expiresAt = new Date(now.getTime() + lifetimeMs).toISOString();
  await store.transaction((trx) =>
    trx
      .insertInto('enrolment_codes')
      .values({
        code_hash: tokenHash(code),
        created_by: supervisorId,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
        device_id: null,
      })
      .execute(),
  );
  return { code: formatEnrolmentCode(code), expiresAt };
}

export interface EnrolInput {
  readonly code: string;
  readonly deviceId: string;
  readonly publicKey: PublicKeyJwk;
  readonly label?: string | undefined;
}

function publicKeyText(key: PublicKeyJwk): string {
  return JSON.stringify({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y });
}

export async function enrolDevice(
  store: Store,
  input: EnrolInput,
  now: Date,
): Promise<{ deviceId: string; enrolledAt: string }> {
  const at = now.toISOString();
  return store.transaction(async (trx) => {
    // A retry after a lost reply: the same device with the same key gets the same answer.
    const again = await trx
      .selectFrom('devices')
      .select(['public_key', 'registered_at', 'status'])
      .where('id', '=', input.deviceId)
      .executeTakeFirst();
    // A revoked device stays revoked: no code, fresh or not, brings it back; the code is kept
    // for the device it was meant for. (A tablet wiped and set up anew has a new id.)
    if (again?.status === 'revoked')
      throw new HubError(403, 'device-revoked', 'This device has been revoked by a supervisor.');
    if (again && again.public_key === publicKeyText(input.publicKey))
      return { deviceId: input.deviceId, enrolledAt: again.registered_at };
    const code = await trx
      .selectFrom('enrolment_codes')
      .selectAll()
      .where('code_hash', '=', tokenHash(input.code))
      .executeTakeFirst();
    if (!code || code.used_at !== null || code.expires_at <= at) {
      throw new HubError(
        403,
        'enrolment-code-invalid',
        'This enrolment code is unknown, used or expired. Ask a supervisor for a new one.',
      );
    }
    const existing = await trx
      .selectFrom('devices')
      .select(['id', 'public_key', 'registered_at'])
      .where('id', '=', input.deviceId)
      .executeTakeFirst();
    if (existing) {
      throw new HubError(
        409,
        'device-already-enrolled',
        'A device with this id is already enrolled.',
      );
    }
    await trx
      .insertInto('devices')
      .values({
        id: input.deviceId,
        registered_at: at,
        registered_by: code.created_by,
        head_seq: 0,
        head_hash: GENESIS_HASH,
        public_key: publicKeyText(input.publicKey),
        label: input.label ?? null,
        revoked_at: null,
        last_push_at: null,
        clock_skew_ms: null,
      })
      .execute();
    await trx
      .updateTable('enrolment_codes')
      .set({ used_at: at, device_id: input.deviceId })
      .where('code_hash', '=', code.code_hash)
      .execute();
    return { deviceId: input.deviceId, enrolledAt: at };
  });
}

export async function revokeDevice(
  store: Store,
  deviceId: string,
  supervisorId: string,
  now: Date,
): Promise<DeviceSummary> {
  const at = now.toISOString();
  await store.transaction(async (trx) => {
    const device = await trx
      .selectFrom('devices')
      .select(['id', 'status'])
      .where('id', '=', deviceId)
      .executeTakeFirst();
    if (!device) throw new HubError(404, 'device-not-found', 'No device has this id.');
    if (device.status === 'revoked') return;
    await trx
      .updateTable('devices')
      .set({ status: 'revoked', revoked_at: at })
      .where('id', '=', deviceId)
      .execute();
    await trx.deleteFrom('sessions').where('device_id', '=', deviceId).execute();
    // What the device delivered stays as the hub decided it: money taken was taken. Its money
    // facts are listed for review (hub/review/routes.ts), never rewritten here.
    await appendAudit(trx, {
      at,
      actor: `user:${supervisorId}`,
      action: 'device-revoked',
      detail: JSON.stringify({ deviceId }),
    });
  });
  const [summary] = await listDevices(store, deviceId);
  if (!summary) throw new HubError(404, 'device-not-found', 'No device has this id.');
  return summary;
}

/** The devices of a region (every device for null), or the one named. */
export async function listDevices(
  store: Store,
  onlyId?: string,
  regionId: string | null = null,
): Promise<DeviceSummary[]> {
  let query = store.db
    .selectFrom('devices')
    .select([
      'id',
      'label',
      'status',
      'registered_at',
      'revoked_at',
      'head_seq',
      'last_push_at',
      'clock_skew_ms',
    ])
    .orderBy('registered_at', 'desc');
  if (onlyId !== undefined) query = query.where('id', '=', onlyId);
  if (regionId !== null) query = query.where('id', 'in', devicesIn(store.db, regionId));
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    label: row.label,
    status: row.status,
    enrolledAt: row.registered_at,
    revokedAt: row.revoked_at,
    headSeq: row.head_seq,
    lastPushAt: row.last_push_at,
    clockSkewMs: row.clock_skew_ms,
  }));
}
