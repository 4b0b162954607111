/**
 * Sneakernet export: every unsynced fact, as ordinary signed pushes in one file, for a device
 * that will see no network for weeks. The facts stay pending on the device (only the hub's
 * answer acknowledges a fact), but once exported they no longer hold back sign-out or an app
 * update: a copy is on its way to the hub.
 */
import { base64url, ECDSA_SIGNING, pushSigningText } from '../../shared/devices.ts';
import {
  MAX_FACTS_PER_PUSH,
  PROTOCOL_VERSION,
  type OutboxFile,
  type PushRequest,
} from '../../shared/protocol.ts';
import type { ExportRecord, GridtallyDatabase } from '../db/database.ts';
import { readSetting } from '../db/database.ts';

export type ExportError = 'nothing-to-export' | 'device-not-enrolled';

export async function exportOutbox(
  db: GridtallyDatabase,
  now: Date,
): Promise<{ ok: true; file: OutboxFile } | { ok: false; error: ExportError }> {
  const device = await readSetting(db, 'device');
  if (!device?.signingKey || device.enrolledAt === undefined)
    return { ok: false, error: 'device-not-enrolled' };
  const pending = await db.facts.where('status').equals('pending').sortBy('seq');
  if (pending.length === 0) return { ok: false, error: 'nothing-to-export' };
  const pushes: PushRequest[] = [];
  for (let i = 0; i < pending.length; i += MAX_FACTS_PER_PUSH) {
    const message = {
      formatVersion: PROTOCOL_VERSION,
      deviceId: device.deviceId,
      facts: pending.slice(i, i + MAX_FACTS_PER_PUSH).map((stored) => stored.fact),
      sentAtMs: now.getTime(),
    };
    const signature = await crypto.subtle.sign(
      ECDSA_SIGNING,
      device.signingKey,
      new TextEncoder().encode(pushSigningText(message)),
    );
    pushes.push({ ...message, signature: base64url(signature) });
  }
  const exportedAt = now.toISOString();
  const record: ExportRecord = { key: 'export', throughSeq: pending.at(-1)?.seq ?? 0, exportedAt };
  await db.transaction('rw', db.settings, async () => {
    await db.settings.put(record);
  });
  return {
    ok: true,
    file: {
      kind: 'gridtally-outbox',
      formatVersion: PROTOCOL_VERSION,
      deviceId: device.deviceId,
      exportedAt,
      pushes,
      auditHeads: (await readSetting(db, 'audit'))?.heads ?? [],
    },
  };
}

/** Facts that are neither acknowledged by the hub nor exported to a file. */
export async function unexportedCount(db: GridtallyDatabase): Promise<number> {
  const exported = await readSetting(db, 'export');
  const through = exported?.throughSeq ?? 0;
  return db.facts
    .where('status')
    .equals('pending')
    .filter((stored) => stored.seq > through)
    .count();
}
