/**
 * Bills from meter readings: the usage between two readings (allowing for rollover and a
 * replaced meter), or an estimate when there is no reading, billed by the engine. An estimated
 * bill says so; the next real reading bills what was really used since the last real reading
 * less what the estimates in between already billed.
 */
import { err, ok, type Result } from '../result.ts';
import {
  estimateUsage,
  registerUsage,
  trueUp,
  usageAcrossReplacement,
  type MeterReplacement,
  type PastPeriod,
  type ReadingError,
} from '../readings.ts';
import { kwhText, wh, type Wh } from './decimal.ts';
import { computeBill } from './engine.ts';
import type { BillFailure, BillResult } from './lines.ts';
import type { Tariff, UsageInput } from './schema.ts';

export interface MeterBill {
  readonly bill: BillResult;
  readonly estimated: boolean;
  readonly usageKwh: string;
  /** kWh over-estimated before this reading, to be taken off later bills. */
  readonly carriedKwh: string;
}

export type MeterBillError =
  { error: ReadingError; field: 'readings'; message: string } | BillFailure;

export interface ReadingsInput {
  readonly previous: string | number;
  readonly current: string | number;
  readonly digits: number;
  readonly replacement?: MeterReplacement;
  /** kWh billed as estimates since the previous real reading. */
  readonly estimatedSinceKwh?: Wh;
}

type Context = Omit<UsageInput, 'kwh' | 'registers'>;

function billed(
  tariff: Tariff | readonly Tariff[],
  context: Context,
  energy: Wh,
  estimated: boolean,
  carried: Wh,
): Result<MeterBill, MeterBillError> {
  const bill = computeBill(tariff, { ...context, kwh: kwhText(energy) });
  if (!bill.ok) return bill;
  return ok({
    bill: bill.value,
    estimated,
    usageKwh: kwhText(energy),
    carriedKwh: kwhText(carried),
  });
}

export function billFromReadings(
  tariff: Tariff | readonly Tariff[],
  readings: ReadingsInput,
  context: Context,
): Result<MeterBill, MeterBillError> {
  const usage = readings.replacement
    ? usageAcrossReplacement(
        readings.previous,
        readings.current,
        readings.digits,
        readings.replacement,
      )
    : (() => {
        const single = registerUsage({
          from: readings.previous,
          to: readings.current,
          digits: readings.digits,
        });
        return single.ok ? ok(single.value.wh) : single;
      })();
  if (!usage.ok)
    return err({
      error: usage.error,
      field: 'readings',
      message: `the readings cannot be billed: ${usage.error}`,
    });
  const settled = trueUp(usage.value, readings.estimatedSinceKwh ?? wh(0));
  return billed(tariff, context, settled.billWh, false, settled.carriedWh);
}

export function estimatedBill(
  tariff: Tariff | readonly Tariff[],
  history: readonly PastPeriod[],
  days: number,
  context: Context,
): Result<MeterBill, MeterBillError> {
  return billed(tariff, context, estimateUsage(history, days), true, wh(0));
}
