/**
 * What tariff tests share: published tariffs used by more than one test or benchmark (sources
 * are cited where each is tested against published bills, tests/shared/tariff-published.test.ts),
 * a bill from tariff documents that must succeed, and the arbitraries of tariff properties.
 */
import fc from 'fast-check';
import { currencies, type CurrencyCode, type RoundingRule } from '../../shared/money.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { BillResult } from '../../shared/tariff/lines.ts';
import type { TariffDocument, UsageInput } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';

/** The bill for `usage` under the tariff documents given; a test fails on any refusal. */
export function billOf(
  documents: TariffDocument | readonly TariffDocument[],
  usage: UsageInput,
): BillResult {
  const tariffs = (Array.isArray(documents) ? documents : [documents]).map(
    (document: TariffDocument) => {
      const parsed = parseTariff(document);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
      return parsed.value;
    },
  );
  const result = computeBill(tariffs, usage);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

export const roundingRules: readonly RoundingRule[] = ['half-up', 'half-even', 'truncate'];
export const currencyCodes = Object.keys(currencies) as CurrencyCode[];

/** A decimal string with up to six decimals, from an integer count of millionths. */
export const decimalArb = (maxMillionths: number) =>
  fc
    .integer({ min: 0, max: maxMillionths })
    .map((n) => `${Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}`);

/** Beijing residential annual tiers (阶梯电价): 0.4883 / 0.5383 / 0.7883 CNY/kWh at 2,880 / 4,800 kWh a year. */
export const beijingResidential: TariffDocument = {
  id: 'cn-beijing-residential',
  version: 1,
  name: '北京居民阶梯电价',
  currency: 'CNY',
  effectiveFrom: '2012-07-01',
  energy: [
    {
      kind: 'blocks',
      period: 'year',
      blocks: [
        { upToKwh: 2880, rate: '0.4883' },
        { upToKwh: 4800, rate: '0.5383' },
        { upToKwh: null, rate: '0.7883' },
      ],
    },
  ],
};
