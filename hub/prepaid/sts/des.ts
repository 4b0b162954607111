/**
 * DES (FIPS 46-3) on one 64-bit block, for STS decoder key generation (DKGA02 uses DEA under
 * the vending key). Node 20's OpenSSL 3 offers single DES only through its legacy provider, so
 * this takes two-key Triple DES with both halves equal: E(K, D(K, E(K, x))) is E(K, x). The
 * FIPS test vectors in tests/hub/sts-engine.test.ts hold it to plain DES.
 *
 * Guarantees: a pure function of its inputs; any key or block not 8 bytes is a programmer
 * error (an assertion).
 */
import { createCipheriv } from 'node:crypto';
import { assert } from '../../../shared/assert.ts';

export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  assert(key.length === 8 && block.length === 8, 'DES takes an 8-byte key and an 8-byte block');
  const doubled = new Uint8Array(16);
  doubled.set(key, 0);
  doubled.set(key, 8);
  const cipher = createCipheriv('des-ede-ecb', doubled, null);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}
