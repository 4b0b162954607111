/**
 * The arithmetic under OpenPAYGO Token v2.3, as the reference implementation does it
 * (EnAccess/OpenPAYGO-python, openpaygo/token_shared.py and token_shared_extended.py).
 * Guarantees: every function here is pure and gives bit-for-bit the reference's numbers, so a
 * token made here is accepted by any conforming device and the other way round.
 *
 * How a token is made. A device holds a secret 16-byte key and a 9-digit starting code. The
 * last 3 digits of a code (6 for the extended format) are its "base"; the value a token
 * carries is added to the starting code's base, modulo 1000 (or 1,000,000). Each token count
 * is one step along a chain: the next code is SipHash-2-4 of the previous one under the key,
 * squeezed back into 9 (or 12) decimal digits. The chain starts at the starting code with the
 * value-bearing base put in, so each value has a chain of its own; the token at count N is
 * the code after N steps with that base put back in place of the last digits. The restricted
 * digit set writes the same number two bits per digit, using only the keys 1 to 4.
 */
import { assert } from '../assert.ts';
import { err, ok, type Result } from '../result.ts';
import { sipHash24 } from './siphash.ts';

export type TokenFormat = 'standard' | 'extended';

export interface FormatRules {
  /** The base is the code modulo this: the last 3 or 6 decimal digits. */
  readonly valueOffset: number;
  /** The largest value an Add Time or Set Time token may carry. */
  readonly maxActivationValue: number;
  /** Digits of a token in the ordinary digit set, zero-padded. */
  readonly digits: number;
  /** Bits of a code, and so twice the digits of a restricted-digit-set token. */
  readonly bits: number;
}

export const FORMAT_RULES: Readonly<Record<TokenFormat, FormatRules>> = {
  standard: { valueOffset: 1000, maxActivationValue: 995, digits: 9, bits: 30 },
  extended: { valueOffset: 1_000_000, maxActivationValue: 999_999, digits: 12, bits: 40 },
};

/** The raw values that mean "unlock for good" and "resynchronise the count" (reference's constants). */
export const DISABLE_PAYG_VALUE = 998;
export const COUNTER_SYNC_VALUE = 999;

/** Starting codes are 9-digit numbers in both formats. */
export const MAX_STARTING_CODE = 999_999_999;

export type SecretKey = Uint8Array & { readonly __brand: 'OpenPaygoSecretKey' };

/** A device key is written as 32 hexadecimal characters, either case, as in the reference. */
export function parseSecretKey(hex: string): Result<SecretKey, 'secret-key-malformed'> {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return err('secret-key-malformed');
  const key = new Uint8Array(16);
  for (let index = 0; index < 16; index += 1) {
    key[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return ok(key as SecretKey);
}

export function baseOf(code: number, format: TokenFormat): number {
  return code % FORMAT_RULES[format].valueOffset;
}

export function withBase(code: number, base: number, format: TokenFormat): number {
  assert(
    Number.isInteger(base) && base >= 0 && base < FORMAT_RULES[format].valueOffset,
    `a ${format} token base is ${FORMAT_RULES[format].valueOffset - 1} at most`,
  );
  return code - baseOf(code, format) + base;
}

/** Folds a 64-bit hash into a code of at most 9 digits: the reference's "29.5 bits". */
function standardCodeOfHash(hash: bigint): number {
  const folded = Number((hash >> 32n) ^ (hash & 0xffffffffn));
  const thirtyBits = folded >>> 2;
  // 2^30 - 1 is 1,073,741,823; the reference pulls the overflow back under 10^9 by this constant.
  return thirtyBits > 999_999_999 ? thirtyBits - 73_741_825 : thirtyBits;
}

/** Takes the top 40 bits of a 64-bit hash as a code of at most 12 digits. */
function extendedCodeOfHash(hash: bigint): number {
  const fortyBits = Number(hash >> 24n);
  // 2^40 - 1 is 1,099,511,627,775; the same pull-back as the standard format, at 12 digits.
  return fortyBits > 999_999_999_999 ? fortyBits - 99_511_627_777 : fortyBits;
}

function bigEndianBytes(value: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let rest = BigInt(value);
  for (let index = length - 1; index >= 0; index -= 1) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** One step along the chain. */
export function nextCode(code: number, key: SecretKey, format: TokenFormat): number {
  if (format === 'standard') {
    // SipHash needs no minimum length, but the reference repeats the 4 bytes to make 8.
    const four = bigEndianBytes(code, 4);
    const message = new Uint8Array(8);
    message.set(four, 0);
    message.set(four, 4);
    return standardCodeOfHash(sipHash24(key, message));
  }
  return extendedCodeOfHash(sipHash24(key, bigEndianBytes(code, 8)));
}

/** The starting code a device derives from its key when none was set at the factory. */
export function startingCodeOfKey(key: SecretKey): number {
  return standardCodeOfHash(sipHash24(key, key));
}

export function encodeBase(startingCode: number, value: number, format: TokenFormat): number {
  const offset = FORMAT_RULES[format].valueOffset;
  return (baseOf(startingCode, format) + value) % offset;
}

export function decodeBase(startingCode: number, tokenBase: number, format: TokenFormat): number {
  const offset = FORMAT_RULES[format].valueOffset;
  return (tokenBase - baseOf(startingCode, format) + offset) % offset;
}

export interface ChainPosition {
  readonly startingCode: number;
  readonly key: SecretKey;
  readonly format: TokenFormat;
  /** The raw value, already within 0 ..< the format's value offset. */
  readonly value: number;
  readonly count: number;
}

/** The numeric token at a given count carrying a given raw value: the heart of encoding. */
export function codeAtCount(position: ChainPosition): number {
  const { startingCode, key, format, value, count } = position;
  assert(Number.isSafeInteger(count) && count >= 0, 'a token count is a non-negative integer');
  const base = encodeBase(startingCode, value, format);
  let code = withBase(startingCode, base, format);
  for (let step = 0; step < count; step += 1) code = nextCode(code, key, format);
  return withBase(code, base, format);
}

/** Writes a code as its bits, two per digit, most significant first, digit = 1 + pair. */
export function toRestrictedDigits(code: number, format: TokenFormat): string {
  const pairs = FORMAT_RULES[format].bits / 2;
  let digits = '';
  let rest = code;
  for (let index = 0; index < pairs; index += 1) {
    digits = String((rest % 4) + 1) + digits;
    rest = Math.floor(rest / 4);
  }
  assert(rest === 0, `code ${code} does not fit the ${format} restricted digit set`);
  return digits;
}

/** The inverse of toRestrictedDigits; the caller has checked the digits are 1 to 4. */
export function fromRestrictedDigits(digits: string): number {
  let code = 0;
  for (const digit of digits) code = code * 4 + (Number(digit) - 1);
  return code;
}

/** The token as the user sees it: zero-padded decimal, or the restricted digit set. */
export function formatToken(
  code: number,
  format: TokenFormat,
  restrictedDigitSet: boolean,
): string {
  if (restrictedDigitSet) return toRestrictedDigits(code, format);
  return String(code).padStart(FORMAT_RULES[format].digits, '0');
}
