/**
 * The late-payment surcharge: after the due date and the tariff's grace days, a percentage of
 * what is still owed on the bill, or a fixed amount, as one line rounded once.
 */
import { ENGINE_NAMES, lineLabelFields } from './line-names.ts';
import { minor, type CurrencyCode, type MinorUnits } from '../money.ts';
import { majorAmount, percentOf, rate } from './decimal.ts';
import type { BillLine } from './lines.ts';
import type { Tariff } from './schema.ts';

const DAY_MS = 86_400_000;

export function lateFee(
  tariff: Tariff,
  outstanding: MinorUnits,
  dueOn: string,
  asOf: string,
): BillLine | undefined {
  const fee = tariff.lateFee;
  if (!fee || outstanding <= 0) return undefined;
  const daysLate = Math.floor(
    (Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${dueOn}T00:00:00Z`)) / DAY_MS,
  );
  if (daysLate <= fee.graceDays) return undefined;
  const rule = fee.rounding ?? tariff.rounding;
  const currency: CurrencyCode = tariff.currency;
  const amountMinor =
    fee.percent !== undefined
      ? percentOf(outstanding, rate(fee.percent), rule)
      : majorAmount(rate(fee.amount ?? '0'), currency, rule);
  return {
    id: 'late-fee',
    kind: 'late-fee',
    ...lineLabelFields(ENGINE_NAMES.lateFee),
    ...(fee.percent === undefined ? {} : { rate: fee.percent }),
    amountMinor: minor(amountMinor),
    rounding: rule,
  };
}
