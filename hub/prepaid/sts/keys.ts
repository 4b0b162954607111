/**
 * STS meter identity and decoder keys (IEC 62055-41): the meter number's check digit, and the
 * decoder key a meter holds, made from the supply group's vending key by DKGA02.
 *
 * DKGA02: the PAN block is the rightmost 16 digits of the issuer identification number (IIN,
 * 600727 for STS meters) followed by the meter number (its own check digit included), as BCD;
 * the control block is key type, SGC, TI, KRN and FFFFFF, as hex digits. Their XOR, enciphered
 * by DES under the vending key, XORed again with itself and with the vending key, is the
 * decoder key. Pinned to the STS Association's conformance vectors in
 * tests/hub/sts-engine.test.ts.
 *
 * Guarantees: pure apart from DES; every malformed identity is a named error, never a key.
 */
import type { StsMeterIdentity, StsVendError } from '../../../shared/prepaid-tokens.ts';
import { assert } from '../../../shared/assert.ts';
import { luhnValid } from '../../../shared/card-data.ts';
import { desEncryptBlock } from './des.ts';

export { luhnValid };

/** The issuer identification number STS gives electricity meters. */
export const STS_IIN = '600727';
/** Key type 2: a decoder unique transfer key, one per meter (DUTK). */
export const KEY_TYPE_UNIQUE = 2;

/** The Luhn check digit to append to `digits`. */
export function luhnDigit(digits: string): string {
  for (let candidate = 0; candidate < 10; candidate++)
    if (luhnValid(`${digits}${candidate}`)) return String(candidate);
  throw new Error('unreachable: one of ten digits always checks');
}

export type IdentityError = Extract<
  StsVendError,
  | 'meter-number-malformed'
  | 'supply-group-code-malformed'
  | 'key-revision-out-of-range'
  | 'tariff-index-malformed'
>;

/** The first thing wrong with an identity, as the vending contract names it. */
export function identityError(meter: StsMeterIdentity): IdentityError | undefined {
  if (!/^(\d{11}|\d{13})$/.test(meter.meterNumber) || !luhnValid(meter.meterNumber))
    return 'meter-number-malformed';
  if (!/^\d{6}$/.test(meter.supplyGroupCode)) return 'supply-group-code-malformed';
  if (!Number.isInteger(meter.keyRevisionNumber)) return 'key-revision-out-of-range';
  if (meter.keyRevisionNumber < 1 || meter.keyRevisionNumber > 9)
    return 'key-revision-out-of-range';
  if (!/^\d{2}$/.test(meter.tariffIndex)) return 'tariff-index-malformed';
  return undefined;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A 64-bit key as the integer whose big-endian bytes it is. */
export function keyInteger(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/**
 * DKGA02: the decoder key of a meter, as a 64-bit integer, from the vending key (8 bytes) and
 * the meter's identity. It checks formats only (the conformance vectors use meter numbers
 * without a valid check digit); a vend checks the identity first (`identityError`). `iin` is
 * STS_IIN unless a test needs another.
 */
export function decoderKeyDkga02(
  vendingKey: Uint8Array,
  meter: StsMeterIdentity,
  iin: string = STS_IIN,
): bigint {
  assert(vendingKey.length === 8, 'a vending key is 8 bytes');
  assert(/^\d{4,6}$/.test(iin) && /^\d{11,13}$/.test(meter.meterNumber), 'IIN and meter number');
  assert(/^\d{6}$/.test(meter.supplyGroupCode) && /^\d{2}$/.test(meter.tariffIndex), 'SGC, TI');
  assert(meter.keyRevisionNumber >= 1 && meter.keyRevisionNumber <= 9, 'KRN 1 to 9');
  const pan = hexBytes(`${iin}${meter.meterNumber}`.slice(-16));
  const control = hexBytes(
    `${KEY_TYPE_UNIQUE}${meter.supplyGroupCode}${meter.tariffIndex}${meter.keyRevisionNumber}FFFFFF`,
  );
  const mixed = pan.map((byte, i) => byte ^ (control[i] ?? 0));
  const enciphered = desEncryptBlock(vendingKey, mixed);
  return keyInteger(enciphered.map((byte, i) => byte ^ (mixed[i] ?? 0) ^ (vendingKey[i] ?? 0)));
}
