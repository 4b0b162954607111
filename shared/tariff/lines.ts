/**
 * The lines of a computed bill. Every line says what it is; energy lines carry the kWh and
 * the price they were charged at, so a receipt can print "kWh at each price". A line's
 * amount is rounded once, by the rule named on the line; the total is the sum of the lines.
 */
import type { CurrencyCode, MinorUnits, RoundingRule } from '../money.ts';

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
  readonly label: string;
  /** kWh charged on this line, as a decimal string (energy, allowance, per-kWh lines). */
  readonly kwh?: string;
  /** The price per kWh, or the percent, as a decimal string. */
  readonly rate?: string;
  readonly amountMinor: MinorUnits;
  readonly rounding: RoundingRule;
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
  | 'currency-mismatch';

export interface BillFailure {
  readonly error: BillError;
  readonly field: string;
  readonly message: string;
}
