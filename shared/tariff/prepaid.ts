/**
 * Prepaid: money to energy with the same tariff as a bill. A purchase buys the kWh (in steps
 * of 0.1 kWh, rounded down) whose cost is at most the money paid, where the cost of E kWh is
 * what the bill for the period grows by when E kWh are added after the kWh already bought
 * (so tiers advance through the month, and fixed charges are not charged per purchase). What
 * is left over is kept as credit. The search relies only on a check of the cost, so even for
 * a tariff whose cost is not monotone the energy sold never costs more than the money.
 */
import { err, ok, type Result } from '../result.ts';
import { minor, type MinorUnits } from '../money.ts';
import { kwhText, parseKwh, wh, type Wh } from './decimal.ts';
import { computeBill } from './engine.ts';
import type { BillFailure, BillResult } from './lines.ts';
import type { Tariff, UsageInput } from './schema.ts';

const STEP_WH = 100;
const MAX_STEPS = 100_000_000;

export interface PrepaidPurchase {
  readonly kwh: string;
  readonly costMinor: MinorUnits;
  readonly creditMinor: MinorUnits;
  /** The bill for the period with the purchase included; its lines explain the cost. */
  readonly bill: BillResult;
}

export type PrepaidError =
  BillFailure | { error: 'amount-must-be-positive'; field: 'amountMinor'; message: string };

export function energyForMoney(
  tariff: Tariff | readonly Tariff[],
  amount: MinorUnits,
  context: Omit<UsageInput, 'kwh' | 'registers'> & { readonly boughtKwh?: string | number },
): Result<PrepaidPurchase, PrepaidError> {
  if (amount <= 0)
    return err({
      error: 'amount-must-be-positive',
      field: 'amountMinor',
      message: 'a purchase must be of some money',
    });
  const bought: Wh = parseKwh(context.boughtKwh ?? 0) ?? wh(0);
  const billFor = (steps: number) =>
    computeBill(tariff, { ...context, kwh: kwhText(wh(bought + steps * STEP_WH)) });
  const base = billFor(0);
  if (!base.ok) return base;
  const cost = (steps: number): number | BillFailure => {
    const bill = billFor(steps);
    return bill.ok ? bill.value.totalMinor - base.value.totalMinor : bill.error;
  };
  // Grow an upper bound, then bisect: low always affordable, high never.
  let low = 0;
  let high = 1;
  for (;;) {
    const at = cost(high);
    if (typeof at !== 'number') return err(at);
    if (at > amount || high >= MAX_STEPS) break;
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const at = cost(middle);
    if (typeof at !== 'number') return err(at);
    if (at <= amount) low = middle;
    else high = middle;
  }
  const final = billFor(low);
  if (!final.ok) return final;
  const costMinor = minor(final.value.totalMinor - base.value.totalMinor);
  return ok({
    kwh: kwhText(wh(low * STEP_WH)),
    costMinor,
    creditMinor: minor(amount - costMinor),
    bill: final.value,
  });
}
