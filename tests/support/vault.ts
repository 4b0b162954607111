/**
 * The device's vault for Node tests of sync: the PIN's wrap at 1,000 PBKDF2 rounds instead of
 * 600,000 (about 0.3 s a sign-in, most of a sync test's time and not what it tests), as the
 * hub's tests hash PINs with a cheap scrypt (tests/support/hashing.ts). The end-to-end tests
 * and the app use the full strength.
 */
import { Vault } from '../../client/db/vault.ts';

export const TEST_PIN_ITERATIONS = 1_000;

export function testVault(): Vault {
  return new Vault(TEST_PIN_ITERATIONS);
}
