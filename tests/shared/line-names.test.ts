/**
 * Goal: a bill reads in the customer's language: the engine's own lines (energy, tiers, bands,
 * time-of-use registers, the lifeline allowance, rounding, the late fee) are named in English,
 * Kiswahili and Chinese; a tariff's label in several languages is shown in each; a plain label
 * reads the same in all; nothing else about a line changes with its names.
 *
 * Method: the engine run on tariffs of each shape with usages fast-check picks; labels drawn
 * at random, in one language or three, including text that looks like the engine's own words.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoTariffDocument } from '../../hub/demo/tariff.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import { lateFee } from '../../shared/tariff/late-fee.ts';
import { ENGINE_NAMES, lineLabelIn, type LineName } from '../../shared/tariff/line-names.ts';
import type { TariffDocument } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';

const period = { from: '2026-10-01', to: '2026-11-01' };

function tariffOf(document: TariffDocument) {
  const parsed = parseTariff(document);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.value;
}

function base(overrides: Partial<TariffDocument>): TariffDocument {
  return {
    id: 'names',
    version: 1,
    name: 'Names',
    currency: 'KES',
    effectiveFrom: '2026-01-01',
    // The demo's two monthly blocks, unnamed.
    energy: demoTariffDocument.energy,
    ...overrides,
  };
}

const textArb = fc
  .string({ minLength: 1, maxLength: 30 })
  .map((text) => text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').trim())
  .filter((text) => text.length > 0);
const threeArb = fc.record({ en: textArb, sw: textArb, zh: textArb });

describe('bill lines in each language', () => {
  it('the engine names its own lines in all three languages, tier by tier', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.boolean(), (kwh, eligible) => {
        const tariff = tariffOf(
          base({
            lifeline: { allowanceKwh: 10, takenFrom: 'lowest', eligibility: 'lifeline' },
            totalRounding: { rule: 'half-up', quantumMinor: 500 },
          }),
        );
        const bill = computeBill(tariff, {
          period,
          kwh: String(kwh),
          eligibility: eligible ? ['lifeline'] : [],
        });
        if (!bill.ok) throw new Error(JSON.stringify(bill.error));
        for (const line of bill.value.lines) {
          expect(line.labels?.sw, line.label).toBeTruthy();
          expect(line.labels?.zh, line.label).toBeTruthy();
          if (line.kind === 'energy') {
            const tier = Number(/tier (\d)$/.exec(line.label)?.[1]);
            expect(line.label).toBe(`Energy, tier ${tier}`);
            expect(lineLabelIn(line, 'sw')).toBe(`Nishati, daraja ${tier}`);
            expect(lineLabelIn(line, 'zh')).toBe(`电量电费，第${tier}档`);
          }
          if (line.kind === 'allowance')
            expect(line.labels).toEqual(withoutEnglish(ENGINE_NAMES.lifeline));
          if (line.kind === 'rounding')
            expect(line.labels).toEqual(withoutEnglish(ENGINE_NAMES.totalRounding));
          expect(lineLabelIn(line, 'en')).toBe(line.label);
        }
      }),
    );
  });

  it('a tariff’s label in three languages is shown in each; a plain one reads the same in all', () => {
    fc.assert(
      fc.property(
        threeArb,
        textArb,
        threeArb,
        fc.integer({ min: 1, max: 400 }),
        (fixed, fuel, energy, kwh) => {
          const tariff = tariffOf(
            base({
              energy: [
                {
                  kind: 'bands',
                  basis: { kind: 'this-month' },
                  label: energy,
                  bands: [
                    { upToKwh: 50, rate: '10' },
                    {
                      upToKwh: null,
                      blocks: [
                        { upToKwh: 100, rate: '12' },
                        { upToKwh: null, rate: '15' },
                      ],
                    },
                  ],
                },
              ],
              charges: [
                { kind: 'fixed', id: 'fixed', label: fixed, amount: '150' },
                { kind: 'per-kwh', id: 'fuel', label: fuel, rate: '3.60' },
                { kind: 'percentage', id: 'vat', group: 'tax', percent: '16', of: ['energy'] },
              ],
            }),
          );
          const bill = computeBill(tariff, { period, kwh: String(kwh) });
          if (!bill.ok) throw new Error(JSON.stringify(bill.error));
          const byId = new Map(bill.value.lines.map((line) => [line.id, line]));
          const fixedLine = byId.get('fixed');
          expect(fixedLine?.label).toBe(fixed.en);
          expect(fixedLine && lineLabelIn(fixedLine, 'sw')).toBe(fixed.sw);
          expect(fixedLine && lineLabelIn(fixedLine, 'zh')).toBe(fixed.zh);
          const fuelLine = byId.get('fuel');
          expect(fuelLine?.labels).toBeUndefined();
          for (const language of ['en', 'sw', 'zh'])
            expect(fuelLine && lineLabelIn(fuelLine, language)).toBe(fuel);
          // A charge the tariff did not name is called by its id, in every language.
          const vat = byId.get('vat');
          expect(vat?.label).toBe('vat');
          expect(vat?.labels).toBeUndefined();
          for (const line of bill.value.lines.filter((one) => one.kind === 'energy')) {
            const band = kwh <= 50 ? 1 : 2;
            expect(line.label.startsWith(`${energy.en}, band ${band}`)).toBe(true);
            expect(lineLabelIn(line, 'sw').startsWith(`${energy.sw}, kundi ${band}`)).toBe(true);
            expect(lineLabelIn(line, 'zh').startsWith(`${energy.zh}，第${band}段`)).toBe(true);
          }
        },
      ),
    );
  });

  it('names change nothing else: the same bill, line for line, whatever the labels', () => {
    fc.assert(
      fc.property(threeArb, fc.integer({ min: 0, max: 400 }), (label, kwh) => {
        const plain = computeBill(tariffOf(base({})), { period, kwh: String(kwh) });
        const named = computeBill(
          tariffOf(
            base({
              energy: [
                {
                  ...(demoTariffDocument.energy[0] as Extract<
                    TariffDocument['energy'][number],
                    { kind: 'blocks' }
                  >),
                  label,
                },
              ],
            }),
          ),
          { period, kwh: String(kwh) },
        );
        if (!plain.ok || !named.ok) throw new Error('bills compute');
        const strip = (lines: typeof plain.value.lines) =>
          lines.map(({ label: _label, labels: _labels, ...rest }) => rest);
        expect(strip(named.value.lines)).toEqual(strip(plain.value.lines));
        expect(named.value.totalMinor).toBe(plain.value.totalMinor);
      }),
    );
  });

  it('the late fee is named in each language, and a tariff label in an unknown shape is refused', () => {
    const tariff = tariffOf(base({ lateFee: { amount: '50', graceDays: 0 } }));
    const fee = lateFee(tariff, 1000 as never, '2026-10-01', '2026-10-20');
    expect(fee && lineLabelIn(fee, 'sw')).toBe(ENGINE_NAMES.lateFee.sw);
    expect(fee && lineLabelIn(fee, 'zh')).toBe(ENGINE_NAMES.lateFee.zh);
    const refused = parseTariff({
      ...base({}),
      charges: [{ kind: 'fixed', id: 'fixed', label: { sw: 'Ada' }, amount: '1' }],
    } as unknown as TariffDocument);
    expect(refused.ok).toBe(false);
    const extra = parseTariff({
      ...base({}),
      charges: [{ kind: 'fixed', id: 'fixed', label: { en: 'Fixed', fr: 'Fixe' }, amount: '1' }],
    } as unknown as TariffDocument);
    expect(extra.ok).toBe(false);
  });
});

function withoutEnglish(name: LineName): Omit<LineName, 'en'> {
  const { en: _en, ...rest } = name;
  return rest;
}
