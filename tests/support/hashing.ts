/**
 * The scrypt cost the in-process test hubs hash and check PINs and passwords at: real scrypt,
 * cheap, so that hundreds of sign-ins stay fast (see HubDeps.secretHashing). The tests of
 * hashing itself (tests/hub/security.test.ts) and every end-to-end test run at full strength.
 */
export const TEST_HASHING = { N: 16, r: 8, p: 1 } as const;
