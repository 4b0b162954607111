/**
 * The amount an STS credit token carries (IEC 62055-41, class 0 transfer amount): 16 bits, a
 * 2-bit exponent e over a 14-bit mantissa m, in tenths of a kWh for electricity. The value is
 * m × 10^e plus, for e above 0, the 2^14 × 10^(n-1) for n = 1..e that the lower exponents
 * already cover, so each exponent starts where the one below ends and no value has two codes.
 * Exact up to 1,638.3 kWh (e = 0); above, in steps of 1, 10 and 100 kWh.
 *
 * Shared because the tablet prices a sale offline and must sell only energy a token can carry;
 * the hub's token engine encodes with the same functions.
 *
 * Guarantees: pure; every value from 1 to STS_MAX_DECI_KWH has exactly one largest
 * representable value at or below it, and `stsAmountValue(stsAmountCode(v)) === v` for every
 * representable v.
 */

const MANTISSA_VALUES = 1 << 14;

/** Where exponent e starts: the values the exponents below it cover. */
function offsetOf(exponent: number): number {
  let offset = 0;
  for (let n = 1; n <= exponent; n++) offset += MANTISSA_VALUES * 10 ** (n - 1);
  return offset;
}

/** The largest amount one token carries, in tenths of a kWh (1,820,162.4 kWh). */
export const STS_MAX_DECI_KWH = (MANTISSA_VALUES - 1) * 1000 + offsetOf(3);

/** The value a 16-bit amount code stands for, in tenths of a kWh. */
export function stsAmountValue(code: number): number {
  const exponent = (code >> 14) & 3;
  const mantissa = code & (MANTISSA_VALUES - 1);
  return mantissa * 10 ** exponent + offsetOf(exponent);
}

/** The exponent that carries a value: the smallest whose range reaches it. */
function exponentFor(deciKwh: number): number {
  for (let exponent = 0; exponent < 3; exponent++)
    if (deciKwh < offsetOf(exponent + 1)) return exponent;
  return 3;
}

/**
 * The largest value at or below `deciKwh` that a token carries exactly (0 when none: below 1,
 * or not a whole number of tenths). Above STS_MAX_DECI_KWH it is STS_MAX_DECI_KWH.
 */
export function stsRepresentable(deciKwh: number): number {
  if (!Number.isSafeInteger(deciKwh) || deciKwh < 1) return 0;
  if (deciKwh >= STS_MAX_DECI_KWH) return STS_MAX_DECI_KWH;
  const exponent = exponentFor(deciKwh);
  const step = 10 ** exponent;
  const offset = offsetOf(exponent);
  return offset + Math.floor((deciKwh - offset) / step) * step;
}

/** The 16-bit code of a representable value; undefined when a token cannot carry it exactly. */
export function stsAmountCode(deciKwh: number): number | undefined {
  if (stsRepresentable(deciKwh) !== deciKwh) return undefined;
  const exponent = exponentFor(deciKwh);
  const mantissa = (deciKwh - offsetOf(exponent)) / 10 ** exponent;
  return (exponent << 14) | mantissa;
}
