/**
 * Usage from meter readings. The kWh of a period are the difference of two register readings,
 * allowing for a register that rolled over past its last digit and for a meter replaced
 * during the period. With no reading, usage is estimated from the customer's own recent daily
 * average; the next real reading trues it up: it bills what was really used less what the
 * estimates already billed, and carries any over-estimate to later bills.
 */
import { err, ok, type Result } from './result.ts';
import { parseKwh, wh, type Wh } from './tariff/decimal.ts';

/** Register digits assumed for meters whose digits the hub does not record. */
export const DEFAULT_REGISTER_DIGITS = 6;

export type ReadingError =
  'reading-not-a-number' | 'reading-went-backwards' | 'digits-out-of-range';

export interface RegisterRange {
  /** The earlier reading, kWh. */
  readonly from: string | number;
  /** The later reading, kWh. */
  readonly to: string | number;
  /** How many whole-kWh digits the register shows: it rolls over at 10^digits kWh. */
  readonly digits: number;
}

/**
 * The kWh between two readings of one register. A later reading below the earlier one is a
 * rollover only when the usage it implies is under half the register's range; otherwise the
 * reading is wrong (a misread, or the wrong meter), and that is refused.
 */
export function registerUsage(
  range: RegisterRange,
): Result<{ wh: Wh; rolledOver: boolean }, ReadingError> {
  if (!Number.isInteger(range.digits) || range.digits < 3 || range.digits > 9)
    return err('digits-out-of-range');
  const from = parseKwh(range.from);
  const to = parseKwh(range.to);
  if (from === undefined || to === undefined) return err('reading-not-a-number');
  const capacity = 10 ** range.digits * 1000;
  if (from >= capacity || to >= capacity) return err('reading-not-a-number');
  if (to >= from) return ok({ wh: wh(to - from), rolledOver: false });
  const rolled = to + capacity - from;
  if (rolled > capacity / 2) return err('reading-went-backwards');
  return ok({ wh: wh(rolled), rolledOver: true });
}

export interface MeterReplacement {
  /** The old meter's last reading, taken when it was removed. */
  readonly oldFinal: string | number;
  readonly oldDigits: number;
  /** The new meter's reading when it was fitted. */
  readonly newInitial: string | number;
}

/** Usage over a period in which the meter was replaced: the old meter's part plus the new one's. */
export function usageAcrossReplacement(
  previous: string | number,
  current: string | number,
  newDigits: number,
  replacement: MeterReplacement,
): Result<Wh, ReadingError> {
  const before = registerUsage({
    from: previous,
    to: replacement.oldFinal,
    digits: replacement.oldDigits,
  });
  if (!before.ok) return before;
  const after = registerUsage({ from: replacement.newInitial, to: current, digits: newDigits });
  if (!after.ok) return after;
  return ok(wh(before.value.wh + after.value.wh));
}

export interface PastPeriod {
  readonly wh: Wh;
  readonly days: number;
}

/** An estimate for `days` from the customer's recent periods' daily average, in whole kWh. */
export function estimateUsage(history: readonly PastPeriod[], days: number): Wh {
  const totalDays = history.reduce((total, period) => total + period.days, 0);
  if (totalDays === 0) return wh(0);
  const totalWh = history.reduce((total, period) => total + period.wh, 0);
  return wh(Math.floor((totalWh * days) / totalDays / 1000) * 1000);
}

/**
 * The true-up at a real reading: the kWh to bill now are those really used since the last real
 * reading less those already billed as estimates. An over-estimate is never billed negative:
 * it is carried, to be taken off later bills.
 */
export function trueUp(actualWh: Wh, estimatedWh: Wh): { billWh: Wh; carriedWh: Wh } {
  return actualWh >= estimatedWh
    ? { billWh: wh(actualWh - estimatedWh), carriedWh: wh(0) }
    : { billWh: wh(0), carriedWh: wh(estimatedWh - actualWh) };
}
