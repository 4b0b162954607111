/**
 * Spot billing: the bill an agent prints at the door from a fresh meter reading, computed on
 * the device with the tariff versions it holds. The same engine runs at the hub, which
 * recomputes the bill when it arrives (shared/conflicts.ts spotBillCheck).
 */
import type { AccountSnapshot } from './protocol.ts';
import { add, minor, type MinorUnits } from './money.ts';
import { DEFAULT_REGISTER_DIGITS, registerUsage, type ReadingError } from './readings.ts';
import { err, ok, type Result } from './result.ts';
import { computeBill } from './tariff/engine.ts';
import type { BillLine } from './tariff/lines.ts';
import type { Tariff } from './tariff/schema.ts';

export type SpotBillError =
  | ReadingError
  | 'no-previous-reading'
  | 'reading-not-after-previous'
  | 'no-tariff-on-device'
  | 'bill-not-computed';

export interface SpotBillDraft {
  readonly period: { readonly from: string; readonly to: string };
  readonly kwh: number;
  readonly tariffId: string;
  /** The newest version in effect for the period that the device held. */
  readonly tariffVersion: number;
  readonly lines: readonly BillLine[];
  readonly amountMinor: MinorUnits;
  readonly carried: readonly { readonly sourceId: string; readonly amountMinor: MinorUnits }[];
  readonly totalMinor: MinorUnits;
}

export interface SpotBillInput {
  readonly account: Pick<AccountSnapshot, 'tariffId' | 'carried'>;
  /** The reading the period starts from: the hub's last, or a newer one of the device's own. */
  readonly previous: { readonly readOn: string; readonly registerKwh: number } | null;
  readonly reading: { readonly readOn: string; readonly registerKwh: number };
  /** Every version of the account's tariff the device holds. */
  readonly versions: readonly Tariff[];
  readonly digits?: number;
}

export function draftSpotBill(input: SpotBillInput): Result<SpotBillDraft, SpotBillError> {
  const { previous, reading } = input;
  if (!previous) return err('no-previous-reading');
  if (reading.readOn <= previous.readOn) return err('reading-not-after-previous');
  const usage = registerUsage({
    from: previous.registerKwh,
    to: reading.registerKwh,
    digits: input.digits ?? DEFAULT_REGISTER_DIGITS,
  });
  if (!usage.ok) return usage;
  const period = { from: previous.readOn, to: reading.readOn };
  const inEffect = input.versions.filter(
    (v) => v.id === input.account.tariffId && v.effectiveFrom < period.to,
  );
  // A version must be in effect from the period's first day, or part of it has no price.
  if (!inEffect.some((v) => v.effectiveFrom <= period.from)) return err('no-tariff-on-device');
  const kwh = Math.round(usage.value.wh / 1000);
  const bill = computeBill(inEffect, { period, kwh });
  if (!bill.ok) return err('bill-not-computed');
  const carried = input.account.carried.map((c) => ({
    sourceId: c.sourceId,
    amountMinor: c.amountMinor,
  }));
  const totalMinor = carried.reduce((sum, c) => add(sum, c.amountMinor), bill.value.totalMinor);
  return ok({
    period,
    kwh,
    tariffId: input.account.tariffId,
    tariffVersion: Math.max(...inEffect.map((v) => v.version)),
    lines: bill.value.lines,
    amountMinor: bill.value.totalMinor,
    carried,
    totalMinor: minor(totalMinor),
  });
}
