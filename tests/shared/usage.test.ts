/**
 * Goal: what the customer screen tells a customer about their use (issue 13, item 3) holds for
 * any history: kWh by month share each period's kWh without losing or inventing any; the rate
 * of use is read back from readings made at a steady rate; the first tier's outlook adds up;
 * a prepaid meter's estimated credit never exceeds what was bought nor goes below empty, and
 * more bought never means fewer days; advice names a saving only where the customer passes the
 * first tier, and the saving is what the tariff says using less would save.
 *
 * Method: fast-check over histories of readings, bills and purchases; the demo tariff (a
 * monthly lifeline tier of 30 kWh, then charges and taxes) prices them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoTariff } from '../../hub/demo/tariff.ts';
import {
  addDays,
  adviceFor,
  billFor,
  creditOutlook,
  dailyRate,
  daysBetween,
  monthsBefore,
  monthStart,
  MONTH_KNOWN_SHARE,
  periodsOfReadings,
  PEAK_PERCENT,
  tierOutlook,
  usageByMonth,
  type MonthUsage,
} from '../../shared/usage.ts';

/** The value, or the test fails here: for what a step before made sure of. */
function sure<T>(value: T | undefined | null): T {
  if (value === undefined || value === null) throw new Error('expected a value');
  return value;
}

const day = fc.integer({ min: 0, max: 2_000 }).map((offset) => addDays('2022-01-01', offset));

/** Readings at steady gaps, each adding a random use. */
const readings = fc
  .record({
    start: day,
    register: fc.integer({ min: 0, max: 90_000 }),
    steps: fc.array(
      fc.record({ days: fc.integer({ min: 1, max: 62 }), kwh: fc.integer({ min: 0, max: 900 }) }),
      { minLength: 1, maxLength: 14 },
    ),
  })
  .map(({ start, register, steps }) => {
    const out = [{ readOn: start, registerKwh: register }];
    for (const step of steps) {
      const last = sure(out.at(-1));
      out.push({
        readOn: addDays(last.readOn, step.days),
        registerKwh: last.registerKwh + step.kwh,
      });
    }
    return out;
  });

describe('a customer’s use', () => {
  it('kWh by month: readings on the first of each month give each month its own kWh; a month barely covered is unknown', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 1, maxLength: 14 }),
        (offset, used) => {
          const start = monthStart('2022-01-01', offset);
          const history = [{ readOn: start, registerKwh: 100 }];
          used.forEach((kwh, i) =>
            history.push({
              readOn: monthStart(start, i + 1),
              registerKwh: sure(history.at(-1)).registerKwh + kwh,
            }),
          );
          const months = Array.from({ length: used.length + 2 }, (_, i) =>
            monthStart(start, i - 1).slice(0, 7),
          );
          const byMonth = usageByMonth(periodsOfReadings(history), months);
          expect(byMonth.map((m) => m.kwh)).toEqual([null, ...used, null]);
        },
      ),
    );
    fc.assert(
      fc.property(readings, (history) => {
        const periods = periodsOfReadings(history);
        const first = sure(history[0]).readOn;
        const months: string[] = [];
        for (let m = monthStart(first, -1); m <= monthStart(first, 30); m = monthStart(m, 1))
          months.push(m.slice(0, 7));
        for (const month of usageByMonth(periods, months)) {
          const from = `${month.month}-01`;
          const to = monthStart(from, 1);
          const covered = periods.reduce((days, p) => {
            const overlap = daysBetween(
              p.period.from > from ? p.period.from : from,
              p.period.to < to ? p.period.to : to,
            );
            return days + Math.max(0, overlap);
          }, 0);
          // Known exactly when most of the month is covered; never negative.
          expect(month.kwh !== null).toBe(covered >= daysBetween(from, to) * MONTH_KNOWN_SHARE);
          if (month.kwh !== null) expect(month.kwh).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('the rate of use of readings made at a steady rate is that rate; too short a span has none', () => {
    fc.assert(
      fc.property(
        day,
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 7, max: 40 }), { minLength: 1, maxLength: 4 }),
        (start, perDay, gaps) => {
          let readOn = start;
          let register = 500;
          const history = [{ readOn, registerKwh: register }];
          for (const gap of gaps) {
            readOn = addDays(readOn, gap);
            register += gap * perDay;
            history.push({ readOn, registerKwh: register });
          }
          expect(dailyRate(history)).toBeCloseTo(perDay, 9);
          expect(
            dailyRate([sure(history[0]), { readOn: addDays(start, 6), registerKwh: 900 }]),
          ).toBeNull();
          // A register that went back (a new meter) gives no rate.
          expect(
            dailyRate([
              { readOn: start, registerKwh: 900 },
              { readOn: readOn, registerKwh: 10 },
            ]),
          ).toBeNull();
        },
      ),
    );
  });

  it('the first tier’s outlook: what is used and what is left make the tier, and it runs out inside its period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.option(fc.double({ min: 0.01, max: 50, noNaN: true })),
        day,
        (used, rate, today) => {
          const periodEnds = monthStart(today, 1);
          const outlook = tierOutlook({
            tariff: demoTariff,
            usedKwh: used,
            ratePerDay: rate,
            today,
            periodEnds,
          });
          expect(outlook?.firstTierKwh).toBe(30);
          expect(sure(outlook).leftKwh).toBe(Math.max(0, 30 - used));
          const reachedOn = sure(outlook).reachedOn;
          if (reachedOn !== null) {
            expect(reachedOn > today).toBe(true);
            expect(reachedOn < periodEnds).toBe(true);
          }
          if (used >= 30) expect(sure(outlook).reachedOn).toBeNull();
        },
      ),
    );
  });

  it('a prepaid meter’s credit is never below empty nor above what was bought, and buying more never shortens it', () => {
    const purchases = fc.array(
      fc.record({ on: day, energyWh: fc.integer({ min: 100, max: 200_000 }) }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(
        purchases,
        fc.double({ min: 0.1, max: 40, noNaN: true }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 100, max: 50_000 }),
        (bought, rate, after, more) => {
          const latest = bought.reduce((a, b) => (b.on > a.on ? b : a)).on;
          const today = addDays(latest, after);
          const outlook = sure(creditOutlook(bought, rate, today));
          const total = bought.reduce((sum, p) => sum + p.energyWh, 0) / 1000;
          expect(outlook.creditKwh).toBeGreaterThanOrEqual(0);
          expect(outlook.creditKwh).toBeLessThanOrEqual(total + 0.05);
          expect(outlook.days * rate).toBeLessThanOrEqual(outlook.creditKwh + 0.05 + rate);
          expect(daysBetween(today, outlook.runsOutOn)).toBe(outlook.days);
          const withMore = sure(
            creditOutlook([...bought, { on: today, energyWh: more }], rate, today),
          );
          expect(withMore.days).toBeGreaterThanOrEqual(outlook.days);
        },
      ),
    );
    expect(creditOutlook([], 3, '2026-12-07')).toBeUndefined();
    expect(
      creditOutlook([{ on: '2026-12-01', energyWh: 1000 }], null, '2026-12-07'),
    ).toBeUndefined();
  });

  it('advice names a saving only past the first tier, the saving the tariff gives for using less', () => {
    const today = '2026-12-07';
    const months = monthsBefore(today, 12);
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }), {
          minLength: 12,
          maxLength: 12,
        }),
        (kwhs) => {
          const history: MonthUsage[] = months.map((month, i) => ({ month, kwh: kwhs[i] ?? null }));
          const known = kwhs.filter((k): k is number => k !== null).sort((a, b) => a - b);
          const advice = adviceFor({ months: history, tariff: demoTariff, today });
          if (known.length < 3) {
            expect(advice).toEqual([]);
            return;
          }
          const above = advice.find((a) => a.kind === 'above-first-tier');
          const within = advice.find((a) => a.kind === 'within-first-tier');
          expect(Boolean(above) !== Boolean(within)).toBe(true);
          const usual = sure(above ?? within).usualKwh;
          expect(usual > 30).toBe(Boolean(above));
          if (above?.kind === 'above-first-tier') {
            const period = { from: '2026-12-01', to: '2027-01-01' };
            const now = sure(billFor([demoTariff], demoTariff.id, period, usual));
            const less = sure(billFor([demoTariff], demoTariff.id, period, usual - above.cutKwh));
            expect(above.saveMinor).toBe(now - less);
            expect(above.saveMinor).toBeGreaterThan(0);
            expect(above.priceAboveMinor).toBeGreaterThan(above.priceInTierMinor);
          }
          const peak = advice.find((a) => a.kind === 'peak-month');
          if (peak?.kind === 'peak-month') {
            expect(peak.kwh).toBe(known[known.length - 1]);
            expect(peak.percent).toBeGreaterThanOrEqual(PEAK_PERCENT);
            expect(peak.extraMinor).toBeGreaterThan(0);
          } else if (usual > 0) {
            expect(((sure(known.at(-1)) - usual) * 100) / usual).toBeLessThan(PEAK_PERCENT + 0.5);
          }
        },
      ),
    );
  });
});
