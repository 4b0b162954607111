/**
 * Goal: a prepaid purchase buys what the tariff says, in 0.1 kWh steps, and keeps the rest as
 * credit; tiers advance through the month across purchases; the late fee starts after the
 * grace days and is a named percentage of what is still owed.
 *
 * Method: worked examples whose arithmetic is written out beside them.
 */
import { describe, expect, it } from 'vitest';
import { minor } from '../../shared/money.ts';
import { lateFee } from '../../shared/tariff/late-fee.ts';
import { energyForMoney } from '../../shared/tariff/prepaid.ts';
import type { TariffDocument } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';

const document: TariffDocument = {
  id: 'prepaid-kes',
  version: 1,
  name: 'Prepaid domestic',
  currency: 'KES',
  effectiveFrom: '2026-01-01',
  energy: [
    {
      kind: 'blocks',
      period: 'month',
      blocks: [
        { upToKwh: 30, rate: '12.24' },
        { upToKwh: null, rate: '16.58' },
      ],
    },
  ],
  charges: [
    { kind: 'fixed', id: 'fixed', amount: '150' },
    { kind: 'per-kwh', id: 'fuel', rate: '3.59' },
    { kind: 'percentage', id: 'vat', group: 'tax', percent: '16', of: ['energy', 'fuel'] },
  ],
  lateFee: { percent: '2.5', graceDays: 14 },
};
const parsed = parseTariff(document);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
const tariff = parsed.value;
const november = { period: { from: '2026-11-01', to: '2026-12-01' } };

describe('prepaid energy for money', () => {
  it('sells the most 0.1 kWh steps the money covers, fixed charges aside, and keeps the rest', () => {
    // 20 kWh: energy 244.80, fuel 71.80, VAT 16 % of 316.60 = 50.66: 367.26 for KES 400.
    // 21.8 kWh costs 400.31, over; 21.7 kWh: 265.61 + 77.90 + 54.96 = 398.47.
    const purchase = energyForMoney(tariff, minor(40_000), november);
    expect(
      purchase.ok && {
        kwh: purchase.value.kwh,
        cost: purchase.value.costMinor,
        credit: purchase.value.creditMinor,
      },
    ).toEqual({
      kwh: '21.7',
      cost: 39_847,
      credit: 153,
    });
  });

  it('prices a later purchase in the same month further up the tiers', () => {
    const first = energyForMoney(tariff, minor(40_000), { ...november, boughtKwh: 0 });
    const later = energyForMoney(tariff, minor(40_000), { ...november, boughtKwh: 30 });
    if (!first.ok || !later.ok) throw new Error('purchase failed');
    expect(Number(later.value.kwh)).toBeLessThan(Number(first.value.kwh));
    // Above 30 kWh each kWh costs (16.58 + 3.59) × 1.16 = 23.3972: KES 400 buys 17.0 kWh.
    expect(later.value.kwh).toBe('17');
  });

  it('refuses a purchase of nothing', () => {
    expect(energyForMoney(tariff, minor(0), november)).toMatchObject({
      ok: false,
      error: { error: 'amount-must-be-positive' },
    });
  });
});

describe('late-payment surcharge', () => {
  it('is nothing within the grace days and 2.5 % of what is owed after them', () => {
    expect(lateFee(tariff, minor(120_000), '2026-11-15', '2026-11-29')).toBeUndefined();
    expect(lateFee(tariff, minor(120_000), '2026-11-15', '2026-11-30')).toMatchObject({
      kind: 'late-fee',
      amountMinor: 3_000,
      rate: '2.5',
    });
    expect(lateFee(tariff, minor(0), '2026-11-15', '2027-01-30')).toBeUndefined();
  });
});
