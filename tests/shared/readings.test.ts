/**
 * Goal: usage from meter readings is right across rollovers and meter replacements, a reading
 * that went backwards is refused rather than billed, and estimates are trued up so that over
 * an estimate and its true-up the customer is billed exactly the kWh really used.
 *
 * Method: table tests for named cases; fast-check properties against simple arithmetic models.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  estimateUsage,
  registerUsage,
  trueUp,
  usageAcrossReplacement,
} from '../../shared/readings.ts';
import { wh } from '../../shared/tariff/decimal.ts';

describe('usage between two readings', () => {
  it.each([
    [{ from: 1200, to: 1450, digits: 5 }, 250_000, false],
    [{ from: '99950.5', to: '120.25', digits: 5 }, 169_750, true],
    [{ from: 999_990, to: 5, digits: 6 }, 15_000, true],
    [{ from: 300, to: 300, digits: 4 }, 0, false],
  ])('%o gives %i Wh (rolled over: %s)', (range, expected, rolledOver) => {
    expect(registerUsage(range)).toEqual({ ok: true, value: { wh: expected, rolledOver } });
  });

  it('refuses a reading far below the last one as a reading that went backwards, not a rollover', () => {
    expect(registerUsage({ from: 5000, to: 4990, digits: 5 })).toEqual({
      ok: false,
      error: 'reading-went-backwards',
    });
  });

  it('refuses readings that are not numbers or do not fit the register', () => {
    expect(registerUsage({ from: 'abc', to: 10, digits: 5 })).toEqual({
      ok: false,
      error: 'reading-not-a-number',
    });
    expect(registerUsage({ from: 100_000, to: 10, digits: 5 })).toEqual({
      ok: false,
      error: 'reading-not-a-number',
    });
    expect(registerUsage({ from: 1, to: 2, digits: 12 })).toEqual({
      ok: false,
      error: 'digits-out-of-range',
    });
  });

  it('across any rollover, usage is the difference modulo the register range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 7 }), fc.nat(), fc.nat(), (digits, start, used) => {
        const capacity = 10 ** digits * 1000;
        const from = start % capacity;
        const usage = used % Math.floor(capacity / 2);
        const to = (from + usage) % capacity;
        const result = registerUsage({
          from: (from / 1000).toFixed(3),
          to: (to / 1000).toFixed(3),
          digits,
        });
        expect(result).toEqual({ ok: true, value: { wh: usage, rolledOver: to < from } });
      }),
    );
  });

  it('a meter replaced in the period bills the old meter up to removal plus the new one from fitting', () => {
    const usage = usageAcrossReplacement(4_820, 37, 5, {
      oldFinal: 4_905,
      oldDigits: 5,
      newInitial: 2,
    });
    expect(usage).toEqual({ ok: true, value: 120_000 });
    expect(
      usageAcrossReplacement(4_820, 37, 5, { oldFinal: 4_700, oldDigits: 5, newInitial: 2 }),
    ).toEqual({
      ok: false,
      error: 'reading-went-backwards',
    });
  });
});

describe('estimates and true-up', () => {
  it('estimates from the customer’s own daily average, in whole kWh', () => {
    const history = [
      { wh: wh(93_000), days: 31 },
      { wh: wh(90_000), days: 30 },
    ];
    expect(estimateUsage(history, 30)).toBe(90_000);
    expect(estimateUsage([], 30)).toBe(0);
  });

  it('over estimates and their true-up the kWh billed equal the kWh used, and none is billed negative', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 3_000_000 }),
        (estimates, actual) => {
          const estimated = estimates.reduce((a, b) => a + b, 0);
          const result = trueUp(wh(actual), wh(estimated));
          expect(result.billWh).toBeGreaterThanOrEqual(0);
          expect(estimated + result.billWh - result.carriedWh).toBe(actual);
        },
      ),
    );
  });
});
