/**
 * Exact decimals for tariff rates and energy. A rate is a decimal number of major currency
 * units (per kWh, or a percentage) held as an integer count of 10⁻⁹, so every published rate
 * with up to nine decimal places is exact. Energy is held in watt-hours (kWh to three
 * decimal places). Neither is ever a float; both are read from decimal strings.
 */
import { assert } from '../assert.ts';
import {
  currencies,
  roundQuotient,
  type CurrencyCode,
  type MinorUnits,
  type RoundingRule,
} from '../money.ts';
import { billMinor, exact, type Exact } from './exact.ts';

export const RATE_DIGITS = 9;
export const RATE_SCALE = 10n ** BigInt(RATE_DIGITS);

/** A decimal rate in units of 10⁻⁹ (of a major currency unit, or of one, or of a percent). */
export type Rate = bigint & { readonly __brand: 'Rate' };

/** Energy in watt-hours: kWh with three decimal places, an integer. */
export type Wh = number & { readonly __brand: 'Wh' };

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Reads "0.4883" or "-12.5" as a Rate; undefined when it is not a plain decimal or too precise. */
export function parseRate(text: string): Rate | undefined {
  const match = decimalPattern.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole = '0', fraction = ''] = match;
  if (fraction.length > RATE_DIGITS) return undefined;
  const magnitude = BigInt(whole) * RATE_SCALE + BigInt(fraction.padEnd(RATE_DIGITS, '0'));
  return (sign === '-' ? -magnitude : magnitude) as Rate;
}

export function rate(text: string): Rate {
  const parsed = parseRate(text);
  assert(parsed !== undefined, `not a decimal rate: ${text}`);
  return parsed;
}

export function formatRate(value: Rate): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(RATE_DIGITS + 1, '0');
  const whole = digits.slice(0, -RATE_DIGITS);
  const fraction = digits.slice(-RATE_DIGITS).replace(/0+$/, '');
  return (negative ? '-' : '') + whole + (fraction ? '.' + fraction : '');
}

export function wh(value: number): Wh {
  assert(
    Number.isSafeInteger(value) && value >= 0,
    `energy must be a non-negative whole number of Wh: ${value}`,
  );
  return value as Wh;
}

/** Reads kWh given as a decimal string or number ("123.4", 123.4) with at most 3 decimals. */
export function parseKwh(value: string | number): Wh | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = /^(\d+)(?:\.(\d{1,3}))?$/.exec(text);
  if (!match) return undefined;
  const result = Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
  return Number.isSafeInteger(result) ? (result as Wh) : undefined;
}

export function kwhText(energy: Wh): string {
  const whole = Math.floor(energy / 1000);
  const fraction = String(energy % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Minor units per major unit of the currency, as a bigint. */
export function minorPerMajor(currency: CurrencyCode): bigint {
  return 10n ** BigInt(currencies[currency].exponent);
}

/** energy × rate (major units per kWh), exactly, in minor units. */
export function energyExact(energy: Wh, perKwh: Rate, currency: CurrencyCode): Exact {
  return exact(BigInt(energy) * perKwh * minorPerMajor(currency), 1000n * RATE_SCALE);
}

/** A fixed amount in major units, as a Rate, converted to minor units and rounded once. */
export function majorAmount(amount: Rate, currency: CurrencyCode, rule: RoundingRule): MinorUnits {
  return billMinor(roundQuotient(amount * minorPerMajor(currency), RATE_SCALE, rule));
}

/** percent % of base, rounded once. */
export function percentOf(base: MinorUnits, percent: Rate, rule: RoundingRule): MinorUnits {
  return billMinor(roundQuotient(BigInt(base) * percent, 100n * RATE_SCALE, rule));
}

/** amount × numerator / denominator, rounded once: proration by days. */
export function prorate(
  amount: MinorUnits,
  numerator: number,
  denominator: number,
  rule: RoundingRule,
): MinorUnits {
  assert(denominator > 0, 'proration over no days');
  return billMinor(roundQuotient(BigInt(amount) * BigInt(numerator), BigInt(denominator), rule));
}
