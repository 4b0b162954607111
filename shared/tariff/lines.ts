/**
 * The lines of a computed bill. Every line says what it is; energy lines carry the kWh and
 * the price they were charged at, so a receipt can print "kWh at each price". A line's
 * amount is rounded once, by the rule named on the line; the total is the sum of the lines.
 *
 * Each line is worked out exactly first (`PricedLine`, inside the engine). A tariff whose
 * `lineAmounts` is "rounded" (the default) counts each line at its rounded amount, as most
 * printed bills do. One whose `lineAmounts` is "exact" counts each line at its exact amount
 * (`exactMinor`), shows it rounded in `amountMinor` only for display, and rounds the bill once,
 * at the total; a "rounding" line then shows any difference, so the lines still add up.
 */
import type { CurrencyCode, MinorUnits, RoundingRule } from '../money.ts';
import { assert } from '../assert.ts';
import { exactOf, exactText, roundExact, type Exact } from './exact.ts';
import type { LineAmounts } from './schema.ts';

export type LineKind =
  | 'energy'
  | 'allowance'
  | 'fixed'
  | 'per-kwh'
  | 'levy'
  | 'tax'
  | 'discount'
  | 'minimum'
  | 'late-fee'
  | 'rounding';

export interface BillLine {
  readonly id: string;
  readonly kind: LineKind;
  /** Its name in English, or as the tariff wrote it in one language (shared/tariff/line-names.ts). */
  readonly label: string;
  /** Its name in the other languages a bill is read in, where it differs. */
  readonly labels?: { readonly sw?: string; readonly zh?: string };
  /** kWh charged on this line, as a decimal string (energy, allowance, per-kWh lines). */
  readonly kwh?: string;
  /** The price per kWh, or the percent, as a decimal string. */
  readonly rate?: string;
  /** The amount rounded once by `rounding`; for a tariff with exact lines, for display only. */
  readonly amountMinor: MinorUnits;
  /**
   * Only for a tariff with exact lines: the line's exact amount in minor units, as a decimal
   * ("8789.4"), or as a fraction ("15000/31") when shared out by days. The API's line schema
   * does not carry it; a receipt that prints lines unrounded reads it from the engine.
   */
  readonly exactMinor?: string;
  readonly rounding: RoundingRule;
}

/** A line while the bill is made, with the exact amount it counts for in later bases and the total. */
export interface PricedLine {
  readonly line: BillLine;
  readonly exact: Exact;
}

/**
 * What an amount counts for on a bill of this tariff: itself when lines are exact, otherwise
 * the amount rounded once by the rule (to a multiple of `quantum` minor units).
 */
export function counted(
  value: Exact,
  rule: RoundingRule,
  lineAmounts: LineAmounts,
  quantum = 1,
): Exact {
  if (lineAmounts === 'exact') {
    // The schema refuses a quantum on a tariff with exact lines: it would round a line.
    assert(quantum === 1, 'a line of a tariff with exact lines cannot be rounded to a quantum');
    return value;
  }
  return exactOf(roundExact(value, rule, quantum));
}

/** A line of a tariff from its exact amount: see `counted` for what it counts for. */
export function priceLine(
  fields: Omit<BillLine, 'amountMinor' | 'exactMinor'>,
  value: Exact,
  lineAmounts: LineAmounts,
  quantum = 1,
): PricedLine {
  const worth = counted(value, fields.rounding, lineAmounts, quantum);
  const amountMinor = roundExact(worth, fields.rounding, quantum);
  if (lineAmounts === 'rounded') return { line: { ...fields, amountMinor }, exact: worth };
  return { line: { ...fields, amountMinor, exactMinor: exactText(worth) }, exact: worth };
}

export interface BillResult {
  readonly tariffId: string;
  readonly tariffVersions: readonly number[];
  readonly currency: CurrencyCode;
  readonly period: { readonly from: string; readonly to: string };
  readonly energyKwh: string;
  readonly lines: readonly BillLine[];
  readonly totalMinor: MinorUnits;
  /** For annual tiers: kWh still left at the first-tier price this year, after this bill. */
  readonly firstTierKwhLeftThisYear?: string;
}

export type BillError =
  | 'no-tariff-in-effect'
  | 'kwh-required'
  | 'registers-required'
  | 'unknown-register'
  | 'prior-usage-required'
  | 'history-required'
  | 'no-rate-for-month'
  | 'currency-mismatch'
  | 'amount-out-of-range';

export interface BillFailure {
  readonly error: BillError;
  readonly field: string;
  readonly message: string;
}
