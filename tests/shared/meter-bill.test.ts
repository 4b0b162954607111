/**
 * Goal: bills from readings: a normal month, a register that rolled over, a meter replaced
 * mid-period, a month with no reading (estimated, and marked so), and the true-up at the next
 * real reading, which bills exactly the kWh used over both months.
 *
 * Method: worked examples under a flat tariff of KES 20.00 a kWh, so each total is kWh × 2,000.
 */
import { describe, expect, it } from 'vitest';
import { wh } from '../../shared/tariff/decimal.ts';
import { billFromReadings, estimatedBill } from '../../shared/tariff/meter-bill.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';

const parsed = parseTariff({
  id: 'flat-kes',
  version: 1,
  name: 'Flat',
  currency: 'KES',
  effectiveFrom: '2026-01-01',
  energy: [{ kind: 'flat', rate: '20.00' }],
});
if (!parsed.ok) throw new Error('tariff invalid');
const tariff = parsed.value;
const october = { period: { from: '2026-10-01', to: '2026-11-01' } };
const november = { period: { from: '2026-11-01', to: '2026-12-01' } };

describe('bills from meter readings', () => {
  it('bills the difference of two readings', () => {
    const result = billFromReadings(
      tariff,
      { previous: 4_210, current: 4_345, digits: 5 },
      october,
    );
    expect(
      result.ok && [result.value.usageKwh, result.value.bill.totalMinor, result.value.estimated],
    ).toEqual(['135', 270_000, false]);
  });

  it('bills across a register that rolled over', () => {
    const result = billFromReadings(tariff, { previous: 99_940, current: 25, digits: 5 }, october);
    expect(result.ok && result.value.usageKwh).toBe('85');
  });

  it('bills across a replaced meter: the old meter’s part plus the new one’s', () => {
    const result = billFromReadings(
      tariff,
      {
        previous: 7_000,
        current: 40,
        digits: 6,
        replacement: { oldFinal: 7_060, oldDigits: 5, newInitial: 0 },
      },
      october,
    );
    expect(result.ok && result.value.usageKwh).toBe('100');
  });

  it('refuses readings that went backwards, naming the readings', () => {
    expect(
      billFromReadings(tariff, { previous: 5_000, current: 4_000, digits: 5 }, october),
    ).toMatchObject({
      ok: false,
      error: { error: 'reading-went-backwards', field: 'readings' },
    });
  });

  it('estimates a month with no reading, marks it estimated, and trues it up at the next reading', () => {
    const estimate = estimatedBill(tariff, [{ wh: wh(120_000), days: 30 }], 31, october);
    expect(estimate.ok && [estimate.value.estimated, estimate.value.usageKwh]).toEqual([
      true,
      '124',
    ]);
    // Two months really used 4,345 − 4,100 = 245 kWh; 124 were billed as the estimate.
    const actual = billFromReadings(
      tariff,
      { previous: 4_100, current: 4_345, digits: 5, estimatedSinceKwh: wh(124_000) },
      november,
    );
    expect(
      actual.ok && [actual.value.usageKwh, actual.value.bill.totalMinor, actual.value.carriedKwh],
    ).toEqual(['121', 242_000, '0']);
  });

  it('carries an over-estimate instead of billing negative kWh', () => {
    const actual = billFromReadings(
      tariff,
      { previous: 4_100, current: 4_200, digits: 5, estimatedSinceKwh: wh(130_000) },
      november,
    );
    expect(actual.ok && [actual.value.usageKwh, actual.value.carriedKwh]).toEqual(['0', '30']);
  });
});
