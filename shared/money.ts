/**
 * Money, in one place. An amount is an integer count of the currency's minor unit (cents,
 * fen, kobo), carried as a branded number so that a bare number cannot be passed where money
 * is expected. Every amount passes one range guard; floats never touch money. Parsing and
 * formatting work on strings only, at the screen's edge.
 *
 * Rounding rule: money is rounded in exactly one function, `roundQuotient`, which divides two
 * exact integers and rounds by a rule named at the call site (half-up: ties away from zero;
 * half-even: ties to the even neighbour; truncate: toward zero).
 */
import { z } from 'zod';
import { assert } from './assert.ts';
import { err, ok, type Result } from './result.ts';

/**
 * The brand is zod's, so that a schema that reads money from a message yields this type
 * directly; at run time it is a plain integer.
 */
export type MinorUnits = number & z.core.$brand<'MinorUnits'>;

/** Ten trillion major units at exponent 2: far beyond any bill, well inside exact doubles. */
export const MAX_ABS_MINOR = 1_000_000_000_000_000;

export const currencies = {
  CNY: { exponent: 2, symbol: '¥' },
  KES: { exponent: 2, symbol: 'KSh' },
  KRW: { exponent: 0, symbol: '₩' },
  INR: { exponent: 2, symbol: '₹' },
  NGN: { exponent: 2, symbol: '₦' },
  XOF: { exponent: 0, symbol: 'CFA' },
  USD: { exponent: 2, symbol: '$' },
} as const;

export type CurrencyCode = keyof typeof currencies;
export const currencyCodes = Object.keys(currencies) as CurrencyCode[];

export function isCurrencyCode(code: string): code is CurrencyCode {
  return Object.hasOwn(currencies, code);
}

/** The one constructor: an integer inside the guard, or an assertion failure. */
export function minor(value: number): MinorUnits {
  assert(Number.isSafeInteger(value), `money must be an integer count of minor units: ${value}`);
  assert(Math.abs(value) <= MAX_ABS_MINOR, `money out of range: ${value}`);
  return value as MinorUnits;
}

export const ZERO = minor(0);

/** Reads money from a message: the same guard as `minor`, as a schema. */
export const minorUnitsSchema = z
  .number()
  .int()
  .min(-MAX_ABS_MINOR)
  .max(MAX_ABS_MINOR)
  .brand<'MinorUnits'>();

/**
 * A sum of many amounts, as exact decimal digits of minor units: a total over any number of
 * facts within their limits, which may pass the range of a single amount. Parsed with BigInt.
 */
export const minorTotalSchema = z
  .string()
  .regex(/^-?\d{1,40}$/, 'must be a whole number of minor units');

export const currencySchema = z.enum(currencyCodes as [CurrencyCode, ...CurrencyCode[]]);

export function add(a: MinorUnits, b: MinorUnits): MinorUnits {
  return minor(a + b);
}

export function subtract(a: MinorUnits, b: MinorUnits): MinorUnits {
  return minor(a - b);
}

export function sum(amounts: readonly MinorUnits[]): MinorUnits {
  return amounts.reduce((total, amount) => add(total, amount), ZERO);
}

export function minOf(a: MinorUnits, b: MinorUnits): MinorUnits {
  return a < b ? a : b;
}

export type RoundingRule = 'half-up' | 'half-even' | 'truncate';

/** Divides exact integers and rounds once, by the rule given. The only rounding in money. */
export function roundQuotient(numerator: bigint, denominator: bigint, rule: RoundingRule): bigint {
  assert(denominator !== 0n, 'division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = n / d;
  const remainder = n % d;
  let magnitude = quotient;
  if (rule === 'half-up') {
    if (remainder * 2n >= d) magnitude += 1n;
  } else if (rule === 'half-even') {
    if (remainder * 2n > d || (remainder * 2n === d && quotient % 2n === 1n)) magnitude += 1n;
  }
  return negative ? -magnitude : magnitude;
}

export type ParseAmountError = 'amount-not-a-number' | 'amount-too-precise' | 'amount-too-large';

/**
 * Reads what a person typed ("1,250.5", "1250") as minor units of the currency. Only digits,
 * one decimal point and thousands commas are allowed; a sign is not: the screen decides what a
 * negative amount would mean, and none of ours takes one.
 */
export function parseAmount(
  text: string,
  currency: CurrencyCode,
): Result<MinorUnits, ParseAmountError> {
  const { exponent } = currencies[currency];
  const trimmed = text.trim();
  // Thousands commas are allowed only where they belong: "1,250.50", never "1,2,50".
  if (trimmed.includes(',') && !/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(trimmed))
    return err('amount-not-a-number');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed.replaceAll(',', ''));
  if (!match) return err('amount-not-a-number');
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.replace(/0+$/, '').length > exponent) return err('amount-too-precise');
  const digits = whole + fraction.padEnd(exponent, '0').slice(0, exponent);
  const value = BigInt(digits);
  if (value > BigInt(MAX_ABS_MINOR)) return err('amount-too-large');
  return ok(minor(Number(value)));
}

/**
 * Formats minor units for people: "1,250.50" (no symbol; the screen adds the currency). A total
 * (`minorTotalSchema`, as a bigint) formats the same way.
 */
export function formatAmount(amount: MinorUnits | bigint, currency: CurrencyCode): string {
  const { exponent } = currencies[currency];
  const negative = amount < 0;
  const digits = (negative ? -BigInt(amount) : BigInt(amount))
    .toString()
    .padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent) || '0';
  const fraction = digits.slice(digits.length - exponent);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (negative ? '-' : '') + grouped + (exponent > 0 ? '.' + fraction : '');
}

export function formatMoney(amount: MinorUnits | bigint, currency: CurrencyCode): string {
  return `${currency} ${formatAmount(amount, currency)}`;
}
