/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash of a byte string under a
 * 16-byte key. Guarantees: the result is the standard SipHash-2-4 output as an unsigned 64-bit
 * integer (the value whose little-endian bytes the reference code prints), identical to the
 * reference test vectors; the inputs are never modified.
 *
 * OpenPAYGO Token is built on this function. None of our dependencies provide it (@noble/hashes
 * has no SipHash), and it is short enough that adding a package would cost more than it saves.
 * BigInt keeps the 64-bit arithmetic exact and readable; a token decode needs at most a few
 * hundred hashes, so its speed does not matter here.
 */
import { assert } from '../assert.ts';

const MASK_64 = (1n << 64n) - 1n;

/** The four state words. Kept in a small mutable tuple local to one hash computation. */
type SipState = [bigint, bigint, bigint, bigint];

function rotateLeft(word: bigint, bits: bigint): bigint {
  return ((word << bits) | (word >> (64n - bits))) & MASK_64;
}

function add(a: bigint, b: bigint): bigint {
  return (a + b) & MASK_64;
}

function sipRound(state: SipState): void {
  let [v0, v1, v2, v3] = state;
  v0 = add(v0, v1);
  v1 = rotateLeft(v1, 13n) ^ v0;
  v0 = rotateLeft(v0, 32n);
  v2 = add(v2, v3);
  v3 = rotateLeft(v3, 16n) ^ v2;
  v0 = add(v0, v3);
  v3 = rotateLeft(v3, 21n) ^ v0;
  v2 = add(v2, v1);
  v1 = rotateLeft(v1, 17n) ^ v2;
  v2 = rotateLeft(v2, 32n);
  state[0] = v0;
  state[1] = v1;
  state[2] = v2;
  state[3] = v3;
}

/** Reads `length` bytes from `offset` as a little-endian unsigned integer. */
function readLittleEndian(bytes: Uint8Array, offset: number, length: number): bigint {
  let word = 0n;
  for (let index = length - 1; index >= 0; index -= 1) {
    word = (word << 8n) | BigInt(bytes[offset + index] ?? 0);
  }
  return word;
}

function compress(state: SipState, block: bigint): void {
  state[3] ^= block;
  sipRound(state);
  sipRound(state);
  state[0] ^= block;
}

export function sipHash24(key: Uint8Array, message: Uint8Array): bigint {
  assert(key.length === 16, 'SipHash-2-4 takes a 16-byte key');
  const k0 = readLittleEndian(key, 0, 8);
  const k1 = readLittleEndian(key, 8, 8);
  const state: SipState = [
    k0 ^ 0x736f6d6570736575n,
    k1 ^ 0x646f72616e646f6dn,
    k0 ^ 0x6c7967656e657261n,
    k1 ^ 0x7465646279746573n,
  ];
  const wholeBlocksEnd = message.length - (message.length % 8);
  for (let offset = 0; offset < wholeBlocksEnd; offset += 8) {
    compress(state, readLittleEndian(message, offset, 8));
  }
  // The last block holds the leftover bytes and, in its top byte, the message length mod 256.
  const leftover = readLittleEndian(message, wholeBlocksEnd, message.length - wholeBlocksEnd);
  compress(state, leftover | (BigInt(message.length & 0xff) << 56n));
  state[2] ^= 0xffn;
  for (let round = 0; round < 4; round += 1) sipRound(state);
  return state[0] ^ state[1] ^ state[2] ^ state[3];
}
