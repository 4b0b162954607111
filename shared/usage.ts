/**
 * A customer's use of energy, read from their own history: kWh by month, the recent rate of
 * use, where this month stands against the tariff's first tier, the next bill foreseen (for a
 * budget), the days a prepaid meter's credit lasts, and advice in the customer's own numbers.
 * Pure: the device computes it offline from what it holds, the same way for every account.
 */
import { subtract, type MinorUnits } from './money.ts';
import { computeBill } from './tariff/engine.ts';
import type { Tariff } from './tariff/schema.ts';

import { addDays, daysBetween, monthStart } from './days.ts';

export { addDays, daysBetween, monthStart };

export interface MeterReading {
  readonly readOn: string;
  readonly registerKwh: number;
}

export interface UsedPeriod {
  readonly period: { readonly from: string; readonly to: string };
  readonly kwh: number;
}

export interface MonthUsage {
  /** YYYY-MM. */
  readonly month: string;
  /** kWh used in the month, or null when nothing known covers it. */
  readonly kwh: number | null;
}

/** The `count` whole months before the month of `today`, oldest first, as YYYY-MM. */
export function monthsBefore(today: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => monthStart(today, i - count).slice(0, 7));
}

/** Periods of use between consecutive readings (a register that went back gives none). */
export function periodsOfReadings(readings: readonly MeterReading[]): UsedPeriod[] {
  const sorted = [...readings].sort((a, b) => (a.readOn < b.readOn ? -1 : 1));
  const periods: UsedPeriod[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1];
    const after = sorted[i];
    if (!before || !after || after.readOn <= before.readOn) continue;
    if (after.registerKwh < before.registerKwh) continue;
    periods.push({
      period: { from: before.readOn, to: after.readOn },
      kwh: after.registerKwh - before.registerKwh,
    });
  }
  return periods;
}

/** A month known for less than this share of its days is shown as unknown. */
export const MONTH_KNOWN_SHARE = 0.75;

/**
 * kWh by month: each period's kWh shared among the months it covers by days. A month periods
 * cover for less than MONTH_KNOWN_SHARE of its days is unknown (null), never a low bar or zero:
 * a customer with no bill that month did not use nothing. A month covered for most of its days
 * is scaled to the whole month.
 */
export function usageByMonth(
  periods: readonly UsedPeriod[],
  months: readonly string[],
): MonthUsage[] {
  return months.map((month) => {
    const from = `${month}-01`;
    const to = monthStart(from, 1);
    const monthDays = daysBetween(from, to);
    let kwh = 0;
    let coveredDays = 0;
    for (const used of periods) {
      const length = daysBetween(used.period.from, used.period.to);
      const start = used.period.from > from ? used.period.from : from;
      const end = used.period.to < to ? used.period.to : to;
      const overlap = daysBetween(start, end);
      if (length <= 0 || overlap <= 0) continue;
      coveredDays += overlap;
      kwh += (used.kwh * overlap) / length;
    }
    const covered = Math.min(coveredDays, monthDays);
    if (covered < monthDays * MONTH_KNOWN_SHARE) return { month, kwh: null };
    return { month, kwh: Math.round((kwh * monthDays) / covered) };
  });
}

/** The shortest span of readings a rate of use is read from, and the longest looked back. */
export const RATE_MIN_DAYS = 7;
export const RATE_MAX_DAYS = 120;

/**
 * kWh a day over the meter's latest readings (up to RATE_MAX_DAYS back from the last one), or
 * null when they span less than RATE_MIN_DAYS or the register went back (a replaced meter).
 */
export function dailyRate(readings: readonly MeterReading[]): number | null {
  const sorted = [...readings].sort((a, b) => (a.readOn < b.readOn ? -1 : 1));
  const last = sorted.at(-1);
  if (!last) return null;
  const first = sorted.find((r) => daysBetween(r.readOn, last.readOn) <= RATE_MAX_DAYS);
  if (!first) return null;
  const days = daysBetween(first.readOn, last.readOn);
  if (days < RATE_MIN_DAYS || last.registerKwh < first.registerKwh) return null;
  return (last.registerKwh - first.registerKwh) / days;
}

/** The version of a tariff in effect on a day, if the device holds one. */
export function versionOn(
  versions: readonly Tariff[],
  tariffId: string,
  day: string,
): Tariff | undefined {
  return versions
    .filter((v) => v.id === tariffId && v.effectiveFrom <= day)
    .sort((a, b) => b.version - a.version || (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0];
}

/** The kWh sold at the first tier's price, and whether the tier counts a bill's month or a year. */
export function firstTier(tariff: Tariff): { kwh: number; period: 'month' | 'year' } | undefined {
  for (const component of tariff.energy) {
    if (component.kind !== 'blocks') continue;
    const edge = component.blocks[0]?.upToKwh;
    return edge === null || edge === undefined
      ? undefined
      : { kwh: edge, period: component.period };
  }
  return undefined;
}

export interface TierOutlook {
  readonly period: 'month' | 'year';
  readonly firstTierKwh: number;
  /** kWh counted against the tier so far (estimated from the rate of use when not measured). */
  readonly usedKwh: number;
  readonly leftKwh: number;
  /** When the tier runs out at the recent rate of use, if it does before the period ends. */
  readonly reachedOn: string | null;
}

/**
 * Where the customer stands against the first tier today: `usedKwh` counted so far in the
 * tier's period (since the last reading for a monthly tier, since 1 January for a yearly one),
 * and the day the tier runs out at `ratePerDay`, within the period.
 */
export function tierOutlook(input: {
  readonly tariff: Tariff;
  readonly usedKwh: number;
  readonly ratePerDay: number | null;
  readonly today: string;
  readonly periodEnds: string;
}): TierOutlook | undefined {
  const tier = firstTier(input.tariff);
  if (!tier) return undefined;
  const usedKwh = Math.max(0, Math.round(input.usedKwh));
  const leftKwh = Math.max(0, tier.kwh - usedKwh);
  const ends =
    tier.period === 'year' ? `${Number(input.today.slice(0, 4)) + 1}-01-01` : input.periodEnds;
  let reachedOn: string | null = null;
  if (leftKwh > 0 && input.ratePerDay !== null && input.ratePerDay > 0) {
    const day = addDays(input.today, Math.ceil(leftKwh / input.ratePerDay));
    if (day < ends) reachedOn = day;
  }
  return { period: tier.period, firstTierKwh: tier.kwh, usedKwh, leftKwh, reachedOn };
}

/** The bill for `kwh` over a period by the versions held, or undefined when it cannot be priced. */
export function billFor(
  versions: readonly Tariff[],
  tariffId: string,
  period: { from: string; to: string },
  kwh: number,
): MinorUnits | undefined {
  const inEffect = versions.filter((v) => v.id === tariffId && v.effectiveFrom < period.to);
  if (!inEffect.some((v) => v.effectiveFrom <= period.from)) return undefined;
  const bill = computeBill(inEffect, { period, kwh: Math.max(0, Math.round(kwh)) });
  return bill.ok ? bill.value.totalMinor : undefined;
}

export interface Foreseen {
  readonly period: { readonly from: string; readonly to: string };
  readonly kwh: number;
  readonly amountMinor: MinorUnits;
}

/**
 * This month's bill foreseen: the calendar month of `today` at the recent rate of use, priced
 * by the tariff: a month's bill, to compare with a monthly budget whatever the reading dates.
 */
export function foreseenBill(input: {
  readonly versions: readonly Tariff[];
  readonly tariffId: string;
  readonly ratePerDay: number | null;
  readonly today: string;
}): Foreseen | undefined {
  if (input.ratePerDay === null) return undefined;
  const period = { from: monthStart(input.today), to: monthStart(input.today, 1) };
  const kwh = Math.round(input.ratePerDay * daysBetween(period.from, period.to));
  const amountMinor = billFor(input.versions, input.tariffId, period, kwh);
  return amountMinor === undefined ? undefined : { period, kwh, amountMinor };
}

export interface CreditOutlook {
  /** kWh estimated left on the meter today. */
  readonly creditKwh: number;
  /** Whole days it lasts at the recent rate. */
  readonly days: number;
  readonly runsOutOn: string;
}

/**
 * A prepaid meter's credit today, estimated as a bucket: each purchase adds its energy, each
 * day takes the recent rate of use, the bucket never below empty (a meter out of credit uses
 * nothing). The first purchase known starts from empty. Undefined with no purchase or no rate.
 */
export function creditOutlook(
  purchases: readonly { readonly on: string; readonly energyWh: number }[],
  ratePerDay: number | null,
  today: string,
): CreditOutlook | undefined {
  if (ratePerDay === null || ratePerDay <= 0 || purchases.length === 0) return undefined;
  const sorted = [...purchases].sort((a, b) => (a.on < b.on ? -1 : 1));
  let credit = 0;
  let day = sorted[0]?.on ?? today;
  for (const purchase of sorted) {
    if (purchase.on > today) break;
    credit = Math.max(0, credit - ratePerDay * Math.max(0, daysBetween(day, purchase.on)));
    credit += purchase.energyWh / 1000;
    day = purchase.on;
  }
  credit = Math.max(0, credit - ratePerDay * Math.max(0, daysBetween(day, today)));
  const days = Math.floor(credit / ratePerDay);
  return { creditKwh: Math.round(credit * 10) / 10, days, runsOutOn: addDays(today, days) };
}

/** Advice from the customer's own months and the tariff's edges, to be put in plain words. */
export type Advice =
  | {
      /** The usual month passes the first tier: what using less would save. */
      readonly kind: 'above-first-tier';
      readonly usualKwh: number;
      readonly firstTierKwh: number;
      readonly priceInTierMinor: MinorUnits;
      readonly priceAboveMinor: MinorUnits;
      readonly cutKwh: number;
      readonly saveMinor: MinorUnits;
    }
  | {
      /** The usual month stays within the first tier: staying under it keeps the low price. */
      readonly kind: 'within-first-tier';
      readonly usualKwh: number;
      readonly firstTierKwh: number;
      readonly priceAboveMinor: MinorUnits;
    }
  | {
      /** No tier: what each kWh costs all in, and what a kWh a day less saves. */
      readonly kind: 'each-kwh';
      readonly priceMinor: MinorUnits;
      readonly saveMinor: MinorUnits;
    }
  | {
      /** One month stood far above the usual: what it cost over a usual month. */
      readonly kind: 'peak-month';
      readonly month: string;
      readonly kwh: number;
      readonly usualKwh: number;
      readonly percent: number;
      readonly extraMinor: MinorUnits;
    }
  | {
      /** The last three months rose well above the three before. */
      readonly kind: 'rising';
      readonly recentKwh: number;
      readonly earlierKwh: number;
      readonly percent: number;
    };

/** A month's use this much above the usual (in %) is a peak; three months this much, a rise. */
export const PEAK_PERCENT = 40;
export const RISE_PERCENT = 25;
/** The cut advised: a kWh a day. */
const CUT_KWH = 30;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 === 1
      ? sorted[middle]
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return Math.round(value ?? 0);
}

const average = (values: readonly number[]) =>
  Math.round(values.reduce((a, b) => a + b, 0) / values.length);

/**
 * Advice for a customer with at least three known months: their usual month (the median) against
 * the first tier's edge, priced all in by the tariff (charges and taxes included), and months
 * that stood out. Nothing generic: every item carries the customer's own figures.
 */
export function adviceFor(input: {
  readonly months: readonly MonthUsage[];
  readonly tariff: Tariff;
  readonly today: string;
}): Advice[] {
  const known = input.months.filter((m): m is { month: string; kwh: number } => m.kwh !== null);
  if (known.length < 3) return [];
  const period = { from: monthStart(input.today), to: monthStart(input.today, 1) };
  const price = (kwh: number) => billFor([input.tariff], input.tariff.id, period, kwh);
  const marginal = (kwh: number) => {
    const above = price(kwh + 1);
    const at = price(kwh);
    return above === undefined || at === undefined ? undefined : subtract(above, at);
  };
  const usualKwh = median(known.map((m) => m.kwh));
  const advice: Advice[] = [];
  const tier = firstTier(input.tariff);
  if (tier?.period === 'month') {
    const priceInTier = marginal(Math.max(0, tier.kwh - 1));
    const priceAbove = marginal(tier.kwh);
    if (priceInTier !== undefined && priceAbove !== undefined) {
      if (usualKwh > tier.kwh) {
        const cutKwh = Math.min(CUT_KWH, usualKwh - tier.kwh);
        const now = price(usualKwh);
        const less = price(usualKwh - cutKwh);
        if (now !== undefined && less !== undefined)
          advice.push({
            kind: 'above-first-tier',
            usualKwh,
            firstTierKwh: tier.kwh,
            priceInTierMinor: priceInTier,
            priceAboveMinor: priceAbove,
            cutKwh,
            saveMinor: subtract(now, less),
          });
      } else
        advice.push({
          kind: 'within-first-tier',
          usualKwh,
          firstTierKwh: tier.kwh,
          priceAboveMinor: priceAbove,
        });
    }
  } else {
    const each = marginal(usualKwh);
    const now = price(usualKwh);
    const less = price(Math.max(0, usualKwh - CUT_KWH));
    if (each !== undefined && now !== undefined && less !== undefined)
      advice.push({ kind: 'each-kwh', priceMinor: each, saveMinor: subtract(now, less) });
  }
  const peak = known.reduce((a, b) => (b.kwh > a.kwh ? b : a));
  const peakPercent = usualKwh > 0 ? Math.round(((peak.kwh - usualKwh) * 100) / usualKwh) : 0;
  if (usualKwh > 0 && peakPercent >= PEAK_PERCENT) {
    const at = price(peak.kwh);
    const usual = price(usualKwh);
    if (at !== undefined && usual !== undefined)
      advice.push({
        kind: 'peak-month',
        month: peak.month,
        kwh: peak.kwh,
        usualKwh,
        percent: peakPercent,
        extraMinor: subtract(at, usual),
      });
  }
  if (known.length >= 6) {
    const recentKwh = average(known.slice(-3).map((m) => m.kwh));
    const earlierKwh = average(known.slice(-6, -3).map((m) => m.kwh));
    const percent = earlierKwh > 0 ? Math.round(((recentKwh - earlierKwh) * 100) / earlierKwh) : 0;
    if (earlierKwh > 0 && percent >= RISE_PERCENT)
      advice.push({ kind: 'rising', recentKwh, earlierKwh, percent });
  }
  return advice;
}
