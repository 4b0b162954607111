/**
 * Exact amounts of money: a rational number of minor units, a bigint numerator over a positive
 * bigint denominator, always in lowest terms, so two equal amounts are equal field by field.
 * Every line of a bill is first worked out exactly (kWh × rate, a percentage of earlier lines,
 * a fixed amount shared out by days) and only then rounded, by `roundExact`, which is
 * `roundQuotient` of shared/money.ts: no second rounding rule lives here.
 *
 * Fractions rather than decimals at a fixed scale, because proration by days has no finite
 * decimal (10.00 × 15/31), and a percentage of a percentage would need an ever larger scale.
 * The bigints never leave the engine: a bill line carries them as text (`exactText`).
 */
import { assert } from '../assert.ts';
import { minor, roundQuotient, type MinorUnits, type RoundingRule } from '../money.ts';

/**
 * The most a bill line, or a whole bill, may come to: a hundred billion major units at
 * exponent 2. A hundred thousand such lines still sum inside a double's exact integers, and a
 * bill beyond it is a tariff or a usage nobody can mean.
 */
export const MAX_BILL_MINOR = 10_000_000_000_000;

/**
 * Thrown inside the engine when an amount passes MAX_BILL_MINOR, and turned by `computeBill`
 * into the named failure `amount-out-of-range`: the one place arithmetic deep in a bill can
 * give up without every helper returning a result.
 */
export class BillOutOfRange extends Error {
  override name = 'BillOutOfRange';
}

/** A whole number of minor units worked out with bigints, as money, or BillOutOfRange. */
export function billMinor(value: bigint): MinorUnits {
  const limit = BigInt(MAX_BILL_MINOR);
  if (value > limit || value < -limit) throw new BillOutOfRange(`${value} minor units`);
  return minor(Number(value));
}

export interface Exact {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

function magnitude(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function greatestCommonDivisor(a: bigint, b: bigint): bigint {
  let x = magnitude(a);
  let y = magnitude(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** numerator / denominator minor units, reduced, with the sign on the numerator. */
export function exact(numerator: bigint, denominator = 1n): Exact {
  assert(denominator !== 0n, 'an exact amount cannot be over zero');
  const sign = denominator < 0n ? -1n : 1n;
  const divisor = greatestCommonDivisor(numerator, denominator);
  return { numerator: (sign * numerator) / divisor, denominator: (sign * denominator) / divisor };
}

export const EXACT_ZERO = exact(0n);

export function exactOf(amount: MinorUnits): Exact {
  return exact(BigInt(amount));
}

export function addExact(a: Exact, b: Exact): Exact {
  return exact(
    a.numerator * b.denominator + b.numerator * a.denominator,
    a.denominator * b.denominator,
  );
}

export function subtractExact(a: Exact, b: Exact): Exact {
  return addExact(a, negateExact(b));
}

export function negateExact(value: Exact): Exact {
  return exact(-value.numerator, value.denominator);
}

export function sumExact(values: readonly Exact[]): Exact {
  return values.reduce(addExact, EXACT_ZERO);
}

/** Negative, zero or positive as a is below, equal to or above b. */
export function compareExact(a: Exact, b: Exact): number {
  const difference = a.numerator * b.denominator - b.numerator * a.denominator;
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

export function minExact(a: Exact, b: Exact): Exact {
  return compareExact(a, b) <= 0 ? a : b;
}

export function maxExact(a: Exact, b: Exact): Exact {
  return compareExact(a, b) >= 0 ? a : b;
}

/** Rounds once to a multiple of `quantum` minor units, by the rule given. */
export function roundExact(value: Exact, rule: RoundingRule, quantum = 1): MinorUnits {
  const step = BigInt(quantum);
  return billMinor(roundQuotient(value.numerator, value.denominator * step, rule) * step);
}

/**
 * The amount in minor units as text: a decimal ("8789.4") when it has a finite one, which is
 * every amount not shared out by days, otherwise the fraction ("15000/31").
 */
export function exactText(value: Exact): string {
  let rest = value.denominator;
  for (const factor of [2n, 5n]) while (rest % factor === 0n) rest /= factor;
  if (rest !== 1n) return `${value.numerator}/${value.denominator}`;
  let digits = 0;
  while (10n ** BigInt(digits) % value.denominator !== 0n) digits += 1;
  const scaled = magnitude(value.numerator) * (10n ** BigInt(digits) / value.denominator);
  const text = scaled.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = text.slice(text.length - digits);
  return (value.numerator < 0n ? '-' : '') + whole + (digits > 0 ? `.${fraction}` : '');
}
