/**
 * Goal: a tariff with `lineAmounts: "exact"` is billed as utilities that print unrounded lines
 * bill: every line keeps its exact amount, later bases (VAT, levies, minimums) take exact
 * amounts, and the bill is rounded once, at the total, by the tariff's rule, with a total
 * quantum still applied on top. The lines shown (rounded for display) always add up to the
 * total, through a rounding line when they would not. A tariff without the option bills
 * exactly as before.
 *
 * Method: table tests whose rates were chosen so that rounding once differs from rounding each
 * line, each worked by hand in its comment. The properties over generated tariffs are in
 * tariff-rounding-properties.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RoundingRule } from '../../shared/money.ts';
import type { BillResult } from '../../shared/tariff/lines.ts';
import type { TariffDocument } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import { billOf } from '../support/tariffs.ts';

const period = { from: '2026-10-01', to: '2026-11-01' };

function amounts(result: BillResult): Record<string, number> {
  return Object.fromEntries(result.lines.map((line) => [line.id, line.amountMinor]));
}

function exacts(result: BillResult): Record<string, string | undefined> {
  return Object.fromEntries(result.lines.map((line) => [line.id, line.exactMinor]));
}

/** USD blocks with VAT on energy: the example of docs/tariffs.md, at 81 kWh. */
const blocksWithVat = (lineAmounts?: 'rounded' | 'exact'): TariffDocument => ({
  id: 'exact-blocks-usd',
  version: 1,
  name: 'Blocks with VAT',
  currency: 'USD',
  effectiveFrom: '2026-01-01',
  ...(lineAmounts === undefined ? {} : { lineAmounts }),
  energy: [
    {
      kind: 'blocks',
      period: 'month',
      blocks: [
        { upToKwh: 50, rate: '0.1237' },
        { upToKwh: null, rate: '0.1421' },
      ],
    },
  ],
  charges: [{ kind: 'percentage', id: 'vat', group: 'tax', percent: '16', of: ['energy'] }],
});

/** Two registers whose exact amounts are 1000.25 and 500.25 cents of KES. */
const twoRegisters = (rounding: RoundingRule): TariffDocument => ({
  id: 'exact-tie-kes',
  version: 1,
  name: 'Tie at the total',
  currency: 'KES',
  effectiveFrom: '2026-01-01',
  rounding,
  lineAmounts: 'exact',
  energy: [
    {
      kind: 'time-of-use',
      periods: [
        { register: 'peak', rate: '10.0025' },
        { register: 'valley', rate: '5.0025' },
      ],
    },
  ],
});

describe('tariffs with exact lines: rounded once, at the total', () => {
  it('rounding once gives less than rounding each line, and a rounding line closes the gap', () => {
    // 50 × 0.1237 = 6.185 and 31 × 0.1421 = 4.4051; VAT 16 % of 10.5901 = 1.694416; the total
    // 12.284516 rounds to 12.28. Rounded line by line: 6.19 + 4.41, VAT 1.696 → 1.70, 12.30.
    const usage = { period, kwh: 81 };
    const exact = billOf(blocksWithVat('exact'), usage);
    expect(exacts(exact)).toEqual({
      'energy-block-1': '618.5',
      'energy-block-2': '440.51',
      vat: '169.4416',
      'line-rounding': undefined,
    });
    expect(amounts(exact)).toEqual({
      'energy-block-1': 619,
      'energy-block-2': 441,
      vat: 169,
      'line-rounding': -1,
    });
    expect(exact.lines.find((line) => line.id === 'line-rounding')?.kind).toBe('rounding');
    expect(exact.totalMinor).toBe(1228);
    expect(billOf(blocksWithVat('rounded'), usage).totalMinor).toBe(1230);
  });

  it('rounding once gives more than rounding each line when the fractions add up past a half', () => {
    // 10 × 0.1234 = 123.4 cents and 20 × 0.0567 = 113.4 cents: each rounds down, together 236.8.
    const document: TariffDocument = {
      ...twoRegisters('half-up'),
      id: 'exact-up-usd',
      currency: 'USD',
      energy: [
        {
          kind: 'time-of-use',
          periods: [
            { register: 'peak', rate: '0.1234' },
            { register: 'valley', rate: '0.0567' },
          ],
        },
      ],
    };
    const result = billOf(document, { period, registers: { peak: 10, valley: 20 } });
    expect(amounts(result)).toEqual({
      'energy-peak': 123,
      'energy-valley': 113,
      'line-rounding': 1,
    });
    expect(result.totalMinor).toBe(237);
  });

  it.each([
    ['half-up', 1501],
    ['half-even', 1500],
    ['truncate', 1500],
  ] as const)('a tie at the total follows the tariff rule: %s gives %i', (rule, total) => {
    // 1000.25 + 500.25 = 1500.5 cents exactly.
    const result = billOf(twoRegisters(rule), { period, registers: { peak: 1, valley: 1 } });
    expect(exacts(result)).toMatchObject({ 'energy-peak': '1000.25', 'energy-valley': '500.25' });
    expect(result.totalMinor).toBe(total);
    expect(result.lines.reduce((sum, line) => sum + line.amountMinor, 0)).toBe(total);
  });

  it('a total quantum applies on top of the once-rounded total', () => {
    // KRW: 24,090 + 10,813.32 + 2,346.248 = 37,249.568 → 37,250 → truncated to 10 won, 37,250.
    // Rounded line by line: 24,090 + 10,813 + 2,346 = 37,249 → 37,240.
    const document = (lineAmounts: 'rounded' | 'exact'): TariffDocument => ({
      id: 'exact-quantum-krw',
      version: 1,
      name: 'Quantum on top',
      currency: 'KRW',
      effectiveFrom: '2026-01-01',
      lineAmounts,
      totalRounding: { rule: 'truncate', quantumMinor: 10 },
      energy: [
        {
          kind: 'blocks',
          period: 'month',
          blocks: [
            { upToKwh: 200, rate: '120.45' },
            { upToKwh: null, rate: '214.55' },
          ],
        },
      ],
      charges: [{ kind: 'per-kwh', id: 'climate', rate: '9.37' }],
    });
    const usage = { period, kwh: '250.4' };
    const exact = billOf(document('exact'), usage);
    expect(amounts(exact)).toEqual({
      'energy-block-1': 24090,
      'energy-block-2': 10813,
      climate: 2346,
      'line-rounding': 1,
    });
    expect(exact.totalMinor).toBe(37250);
    const rounded = billOf(document('rounded'), usage);
    expect(amounts(rounded)).toMatchObject({ rounding: -9 });
    expect(rounded.totalMinor).toBe(37240);
  });

  it('a minimum charge tops the exact amount up to exactly the minimum', () => {
    // 5 × 12.7001 = 63.5005; the minimum line is 36.4995; the total is exactly 100.00.
    const result = billOf(
      {
        id: 'exact-minimum-kes',
        version: 1,
        name: 'Minimum',
        currency: 'KES',
        effectiveFrom: '2026-01-01',
        lineAmounts: 'exact',
        energy: [{ kind: 'flat', rate: '12.7001' }],
        charges: [{ kind: 'minimum', id: 'minimum', amount: '100' }],
      },
      { period, kwh: 5 },
    );
    expect(exacts(result)).toEqual({ 'energy-flat': '6350.05', minimum: '3649.95' });
    expect(amounts(result)).toEqual({ 'energy-flat': 6350, minimum: 3650 });
    expect(result.totalMinor).toBe(10000);
  });

  it('a fixed charge shared out by days keeps its exact fraction', () => {
    // 10.00 × 15/31 = 15000/31 cents and 12.00 × 16/31 = 19200/31 cents; with 30.00 and 48.00
    // of energy the exact total is 34200/31 + 7800 = 8903.23 → 89.03.
    const version = (number: number, from: string, amount: string, price: string) => ({
      id: 'exact-change-usd',
      version: number,
      name: `Version ${number}`,
      currency: 'USD' as const,
      effectiveFrom: from,
      lineAmounts: 'exact' as const,
      energy: [{ kind: 'flat' as const, rate: price }],
      charges: [{ kind: 'fixed' as const, id: 'service', amount }],
    });
    const result = billOf(
      [version(1, '2026-01-01', '10.00', '0.20'), version(2, '2026-10-16', '12.00', '0.30')],
      { period, kwh: 310 },
    );
    expect(exacts(result)).toEqual({
      'energy-flat@2026-10-01': '3000',
      'service@2026-10-01': '15000/31',
      'energy-flat@2026-10-16': '4800',
      'service@2026-10-16': '19200/31',
    });
    expect(result.totalMinor).toBe(8903);
  });

  it('refuses a quantum on a line of a tariff with exact lines', () => {
    const parsed = parseTariff({
      ...blocksWithVat('exact'),
      charges: [
        {
          kind: 'percentage',
          id: 'fund',
          group: 'levy',
          percent: '3.2',
          of: ['energy'],
          quantumMinor: 10,
        },
      ],
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error.map((issue) => issue.field)).toEqual(['charges.0.quantumMinor']);
  });

  it('a tariff that does not name its line amounts rounds each line, as before', () => {
    const usage = { period, kwh: 81 };
    const unnamed = billOf(blocksWithVat(), usage);
    expect(unnamed).toEqual(billOf(blocksWithVat('rounded'), usage));
    expect(amounts(unnamed)).toEqual({ 'energy-block-1': 619, 'energy-block-2': 441, vat: 170 });
    expect(unnamed.lines.every((line) => line.exactMinor === undefined)).toBe(true);
    expect(unnamed.totalMinor).toBe(1230);
  });
});
