/**
 * Goal: for every tariff whose `lineAmounts` is "exact", the bill's total is the exact sum of
 * its lines rounded once by the tariff's rule (so within half a minor unit of it, or under one
 * toward zero when truncated), with a total quantum applied on top; levies and taxes take the
 * exact amounts of the lines they name; the lines shown add up to the total. For every tariff
 * without the option, the bill is exactly what it was: the sum of the rounded lines.
 *
 * Method: fast-check generates tariffs (flat, monthly and annual blocks, fixed and per-kWh
 * charges, levies and taxes on earlier lines, discounts, minimum charges, lifeline allowances,
 * total quanta, every rounding rule and currency, and sometimes a second version inside the
 * period) and usages. An independent model written here with BigInt fractions reads the
 * amounts from the lines' strings and the tariff document and rounds them itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencies, type CurrencyCode, type RoundingRule } from '../../shared/money.ts';
import type { BillLine } from '../../shared/tariff/lines.ts';
import type { TariffDocument } from '../../shared/tariff/schema.ts';
import { billOf, currencyCodes, decimalArb, roundingRules } from '../support/tariffs.ts';

const period = { from: '2026-10-01', to: '2026-11-01' };

const rules = roundingRules;

const blocksArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 3000 }), { maxLength: 3 })
  .chain((thresholds) =>
    fc
      .array(decimalArb(40_000_000), {
        minLength: thresholds.length + 1,
        maxLength: thresholds.length + 1,
      })
      .map((rates) => {
        const sorted = [...thresholds].sort((a, b) => a - b);
        return rates.map((rate, i) => ({ upToKwh: sorted[i] ?? null, rate }));
      }),
  );

const energyArb = fc.oneof(
  fc.record({ kind: fc.constant('flat' as const), rate: decimalArb(40_000_000) }),
  fc.record({
    kind: fc.constant('blocks' as const),
    period: fc.constantFrom('month' as const, 'year' as const),
    blocks: blocksArb,
  }),
);

type Draft = { kind: string; value: string; rule: RoundingRule; picks: number[] };

/** Charges in order, each percentage naming energy and some earlier charges. */
function charges(drafts: readonly Draft[]): NonNullable<TariffDocument['charges']> {
  return drafts.map((draft, index) => {
    const id = `c${index}`;
    const earlier = ['energy', ...drafts.slice(0, index).map((_, i) => `c${i}`)];
    const of = [
      ...new Set([
        'energy',
        ...draft.picks.map((pick) => earlier[pick % earlier.length] ?? 'energy'),
      ]),
    ];
    const rounding = draft.rule;
    switch (draft.kind) {
      case 'fixed':
        return { kind: 'fixed' as const, id, amount: draft.value, rounding };
      case 'per-kwh':
        return { kind: 'per-kwh' as const, id, rate: draft.value, rounding };
      case 'discount':
        return { kind: 'discount' as const, id, percent: draft.value, of, rounding };
      case 'minimum':
        return { kind: 'minimum' as const, id, amount: draft.value, rounding };
      default:
        return {
          kind: 'percentage' as const,
          id,
          group: 'tax' as const,
          percent: draft.value,
          of,
          rounding,
        };
    }
  });
}

const draftArb = (kinds: string[]) =>
  fc.record({
    kind: fc.constantFrom(...kinds),
    value: decimalArb(30_000_000),
    rule: fc.constantFrom(...rules),
    picks: fc.array(fc.nat(), { maxLength: 3 }),
  });

const documentArb = (kinds: string[], extras: boolean) =>
  fc
    .record({
      currency: fc.constantFrom(...currencyCodes),
      rounding: fc.constantFrom(...rules),
      energy: fc.array(energyArb, { minLength: 1, maxLength: 2 }),
      drafts: fc.array(draftArb(kinds), { maxLength: 5 }),
      totalRounding: extras
        ? fc.option(
            fc.record({
              rule: fc.constantFrom(...rules),
              quantumMinor: fc.constantFrom(5, 10, 50),
            }),
            { nil: undefined },
          )
        : fc.constant(undefined),
      lifeline: extras
        ? fc.option(
            fc.record({
              allowanceKwh: fc.integer({ min: 1, max: 100 }),
              takenFrom: fc.constantFrom('lowest' as const, 'top' as const),
              eligibility: fc.constant('lifeline'),
            }),
            { nil: undefined },
          )
        : fc.constant(undefined),
    })
    .map(({ drafts, ...fields }): TariffDocument => ({
      id: 'generated',
      version: 1,
      name: 'Generated',
      effectiveFrom: '2026-01-01',
      ...fields,
      charges: charges(drafts),
    }));

const wattHours = fc.integer({ min: 0, max: 5_000_000 });
const kwhOf = (whs: number) => `${Math.floor(whs / 1000)}.${String(whs % 1000).padStart(3, '0')}`;

/** The independent model: exact fractions of minor units from decimal strings. */
interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}

function fraction(text: string): Fraction {
  const [top = '0', bottom] = text.split('/');
  if (bottom !== undefined) return { n: BigInt(top), d: BigInt(bottom) };
  const negative = top.startsWith('-');
  const [whole = '0', decimals = ''] = top.replace('-', '').split('.');
  const d = 10n ** BigInt(decimals.length);
  const n = BigInt(whole) * d + BigInt(decimals || '0');
  return { n: negative ? -n : n, d };
}

const plus = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const same = (a: Fraction, b: Fraction) => a.n * b.d === b.n * a.d;

function modelRound({ n: numerator, d: denominator }: Fraction, rule: RoundingRule): bigint {
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = n / denominator;
  const r = n % denominator;
  const up =
    rule === 'half-up'
      ? 2n * r >= denominator
      : rule === 'half-even'
        ? 2n * r > denominator || (2n * r === denominator && q % 2n === 1n)
        : false;
  return negative ? -(up ? q + 1n : q) : up ? q + 1n : q;
}

/** kWh × rate in minor units of the currency, from the line's strings. */
function product(kwh: string, rate: string, currency: CurrencyCode): Fraction {
  const energy = fraction(kwh);
  const price = fraction(rate);
  const minorPerMajor = 10n ** BigInt(currencies[currency].exponent);
  return { n: energy.n * price.n * minorPerMajor, d: energy.d * price.d };
}

/** A line's exact amount; every line of a tariff with exact lines but a rounding line has one. */
function exactAmount(line: BillLine | undefined): Fraction {
  if (line?.exactMinor === undefined)
    throw new Error(`no exact amount on ${line?.id ?? 'a missing line'}`);
  return fraction(line.exactMinor);
}

function exactly(documents: TariffDocument[]): TariffDocument[] {
  return documents.map((document) => ({ ...document, lineAmounts: 'exact' }));
}

describe('tariffs with exact lines: properties', () => {
  const allKinds = ['fixed', 'per-kwh', 'percentage', 'discount', 'minimum'];

  it('the total is the exact sum rounded once: within half a minor unit (under one, toward zero, truncated)', () => {
    fc.assert(
      fc.property(
        documentArb(allKinds, true),
        fc.option(documentArb(allKinds, true), { nil: undefined }),
        wattHours,
        wattHours,
        fc.boolean(),
        (first, later, used, prior, eligible) => {
          const versions = exactly(
            later === undefined
              ? [first]
              : [
                  first,
                  { ...later, currency: first.currency, version: 2, effectiveFrom: '2026-10-16' },
                ],
          );
          const result = billOf(versions, {
            period,
            kwh: kwhOf(used),
            priorKwhThisYear: kwhOf(prior),
            eligibility: eligible ? ['lifeline'] : [],
          });
          const last = versions[versions.length - 1] ?? first;
          expect(result.totalMinor).toBe(
            result.lines.reduce((sum, line) => sum + line.amountMinor, 0),
          );
          let exactSum: Fraction = { n: 0n, d: 1n };
          for (const line of result.lines) {
            if (line.kind === 'rounding') {
              expect(line.exactMinor).toBeUndefined();
              continue;
            }
            const value = exactAmount(line);
            exactSum = plus(exactSum, value);
            expect(BigInt(line.amountMinor)).toBe(modelRound(value, line.rounding));
            if (line.kind === 'energy' || line.kind === 'per-kwh')
              expect(same(value, product(line.kwh ?? '0', line.rate ?? '0', result.currency))).toBe(
                true,
              );
          }
          const once = modelRound(exactSum, last.rounding ?? 'half-up');
          const quantum = last.totalRounding;
          if (quantum) {
            const step = BigInt(quantum.quantumMinor);
            expect(BigInt(result.totalMinor)).toBe(
              modelRound({ n: once, d: step }, quantum.rule) * step,
            );
            return;
          }
          expect(BigInt(result.totalMinor)).toBe(once);
          const gap = BigInt(result.totalMinor) * exactSum.d - exactSum.n;
          const size = gap < 0n ? -gap : gap;
          if (last.rounding === 'truncate') {
            expect(size < exactSum.d).toBe(true);
            expect(gap === 0n || gap < 0n === exactSum.n > 0n).toBe(true);
          } else {
            expect(2n * size <= exactSum.d).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('levies and taxes take the exact amounts of the lines they name, and only the total is rounded', () => {
    fc.assert(
      fc.property(
        documentArb(['fixed', 'per-kwh', 'percentage'], false),
        wattHours,
        wattHours,
        (document, used, prior) => {
          const kwh = kwhOf(used);
          const result = billOf(exactly([document]), {
            period,
            kwh,
            priorKwhThisYear: kwhOf(prior),
          });
          const currency = document.currency as CurrencyCode;
          const minorPerMajor = 10n ** BigInt(currencies[currency].exponent);
          const values = new Map<string, Fraction>();
          let energy: Fraction = { n: 0n, d: 1n };
          for (const line of result.lines.filter((candidate) => candidate.kind === 'energy'))
            energy = plus(energy, product(line.kwh ?? '0', line.rate ?? '0', currency));
          let total = energy;
          for (const charge of document.charges ?? []) {
            let value: Fraction;
            if (charge.kind === 'fixed') {
              const amount = fraction(charge.amount);
              value = { n: amount.n * minorPerMajor, d: amount.d };
            } else if (charge.kind === 'per-kwh') {
              value = product(kwh, charge.rate, currency);
            } else if (charge.kind === 'percentage') {
              const base = charge.of
                .map((name) =>
                  name === 'energy' ? energy : (values.get(name) ?? { n: 0n, d: 1n }),
                )
                .reduce(plus, { n: 0n, d: 1n });
              const percent = fraction(charge.percent);
              value = { n: base.n * percent.n, d: base.d * percent.d * 100n };
            } else {
              throw new Error(`not generated: ${charge.kind}`);
            }
            values.set(charge.id, value);
            total = plus(total, value);
            const line = result.lines.find((candidate) => candidate.id === charge.id);
            expect(same(exactAmount(line), value)).toBe(true);
          }
          expect(BigInt(result.totalMinor)).toBe(modelRound(total, document.rounding ?? 'half-up'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('without the option, the total is the sum of the rounded lines, exactly as with "rounded"', () => {
    fc.assert(
      fc.property(documentArb(allKinds, true), wattHours, wattHours, (document, used, prior) => {
        const usage = { period, kwh: kwhOf(used), priorKwhThisYear: kwhOf(prior) };
        const unnamed = billOf(document, usage);
        expect(unnamed).toEqual(billOf({ ...document, lineAmounts: 'rounded' }, usage));
        expect(unnamed.totalMinor).toBe(
          unnamed.lines.reduce((sum, line) => sum + line.amountMinor, 0),
        );
        expect(
          unnamed.lines.some(
            (line) => line.id === 'line-rounding' || line.exactMinor !== undefined,
          ),
        ).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
