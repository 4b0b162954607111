/**
 * The demo's tariff: a domestic two-block tariff in Kenyan shillings. The first 30 kWh of a
 * month cost KES 12.70 each (a lifeline block), the rest KES 16.50, plus a fixed charge of
 * KES 150.00. Issue #3 brings the full tariff engine; until then the demo bills with this.
 */
export const demoTariff = {
  id: 'tariff-domestic-2026',
  name: 'Domestic (demo)',
  currency: 'KES',
  fixedMinor: 15000,
  blocks: [
    { upToKwh: 30, rateMinorPerKwh: 1270 },
    { upToKwh: null, rateMinorPerKwh: 1650 },
  ],
} as const;

export function demoBillAmount(kwh: number): number {
  const lifeline = Math.min(kwh, 30);
  return demoTariff.fixedMinor + lifeline * 1270 + (kwh - lifeline) * 1650;
}
