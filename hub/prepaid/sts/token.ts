/**
 * STS tokens (IEC 62055-41): the 64-bit data block of a class 0 credit token, its CRC, the
 * Standard Transfer Algorithm (STA, encryption algorithm 07) under the meter's decoder key,
 * the transposition of the 2 class bits, and the 66-bit number as 20 decimal digits. Both
 * ways: the hub makes tokens, and the decoder (meter.ts) plays the meter in tests.
 *
 * The data block, bit 63 first: subclass (4), random (4), TID (24: minutes since the meter's
 * base date), amount (16, shared/sts-amount.ts), CRC (16). The CRC is CRC-16 (polynomial
 * 0x8005 reflected, start 0xFFFF) over the class (2 bits) and the block's top 48 bits, as 7
 * bytes most significant first, stored with its bytes swapped. Every constant here and the bit
 * order are pinned by the STS Association's conformance vectors (tests/hub/sts-engine.test.ts).
 *
 * Guarantees: pure; a key or block is a 64-bit unsigned bigint; decoding refuses, by name,
 * anything that is not 20 digits of a 66-bit number or whose CRC does not check.
 */
import { err, ok, type Result } from '../../../shared/result.ts';
import { STS_TOKEN_DIGITS } from '../../../shared/prepaid-tokens.ts';

const MASK_64 = (1n << 64n) - 1n;

/** The two 4-bit substitution boxes of STA and its 64-bit permutation (IEC 62055-41, EA07). */
const SBOX_FIRST = [14, 10, 7, 9, 12, 3, 2, 5, 13, 0, 15, 1, 4, 8, 6, 11];
const SBOX_SECOND = [12, 8, 2, 13, 7, 6, 1, 3, 11, 5, 9, 15, 0, 4, 10, 14];
/** Bit i of the block goes to bit PERMUTATION[i]. */
const PERMUTATION = [
  55, 42, 10, 18, 24, 21, 44, 35, 2, 22, 56, 43, 27, 58, 9, 50, 6, 36, 12, 61, 37, 38, 53, 16, 62,
  3, 7, 4, 32, 20, 63, 25, 51, 52, 54, 33, 49, 19, 46, 29, 48, 31, 23, 30, 41, 28, 13, 5, 40, 60,
  39, 11, 15, 17, 1, 0, 57, 34, 59, 8, 47, 14, 45, 26,
];
const STA_ROUNDS = 16;

function inverse(table: readonly number[]): number[] {
  const out = new Array<number>(table.length).fill(0);
  table.forEach((to, from) => (out[to] = from));
  return out;
}
const SBOX_FIRST_INVERSE = inverse(SBOX_FIRST);
const SBOX_SECOND_INVERSE = inverse(SBOX_SECOND);
const PERMUTATION_INVERSE = inverse(PERMUTATION);

function rotateLeft(value: bigint, bits: number): bigint {
  return ((value << BigInt(bits)) | (value >> BigInt(64 - bits))) & MASK_64;
}

function rotateRight(value: bigint, bits: number): bigint {
  return ((value >> BigInt(bits)) | (value << BigInt(64 - bits))) & MASK_64;
}

/** The key of each round: the decoder key complemented, rotated right 12, then left 1 a round. */
function roundKeys(decoderKey: bigint): bigint[] {
  const keys: bigint[] = [];
  let key = rotateRight(~decoderKey & MASK_64, 12);
  for (let round = 0; round < STA_ROUNDS; round++) {
    keys.push(key);
    key = rotateLeft(key, 1);
  }
  return keys;
}

/** Nibble i goes through the second box when bit 4i+3 of the round key is set. */
function substitute(block: bigint, key: bigint, first: number[], second: number[]): bigint {
  let out = 0n;
  for (let nibble = 0; nibble < 16; nibble++) {
    const shift = BigInt(4 * nibble);
    const value = Number((block >> shift) & 15n);
    const box = (key >> (shift + 3n)) & 1n ? second : first;
    out |= BigInt(box[value] ?? 0) << shift;
  }
  return out;
}

function permute(block: bigint, table: readonly number[]): bigint {
  let out = 0n;
  for (let bit = 0; bit < 64; bit++)
    if ((block >> BigInt(bit)) & 1n) out |= 1n << BigInt(table[bit] ?? 0);
  return out;
}

/** STA encryption of one 64-bit block. */
export function staEncrypt(decoderKey: bigint, block: bigint): bigint {
  let out = block;
  for (const key of roundKeys(decoderKey))
    out = permute(substitute(out, key, SBOX_FIRST, SBOX_SECOND), PERMUTATION);
  return out;
}

/** STA decryption: the rounds undone in reverse order. */
export function staDecrypt(decoderKey: bigint, block: bigint): bigint {
  let out = block;
  for (const key of roundKeys(decoderKey).reverse())
    out = substitute(
      permute(out, PERMUTATION_INVERSE),
      key,
      SBOX_FIRST_INVERSE,
      SBOX_SECOND_INVERSE,
    );
  return out;
}

/** CRC-16 as STS computes it over the class and the block's top 48 bits. */
export function stsCrc(tokenClass: number, top48: bigint): number {
  const message = (BigInt(tokenClass) << 48n) | top48;
  let crc = 0xffff;
  for (let byte = 6; byte >= 0; byte--) {
    crc ^= Number((message >> BigInt(8 * byte)) & 0xffn);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return ((crc & 0xff) << 8) | (crc >>> 8);
}

export interface CreditTokenFields {
  /** 0 for electricity. */
  readonly subclass: number;
  /** 4 random bits, 0 to 15. */
  readonly random: number;
  /** Minutes since the meter's base date, 24 bits. */
  readonly tid: number;
  /** The 16-bit amount code (shared/sts-amount.ts). */
  readonly amountCode: number;
}

/** Class 0 tokens: credit transfer. */
export const CREDIT_CLASS = 0;

function checkField(value: number, bits: number, name: string): bigint {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits)
    throw new Error(`${name} must fit ${bits} bits`);
  return BigInt(value);
}

/** The 64-bit data block of a credit token, CRC included. */
export function creditBlock(fields: CreditTokenFields): bigint {
  const top48 =
    (checkField(fields.subclass, 4, 'subclass') << 44n) |
    (checkField(fields.random, 4, 'random') << 40n) |
    (checkField(fields.tid, 24, 'TID') << 16n) |
    checkField(fields.amountCode, 16, 'amount');
  return (top48 << 16n) | BigInt(stsCrc(CREDIT_CLASS, top48));
}

/** Class bits 0 and 1 take the places of ciphertext bits 27 and 28, which move to 64 and 65. */
export function transpose(tokenClass: number, cipher: bigint): bigint {
  const bit27 = (cipher >> 27n) & 1n;
  const bit28 = (cipher >> 28n) & 1n;
  const cleared = cipher & ~((1n << 27n) | (1n << 28n)) & MASK_64;
  const withClass =
    cleared | (BigInt(tokenClass & 1) << 27n) | (BigInt((tokenClass >> 1) & 1) << 28n);
  return (bit28 << 65n) | (bit27 << 64n) | withClass;
}

/** The class and the ciphertext of a 66-bit token number. */
export function untranspose(token: bigint): { tokenClass: number; cipher: bigint } {
  const tokenClass = Number(((token >> 27n) & 1n) | (((token >> 28n) & 1n) << 1n));
  const cleared = token & MASK_64 & ~((1n << 27n) | (1n << 28n));
  const cipher = cleared | (((token >> 64n) & 1n) << 27n) | (((token >> 65n) & 1n) << 28n);
  return { tokenClass, cipher };
}

/** A credit token under a decoder key, as the 20 digits a customer types. */
export function encodeCreditToken(decoderKey: bigint, fields: CreditTokenFields): string {
  const cipher = staEncrypt(decoderKey, creditBlock(fields));
  return transpose(CREDIT_CLASS, cipher).toString().padStart(STS_TOKEN_DIGITS, '0');
}

export type TokenDecodeError = 'not-a-token' | 'crc-mismatch' | 'not-a-credit-token';

export interface DecodedCreditToken extends CreditTokenFields {
  readonly tokenClass: number;
}

/** What a meter holding `decoderKey` reads from 20 digits (spaces allowed between groups). */
export function decodeToken(
  decoderKey: bigint,
  digits: string,
): Result<DecodedCreditToken, TokenDecodeError> {
  const clean = digits.replace(/\s+/g, '');
  if (!/^\d{20}$/.test(clean)) return err('not-a-token');
  const number = BigInt(clean);
  if (number >> 66n !== 0n) return err('not-a-token');
  const { tokenClass, cipher } = untranspose(number);
  const block = staDecrypt(decoderKey, cipher);
  const top48 = block >> 16n;
  if (Number(block & 0xffffn) !== stsCrc(tokenClass, top48)) return err('crc-mismatch');
  if (tokenClass !== CREDIT_CLASS) return err('not-a-credit-token');
  return ok({
    tokenClass,
    subclass: Number((top48 >> 44n) & 15n),
    random: Number((top48 >> 40n) & 15n),
    tid: Number((top48 >> 16n) & 0xffffffn),
    amountCode: Number(top48 & 0xffffn),
  });
}

/** The base dates STS counts token identifiers from (2014 since the 1993 count ran out). */
export type StsBaseDate = 1993 | 2014;
const TID_LIMIT = 2 ** 24;

/**
 * The TID of a moment for a meter on `baseDate`: whole minutes since its 1 January, 00:00 UTC.
 * Undefined before the base date or past the 24 bits (the 1993 count ran out on 24 November
 * 2024: such a meter needs a key change to base date 2014 before it takes another token).
 */
export function tidAt(moment: Date, baseDate: StsBaseDate): number | undefined {
  const minutes = Math.floor((moment.getTime() - Date.UTC(baseDate, 0, 1)) / 60_000);
  return minutes >= 0 && minutes < TID_LIMIT ? minutes : undefined;
}
