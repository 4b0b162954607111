/**
 * PINs, passwords and session tokens at rest. Secrets are stored as scrypt hashes with a
 * per-secret salt and their parameters, and compared in constant time; hashing runs on libuv's
 * thread pool (`crypto.scrypt`), never on the event loop, so a flood of sign-in tries cannot
 * stall the hub for everyone. Session tokens are random and stored only as their SHA-256, so a
 * copy of the database signs nobody in.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;

/**
 * OWASP's Password Storage Cheat Sheet (2025) lists N=2^14, r=8, p=5 as equal in strength to
 * its first choice N=2^17, r=8, p=1; this one needs 16 MiB a hash instead of 128 MiB, so many
 * sign-ins at once stay cheap in memory. About 0.2 s of one core here.
 */
export const SCRYPT_PARAMETERS: ScryptParameters = { N: 2 ** 14, r: 8, p: 5 };

export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Enough for the parameters above and for any stored hash this hub would accept. */
const MAX_SCRYPT_MEMORY = 64 * 1024 * 1024;

/** The most a stored hash's cost may claim: a tampered row cannot make one try take minutes. */
const MAX_STORED_COST = 2 ** 17;

function derive(secret: string, salt: Buffer, length: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(secret, salt, length, { ...options, maxmem: MAX_SCRYPT_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$key`; hashes stored before issue 12 read `scrypt$N$salt$key` (r=8, p=1). */
export async function hashSecret(
  secret: string,
  parameters: ScryptParameters = SCRYPT_PARAMETERS,
): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = parameters;
  const key = await derive(secret, salt, KEY_LENGTH, parameters);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface StoredHash {
  readonly options: { N: number; r: number; p: number };
  readonly salt: Buffer;
  readonly key: Buffer;
}

function readStored(stored: string): StoredHash | undefined {
  const parts = stored.split('$');
  const [scheme] = parts;
  if (scheme !== 'scrypt') return undefined;
  const [cost, r, p, salt, key] =
    parts.length === 4 ? [parts[1], '8', '1', parts[2], parts[3]] : parts.slice(1);
  const options = { N: Number(cost), r: Number(r), p: Number(p) };
  const sane =
    Number.isSafeInteger(options.N) &&
    options.N >= 2 &&
    options.N <= MAX_STORED_COST &&
    (options.N & (options.N - 1)) === 0 &&
    [options.r, options.p].every(
      (value) => Number.isSafeInteger(value) && value >= 1 && value <= 16,
    );
  if (!sane || !salt || !key) return undefined;
  return { options, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

/** Whether `secret` is the one `stored` was made from. An unreadable stored hash is never matched. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const hash = readStored(stored);
  if (!hash || hash.key.length === 0) return false;
  const actual = await derive(secret, hash.salt, hash.key.length, hash.options);
  return timingSafeEqual(hash.key, actual);
}

/** A stored hash made with weaker parameters than the hub's: rehashed at the next sign-in. */
export function needsRehash(
  stored: string,
  parameters: ScryptParameters = SCRYPT_PARAMETERS,
): boolean {
  const hash = readStored(stored);
  const { N, r, p } = parameters;
  return !hash || hash.options.N * hash.options.r * hash.options.p < N * r * p;
}

/**
 * A hash of nothing anyone knows, checked when the account named does not exist, so that a
 * wrong username costs the same time as a wrong secret and the answer's timing tells nothing.
 */
const decoys = new Map<string, Promise<string>>();
export function decoyHash(parameters: ScryptParameters = SCRYPT_PARAMETERS): Promise<string> {
  const key = `${parameters.N}/${parameters.r}/${parameters.p}`;
  let decoy = decoys.get(key);
  if (!decoy) {
    decoy = hashSecret(randomBytes(16).toString('base64url'), parameters);
    decoys.set(key, decoy);
  }
  return decoy;
}

/** 256 random bits (at least 128 are asked for), as a URL-safe string. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
