/**
 * Whether a meter reading makes sense, decided by the same functions on the tablet (which
 * refuses a reading dated in the future and asks the agent to confirm an implausible one) and
 * at the hub (which flags both and bills neither until a supervisor accepts them). Every
 * reading is kept; the conflict rule between readings close in time is `readingFlag` in
 * shared/conflicts.ts.
 */
import { readingFlag, type ReadingSeen } from '../conflicts.ts';
import type { FactOf } from '../facts.ts';
import { RECENT_READINGS_SENT, type FlagReason } from '../protocol.ts';
import { DEFAULT_REGISTER_DIGITS, registerUsage } from '../readings.ts';

/** A reading dated more than this many days after the recorder's today is in the future. */
export const READING_FUTURE_TOLERANCE_DAYS = 1;
/** A reading implying more than this many times the meter's own daily average is implausible… */
export const IMPLAUSIBLE_FACTOR = 5;
/** …unless it implies at most this many kWh a day, which any home may use. */
export const PLAUSIBLE_KWH_PER_DAY = 30;
/**
 * With too little history to know the meter's average, more than this a day is implausible,
 * unless the account's tariff says what its class uses (`plausibleKwhPerDay`).
 */
export const NEW_METER_MAX_KWH_PER_DAY = 150;

/** The daily use a new meter is judged against: its tariff class's, or the default. */
export function newMeterCeiling(
  tariff: { readonly plausibleKwhPerDay?: number | undefined } | undefined,
): number {
  return tariff?.plausibleKwhPerDay ?? NEW_METER_MAX_KWH_PER_DAY;
}
/** How many of the meter's latest accepted readings make its history (as a snapshot carries). */
export const READING_HISTORY = RECENT_READINGS_SENT;

export interface ReadingPoint {
  readonly readOn: string;
  readonly registerKwh: number;
}

const DAY_MS = 86_400_000;

function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** Whether `readOn` is later than `today` (both ISO dates) by more than the tolerance. */
export function readingInFuture(readOn: string, today: string): boolean {
  return dayNumber(readOn) > dayNumber(today) + READING_FUTURE_TOLERANCE_DAYS;
}

/** kWh between two readings of one register, or undefined when the register went backwards. */
function usageKwh(from: ReadingPoint, to: ReadingPoint): number | undefined {
  const usage = registerUsage({
    from: from.registerKwh,
    to: to.registerKwh,
    digits: DEFAULT_REGISTER_DIGITS,
  });
  return usage.ok ? usage.value.wh / 1000 : undefined;
}

/**
 * Whether `reading` implies use far above the meter's own: kWh a day since the latest earlier
 * reading of `history`, against IMPLAUSIBLE_FACTOR times the daily average over the history
 * before it (at least two readings a day or more apart), where use of PLAUSIBLE_KWH_PER_DAY or
 * less is never implausible; or, without such a history, against the tariff class's daily use
 * (`newMeterCeiling`). With no earlier reading there is nothing to judge.
 */
export function readingImplausible(
  reading: ReadingPoint,
  history: readonly ReadingPoint[],
  newMeterMaxKwhPerDay = NEW_METER_MAX_KWH_PER_DAY,
): boolean {
  const earlier = history
    .filter((point) => point.readOn < reading.readOn)
    .sort((a, b) => (a.readOn < b.readOn ? -1 : a.readOn > b.readOn ? 1 : 0))
    .slice(-READING_HISTORY);
  const last = earlier.at(-1);
  if (!last) return false;
  const used = usageKwh(last, reading);
  if (used === undefined) return false;
  const perDay = used / Math.max(1, dayNumber(reading.readOn) - dayNumber(last.readOn));
  const first = earlier[0];
  const span = first ? dayNumber(last.readOn) - dayNumber(first.readOn) : 0;
  let total = 0;
  for (let i = 1; i < earlier.length; i++) {
    const step = usageKwh(earlier[i - 1] as ReadingPoint, earlier[i] as ReadingPoint);
    if (step === undefined) return perDay > newMeterMaxKwhPerDay;
    total += step;
  }
  if (earlier.length < 2 || span < 1) return perDay > newMeterMaxKwhPerDay;
  if (perDay <= PLAUSIBLE_KWH_PER_DAY) return false;
  return perDay > IMPLAUSIBLE_FACTOR * (total / span);
}

export interface ReadingContext {
  readonly provenance: FlagReason | undefined;
  /** The meter the account has, or undefined when the account is unknown. */
  readonly accountMeter: string | undefined;
  /** The hub's today when the reading arrived (ISO date). */
  readonly today: string;
  /** Every other reading of the meter, with its state, for the conflict rule. */
  readonly others: readonly ReadingSeen[];
  /** What a new meter of the account's tariff class may use a day (`newMeterCeiling`). */
  readonly newMeterMaxKwhPerDay: number;
}

export interface ReadingDecision {
  readonly reason: FlagReason | undefined;
  /** Readings already held that this one shows to be the odd one out. */
  readonly heldToFlag: readonly string[];
}

/**
 * A reading's flag: the first of unknown account, another meter, dated in the future, going
 * backwards or competing with a reading close in time (shared/conflicts.ts), and implausible
 * against the meter's accepted history.
 */
export function decideReading(
  fact: FactOf<'reading'>,
  changeSeq: number,
  context: ReadingContext,
): ReadingDecision {
  const body = fact.body;
  const none: readonly string[] = [];
  if (context.provenance !== undefined) return { reason: context.provenance, heldToFlag: none };
  if (context.accountMeter === undefined) return { reason: 'account-not-found', heldToFlag: none };
  if (body.meterNumber !== context.accountMeter)
    return { reason: 'meter-mismatch', heldToFlag: none };
  if (readingInFuture(body.readOn, context.today))
    return { reason: 'reading-in-future', heldToFlag: none };
  const history = context.others.filter((other) => !other.flagged);
  if (readingImplausible(body, history, context.newMeterMaxKwhPerDay))
    return { reason: 'implausible-reading', heldToFlag: none };
  const verdict = readingFlag(
    { id: fact.id, registerKwh: body.registerKwh, readOn: body.readOn, changeSeq, flagged: false },
    context.others,
  );
  return { reason: verdict.flag, heldToFlag: verdict.heldToFlag };
}
