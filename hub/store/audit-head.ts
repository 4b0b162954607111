/**
 * The audit chain's head, signed with the hub's key (shared/audit-head.ts says why). The key
 * lives in `hub_meta` (made by migration 0012); its private half is imported once per store.
 */
import type { Kysely, Transaction } from 'kysely';
import { auditHeadSigningText, EMPTY_AUDIT, type AuditHead } from '../../shared/audit-head.ts';
import { base64url, ECDSA_KEY, ECDSA_SIGNING, type PublicKeyJwk } from '../../shared/devices.ts';
import type { Database } from './schema.ts';
import { storeEpoch } from './store.ts';

type Reader = Kysely<Database> | Transaction<Database>;

interface SigningKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: PublicKeyJwk;
}

const keys = new WeakMap<object, Promise<SigningKey>>();

async function loadKey(db: Reader): Promise<SigningKey> {
  const row = await db
    .selectFrom('hub_meta')
    .select('value')
    .where('key', '=', 'signing-key')
    .executeTakeFirstOrThrow();
  const jwk = JSON.parse(row.value) as JsonWebKey;
  const privateKey = await crypto.subtle.importKey('jwk', jwk, ECDSA_KEY, false, ['sign']);
  return {
    privateKey,
    publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' },
  };
}

/** The hub's signing key, read once for each store (`owner`: the store it belongs to). */
function signingKey(owner: object, db: Reader): Promise<SigningKey> {
  let key = keys.get(owner);
  if (!key) {
    key = loadKey(db);
    keys.set(owner, key);
    key.catch(() => keys.delete(owner));
  }
  return key;
}

export async function hubPublicKey(owner: object, db: Reader): Promise<PublicKeyJwk> {
  return (await signingKey(owner, db)).publicKey;
}

/**
 * The last head signed for each store, with its signature: a pull that finds the chain where
 * the last one did hands out the same signature, so the device, which checked it then, need not
 * check it again (and the hub does not sign it again).
 */
const lastSigned = new WeakMap<object, { readonly text: string; readonly signature: string }>();

/** The audit chain's head as `db` sees it, signed. */
export async function signedAuditHead(owner: object, db: Reader): Promise<AuditHead> {
  const entry = await db
    .selectFrom('audit')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const head = {
    epoch: await storeEpoch(db),
    seq: entry ? Number(entry.id) : EMPTY_AUDIT.seq,
    hash: entry?.hash ?? EMPTY_AUDIT.hash,
  };
  const text = auditHeadSigningText(head);
  const last = lastSigned.get(owner);
  if (last?.text === text) return { ...head, signature: last.signature };
  const { privateKey } = await signingKey(owner, db);
  const signature = base64url(
    await crypto.subtle.sign(ECDSA_SIGNING, privateKey, new TextEncoder().encode(text)),
  );
  lastSigned.set(owner, { text, signature });
  return { ...head, signature };
}
