/**
 * The hub's history, signed. The hub's audit log is a hash chain (each entry's hash covers the
 * one before); its head, the last entry's number and hash, comes with every pull answer,
 * signed with the hub's own P-256 key. A device keeps the heads it was given. A hub whose
 * history is rewritten afterwards cannot produce a later head that a device will take without
 * noticing a step back (`headFollows`), and cannot deny a head it signed: the verifier
 * (`npm run hub -- verify-audit`) checks each kept head against the store and names the first
 * row where the store no longer says what the hub once signed.
 */
import { z } from 'zod';
import { ECDSA_KEY, ECDSA_SIGNING, fromBase64url, type PublicKeyJwk } from './devices.ts';
import { GENESIS_HASH } from './hash.ts';

export const auditHeadSchema = z.object({
  /** The store's history it belongs to: a restore from a backup starts a new one. */
  epoch: z.string().min(1).max(64),
  /** The last audit entry's number (0 before the first). */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Its hash: SHA-256 as 64 lower-case hex digits. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** ECDSA P-256 over `auditHeadSigningText`, 64 bytes as base64url. */
  signature: z.string().max(128),
});

export type AuditHead = z.infer<typeof auditHeadSchema>;

/** The head of an audit log with no entry yet. */
export const EMPTY_AUDIT = { seq: 0, hash: GENESIS_HASH } as const;

/** What the hub signs: a fixed prefix, so the signature means nothing else. */
export function auditHeadSigningText(head: { epoch: string; seq: number; hash: string }): string {
  return `gridtally-audit-head\n${head.epoch}\n${head.seq}\n${head.hash}`;
}

export async function auditHeadSignatureValid(
  publicKey: PublicKeyJwk,
  head: AuditHead,
): Promise<boolean> {
  const signature = fromBase64url(head.signature);
  if (!signature || signature.length !== 64) return false;
  const key = await crypto.subtle.importKey('jwk', publicKey, ECDSA_KEY, false, ['verify']);
  return crypto.subtle.verify(
    ECDSA_SIGNING,
    key,
    signature,
    new TextEncoder().encode(auditHeadSigningText(head)),
  );
}

/**
 * Whether a new head can follow the one kept: a chain only grows, so a head further back, or
 * at the same entry with another hash, means the history the device was shown was rewritten.
 * A head of another epoch follows anything: the hub was restored from a backup, openly (the
 * device pulls everything again, and keeps the old head as evidence).
 */
export function headFollows(
  kept: { epoch: string; seq: number; hash: string } | undefined,
  next: { epoch: string; seq: number; hash: string },
): boolean {
  if (!kept || kept.epoch !== next.epoch) return true;
  if (next.seq < kept.seq) return false;
  return next.seq > kept.seq || next.hash === kept.hash;
}
