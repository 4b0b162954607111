/**
 * Billing run: bills computed per second over 100,000 accounts, each with its own month's kWh,
 * under the demo tariff (blocks, fixed charge, pass-through, levy, VAT) and under annual tiers.
 */
import { computeBill } from '../shared/tariff/engine.ts';
import { parseTariff } from '../shared/tariff/validate.ts';
import { demoTariff } from '../hub/demo/tariff.ts';
import { beijingResidential } from '../tests/support/tariffs.ts';
import type { Figure } from './figures.ts';

const ACCOUNTS = 100_000;

const annual = parseTariff(beijingResidential);

export function billingRun(): Figure[] {
  if (!annual.ok) throw new Error('bench tariff invalid');
  const period = { from: '2026-10-01', to: '2026-11-01' };
  const figures: Figure[] = [];
  for (const [name, tariff] of [
    ['demo', demoTariff],
    ['annual-tiers', annual.value],
  ] as const) {
    let total = 0;
    const started = process.hrtime.bigint();
    for (let n = 0; n < ACCOUNTS; n++) {
      const kwh = 20 + ((n * 7919) % 600);
      const bill = computeBill(tariff, { period, kwh, priorKwhThisYear: (n * 31) % 5000 });
      if (!bill.ok) throw new Error(bill.error.message);
      total += bill.value.totalMinor;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    figures.push({
      name: `billing.${name}.bills-per-second`,
      value: Math.round(ACCOUNTS / seconds),
      unit: 'bills/s',
      context: { accounts: ACCOUNTS, seconds: Number(seconds.toFixed(3)), checksumMinor: total },
    });
  }
  return figures;
}
