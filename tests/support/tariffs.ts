/**
 * Published tariffs used by more than one test or benchmark. Sources are cited where each is
 * tested against published bills (tests/shared/tariff-published.test.ts).
 */
import type { TariffDocument } from '../../shared/tariff/schema.ts';

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
