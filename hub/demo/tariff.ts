/**
 * The demo's tariff: a domestic tariff in Kenyan shillings shaped like the ones utilities in
 * the region publish: a lifeline block, a fixed charge, a fuel pass-through, a levy on the
 * energy charge and VAT, each named in the app's three languages. The rates are the demo's own; real published tariffs, reproduced to
 * the cent, are in the tariff table tests.
 */
import { assert } from '../../shared/assert.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { TariffDocument } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';

export const demoTariffDocument: TariffDocument = {
  id: 'demo-domestic',
  version: 1,
  name: 'Domestic (demo)',
  currency: 'KES',
  effectiveFrom: '2025-01-01',
  rounding: 'half-up',
  energy: [
    {
      kind: 'blocks',
      period: 'month',
      blocks: [
        { upToKwh: 30, rate: '12.70' },
        { upToKwh: null, rate: '16.50' },
      ],
    },
  ],
  charges: [
    {
      kind: 'fixed',
      id: 'fixed',
      label: { en: 'Fixed charge', sw: 'Ada ya kudumu', zh: '固定费' },
      amount: '150',
    },
    {
      kind: 'per-kwh',
      id: 'fuel',
      label: { en: 'Fuel cost', sw: 'Gharama ya mafuta', zh: '燃料成本费' },
      rate: '3.60',
    },
    {
      kind: 'percentage',
      id: 'rep',
      label: {
        en: 'Rural electrification levy',
        sw: 'Ushuru wa umeme vijijini',
        zh: '农村电气化附加费',
      },
      group: 'levy',
      percent: '5',
      of: ['energy'],
    },
    {
      kind: 'percentage',
      id: 'vat',
      label: { en: 'VAT', sw: 'VAT', zh: '增值税' },
      group: 'tax',
      percent: '16',
      of: ['energy', 'fixed', 'fuel'],
    },
  ],
};

const parsed = parseTariff(demoTariffDocument);
assert(parsed.ok, 'the demo tariff is valid');
export const demoTariff = parsed.value;

/** The demo bill for a month's kWh, by the tariff engine. */
export function demoBillAmount(kwh: number, periodFrom: string, periodTo: string): number {
  const bill = computeBill(demoTariff, { period: { from: periodFrom, to: periodTo }, kwh });
  assert(bill.ok, 'demo bills compute');
  return bill.value.totalMinor;
}
