/**
 * Opening the tablet's data (docs/security.md, "The tablet's data at rest"). The data key is
 * derived from a master secret that is never on disk in the clear. It is kept wrapped twice:
 *
 * - under the **hub's secret** for this device, which the hub hands out only in answer to an
 *   agent's sign-in whose PIN it checked (with its lock-outs) on a device enrolled and not
 *   revoked. Nothing on the tablet can open this wrap: a stolen tablet, once revoked, is never
 *   told the secret again.
 * - under the **agent's PIN** (PBKDF2-SHA-256, 600,000 rounds), so the agent can open the data
 *   with no network after a reload. This one can be searched offline by whoever copies the
 *   disk, so it is bounded: it exists only until the `offlineUntil` the hub set at the last
 *   online sign-in (14 days by default), and is erased after five wrong PINs on the tablet.
 *
 * The key-wrapping runs on WebCrypto; the vault (client/db/vault.ts) holds the derived keys.
 */
import type { DeviceUnlock } from '../../shared/api.ts';
import { base64url, fromBase64url } from '../../shared/devices.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import type {
  GridtallyDatabase,
  OfflineUnlock,
  VaultRecord,
  WrappedSecret,
} from '../db/database.ts';
import { readSetting } from '../db/database.ts';
import { Vault } from '../db/vault.ts';

/** Wrong PINs on the tablet before the PIN's wrap is erased (then only the hub can open it). */
export const MAX_OFFLINE_PIN_TRIES = 5;

export type OfflineUnlockError =
  'offline-first-sign-in' | 'offline-unlock-expired' | 'offline-pin-locked' | 'sign-in-failed';

const encoder = new TextEncoder();

/**
 * Bytes of a stored base64url text. Text that is not base64url (a damaged record) gives no bytes:
 * the key or wrap it belongs to then opens nothing, as a wrong PIN would.
 */
function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return fromBase64url(text) ?? new Uint8Array(0);
}

/** The key the hub's secret gives: HKDF-SHA-256 to AES-256-GCM, usable for nothing else. */
async function hubKey(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', bytesOf(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new Uint8Array(32),
      info: encoder.encode('gridtally hub wrap v1'),
    },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** The key a PIN gives with its salt, as hard to search as the vault says. */
async function pinKey(pin: string, salt: string, iterations: number): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', encoder.encode(pin), 'PBKDF2', false, [
    'deriveKey',
  ]);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: bytesOf(salt), iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function wrap(key: CryptoKey, master: Uint8Array, boundTo: string): Promise<WrappedSecret> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(boundTo) },
    key,
    new Uint8Array(master),
  );
  return { iv: base64url(iv), data: base64url(data) };
}

/** The master secret, or undefined when the key is not the one it was wrapped under. */
async function unwrap(
  key: CryptoKey,
  wrapped: WrappedSecret,
  boundTo: string,
): Promise<Uint8Array | undefined> {
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytesOf(wrapped.iv),
        additionalData: encoder.encode(boundTo),
      },
      key,
      bytesOf(wrapped.data),
    );
    return new Uint8Array(plain);
  } catch {
    return undefined;
  }
}

const hubBinding = (deviceId: string) => `gridtally device ${deviceId}`;
const pinBinding = (deviceId: string, username: string) =>
  `gridtally device ${deviceId} agent ${username}`;

/** The PIN's wrap for an agent, tried with a PIN: the master secret, or why not. */
async function openWithPin(
  db: GridtallyDatabase,
  deviceId: string,
  username: string,
  pin: string,
  nowMs: number,
): Promise<Result<Uint8Array, OfflineUnlockError>> {
  const held = await db.unlocks.get(username);
  if (!held) return err('offline-first-sign-in');
  if (Date.parse(held.until) <= nowMs) {
    await db.unlocks.delete(username);
    return err('offline-unlock-expired');
  }
  const master = await unwrap(
    await pinKey(pin, held.salt, db.vault.pinIterations),
    held.wrapped,
    pinBinding(deviceId, username),
  );
  if (master) {
    if (held.wrongTries > 0) await db.unlocks.update(username, { wrongTries: 0 });
    return ok(master);
  }
  // Counted in a transaction: tries from two tabs at once both count.
  const erased = await db.transaction('rw', db.unlocks, async () => {
    const current = await db.unlocks.get(username);
    if (!current) return true;
    const wrongTries = current.wrongTries + 1;
    if (wrongTries >= MAX_OFFLINE_PIN_TRIES) {
      await db.unlocks.delete(username);
      return true;
    }
    await db.unlocks.update(username, { wrongTries });
    return false;
  });
  return err(erased ? 'offline-pin-locked' : 'sign-in-failed');
}

/** Writes the PIN's wrap for an agent until `until`, or erases it when the hub allows none. */
async function keepPinWrap(
  db: GridtallyDatabase,
  deviceId: string,
  username: string,
  pin: string,
  master: Uint8Array,
  until: string,
  nowMs: number,
): Promise<void> {
  if (Date.parse(until) <= nowMs) {
    await db.unlocks.delete(username);
    return;
  }
  const salt = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const key = await pinKey(pin, salt, db.vault.pinIterations);
  const wrapped = await wrap(key, master, pinBinding(deviceId, username));
  const record: OfflineUnlock = { username, salt, wrapped, until, wrongTries: 0 };
  await db.unlocks.put(record);
}

/**
 * After the hub accepted an agent's PIN: opens the device's data with the hub's secret (making
 * the master secret on the device's first sign-in), renews the PIN's wrap, and seals what was
 * stored in the clear before the vault existed. A hub secret that does not open the wrap (a hub
 * restored from before the device was known) falls back to the PIN's wrap and re-wraps; when
 * neither opens, nothing is erased: the sealed data waits for a secret that opens it.
 */
export async function unlockOnline(
  db: GridtallyDatabase,
  input: {
    readonly deviceId: string;
    readonly username: string;
    readonly pin: string;
    readonly unlock: DeviceUnlock;
    readonly nowMs: number;
  },
): Promise<Result<null, 'vault-unreadable'>> {
  const { deviceId, username, pin, unlock, nowMs } = input;
  const key = await hubKey(unlock.secret);
  const fresh = Vault.newMaster();
  const proposed: VaultRecord = {
    key: 'vault',
    hub: await wrap(key, fresh, hubBinding(deviceId)),
    createdAt: new Date(nowMs).toISOString(),
  };
  // The first sign-in makes the master secret; a sign-in in another tab at the same moment
  // finds the record written and opens that one instead.
  const record = await db.transaction('rw', db.settings, async () => {
    const held = await readSetting(db, 'vault');
    if (held) return held;
    await db.settings.put(proposed);
    return proposed;
  });
  let master = record === proposed ? fresh : await unwrap(key, record.hub, hubBinding(deviceId));
  if (!master) {
    const byPin = await openWithPin(db, deviceId, username, pin, nowMs);
    if (!byPin.ok) return err('vault-unreadable');
    master = byPin.value;
    await db.settings.put({ ...record, hub: await wrap(key, master, hubBinding(deviceId)) });
  }
  db.vault.unlock(master);
  await keepPinWrap(db, deviceId, username, pin, master, unlock.offlineUntil, nowMs);
  if (!record.legacySealed) await sealLegacy(db);
  return ok(null);
}

/** With no hub: opens the device's data with the agent's PIN, within the PIN wrap's window. */
export async function unlockOffline(
  db: GridtallyDatabase,
  input: { readonly deviceId: string; readonly username: string; readonly pin: string },
  nowMs: number,
): Promise<Result<null, OfflineUnlockError>> {
  const opened = await openWithPin(db, input.deviceId, input.username, input.pin, nowMs);
  if (!opened.ok) return opened;
  db.vault.unlock(opened.value);
  return ok(null);
}

/**
 * Seals the records written in the clear before the vault existed (a tablet updated to this
 * version): each sealed table is read and written back, which the vault seals, in one
 * transaction, and the vault record says it is done.
 */
export async function sealLegacy(db: GridtallyDatabase): Promise<void> {
  // The tables that held records before the vault (leases came after it, sealed from the start).
  const legacy = ['facts', 'accounts', 'credentials'].map((name) => db.table(name));
  await db.transaction('rw', [...legacy, db.settings], async () => {
    for (const table of legacy) await table.bulkPut(await table.toArray());
    const session = await readSetting(db, 'session');
    if (session) await db.settings.put(session);
    const record = await readSetting(db, 'vault');
    if (record) await db.settings.put({ ...record, legacySealed: true });
  });
}
