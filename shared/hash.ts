/**
 * Content hashes for facts. A value is written as canonical JSON (RFC 8785: sorted keys, one
 * number form) and hashed with SHA-256, so the device and the hub always agree on a fact's
 * hash whatever order its fields were built in.
 */
import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { assert } from './assert.ts';

export type Sha256Hex = string & { readonly __brand: 'Sha256Hex' };

/** The previous hash of a device's first fact. */
export const GENESIS_HASH = '0'.repeat(64) as Sha256Hex;

/**
 * Canonical JSON of `value`, written by the `canonicalize` package (RFC 8785's reference). The
 * hub writes the same text faster in bulk (`canonicalJsonFast`, shared/canonical-order.ts).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  assert(text !== undefined, 'value cannot be written as canonical JSON');
  return text;
}

export function sha256Hex(text: string): Sha256Hex {
  return bytesToHex(sha256(utf8ToBytes(text))) as Sha256Hex;
}

export function hashOf(value: unknown): Sha256Hex {
  return sha256Hex(canonicalJson(value));
}
