/**
 * Conflict rules, as pure functions with deterministic tie-breaks. docs/sync-protocol.md has
 * them in one table. Money is never the loser of a conflict: both payments stand, and a
 * supervisor is told when they look like one payment taken twice.
 */
import { compareHlc, parseHlc, type Hlc } from './clock.ts';
import { DEFAULT_REGISTER_DIGITS, registerUsage } from './readings.ts';

export interface PaymentSeen {
  readonly factId: string;
  readonly accountId: string;
  readonly amountMinor: number;
  /** The hybrid clock stamp the device gave the payment. */
  readonly hlc: string;
  /** The stamp's wall-clock part, when the caller has read it already (NaN: unreadable). */
  readonly wallMs?: number;
}

function wallMsOf(payment: PaymentSeen): number {
  return payment.wallMs ?? parseHlc(payment.hlc)?.wallMs ?? Number.NaN;
}

/** Two payments this close in time (by their devices' clocks) can be one payment taken twice. */
export const DUPLICATE_WINDOW_MS = 60 * 60 * 1000;
/** …when their amounts differ by at most this share of the larger one, in percent. */
export const DUPLICATE_AMOUNT_PERCENT = 5;

/**
 * Whether a payment arriving at the hub looks like a duplicate of one it already holds: same
 * account, amounts within DUPLICATE_AMOUNT_PERCENT, clock stamps within DUPLICATE_WINDOW_MS.
 * The one that arrives second is the one flagged, whatever its stamp, because the first one's
 * answer has been given and answers never change. Among several candidates the match is the
 * nearest in time, then the lowest fact id, so the answer does not depend on query order.
 */
export function duplicateOf(
  arriving: PaymentSeen,
  held: readonly PaymentSeen[],
): PaymentSeen | undefined {
  const when = wallMsOf(arriving);
  if (Number.isNaN(when)) return undefined;
  const matches = held
    .filter((other) => other.factId !== arriving.factId && other.accountId === arriving.accountId)
    .map((other) => ({ other, gap: Math.abs(wallMsOf(other) - when) }))
    .filter(
      ({ other, gap }) =>
        gap <= DUPLICATE_WINDOW_MS && amountsClose(other.amountMinor, arriving.amountMinor),
    );
  matches.sort((a, b) => a.gap - b.gap || (a.other.factId < b.other.factId ? -1 : 1));
  return matches[0]?.other;
}

function amountsClose(a: number, b: number): boolean {
  const larger = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) * 100 <= larger * DUPLICATE_AMOUNT_PERCENT;
}

// ---------------------------------------------------------------------------------------------
// Voids: a void is a compensating fact. It never deletes the payment; it reverses its effect.

export interface PaymentState {
  readonly factId: string;
  readonly accountId: string;
  readonly amountMinor: number;
  /** Whether the payment counts against the account's balance (it may be flagged and not). */
  readonly applied: boolean;
  /** The void already applied to it, if any. */
  readonly voidedBy?: string | undefined;
}

export interface VoidRequest {
  readonly factId: string;
  readonly accountId: string;
  readonly paymentId: string;
  readonly amountMinor: number;
}

export type VoidFlag = 'void-account-mismatch' | 'void-amount-mismatch' | 'already-voided';

/**
 * What the hub does with a void: hold it while its payment has not arrived (a void can travel
 * faster than its payment, from another device); flag it when it names the payment wrongly or
 * the payment is already voided; otherwise apply it, reversing whatever the payment did.
 */
export function voidDecision(
  request: VoidRequest,
  payment: PaymentState | undefined,
): { kind: 'hold' } | { kind: 'apply'; reverseMinor: number } | { kind: 'flag'; reason: VoidFlag } {
  if (!payment) return { kind: 'hold' };
  if (payment.accountId !== request.accountId)
    return { kind: 'flag', reason: 'void-account-mismatch' };
  if (payment.amountMinor !== request.amountMinor)
    return { kind: 'flag', reason: 'void-amount-mismatch' };
  if (payment.voidedBy !== undefined && payment.voidedBy !== request.factId)
    return { kind: 'flag', reason: 'already-voided' };
  return { kind: 'apply', reverseMinor: reversalOf(payment) };
}

/** What voiding a payment gives back to the balance: what it counted, nothing if it never did. */
export function reversalOf(payment: Pick<PaymentState, 'applied' | 'amountMinor'>): number {
  return payment.applied ? payment.amountMinor : 0;
}

/** Held voids released by one payment's arrival, in a fixed order: by clock stamp, then id. */
export function releaseOrder<T extends { readonly factId: string; readonly hlc: string }>(
  held: readonly T[],
): T[] {
  return [...held].sort((a, b) =>
    a.hlc !== b.hlc ? (a.hlc < b.hlc ? -1 : 1) : a.factId < b.factId ? -1 : 1,
  );
}

// ---------------------------------------------------------------------------------------------
// Contact fields: last writer wins by hybrid clock, but only among edits that had not seen
// each other; an edit made after seeing another always wins over it, whatever the clocks say.

/** A device stamp further ahead of the hub's receipt than this is read as receipt plus this. */
export const CLOCK_AHEAD_TOLERANCE_MS = 5 * 60 * 1000;

export interface ContactEdit {
  readonly factId: string;
  readonly deviceId: string;
  readonly deviceSeq: number;
  readonly field: string;
  readonly value: string;
  readonly hlc: string;
  /** The hub change of the snapshot the agent edited from. */
  readonly baseChangeSeq: number;
  /** The hub change at which this edit was stored. */
  readonly changeSeq: number;
  readonly receivedAtMs: number;
}

/** Whether `a` was made after seeing `b`: by the snapshot it was made from, or on the same device. */
export function supersedes(a: ContactEdit, b: ContactEdit): boolean {
  if (a.deviceId === b.deviceId) return a.deviceSeq > b.deviceSeq;
  return a.baseChangeSeq >= b.changeSeq;
}

export function concurrent(a: ContactEdit, b: ContactEdit): boolean {
  return a.factId !== b.factId && !supersedes(a, b) && !supersedes(b, a);
}

/**
 * The stamp that orders concurrent edits: the device's hybrid clock, except that a stamp ahead
 * of the hub's receipt time by more than CLOCK_AHEAD_TOLERANCE_MS counts as the receipt time
 * plus that tolerance,
 * so a tablet whose clock says next month cannot win every edit until then.
 */
export function effectiveStamp(edit: ContactEdit): Hlc | undefined {
  const stamp = parseHlc(edit.hlc);
  if (!stamp) return undefined;
  const ceiling = edit.receivedAtMs + CLOCK_AHEAD_TOLERANCE_MS;
  return stamp.wallMs > ceiling ? { ...stamp, wallMs: ceiling } : stamp;
}

function stampOrder(a: ContactEdit, b: ContactEdit): number {
  const sa = effectiveStamp(a);
  const sb = effectiveStamp(b);
  if (sa && sb) {
    const byStamp = compareHlc(sa, sb);
    if (byStamp !== 0) return byStamp;
  } else if (sa || sb) {
    // An unreadable stamp orders before every readable one, so the order stays total.
    return sa ? 1 : -1;
  }
  return a.factId < b.factId ? -1 : a.factId > b.factId ? 1 : 0;
}

/**
 * The edit whose value a field shows: among the edits no other edit superseded, the one with
 * the latest effective stamp, then the highest fact id. The same set of edits gives the same
 * winner whatever order they arrived in.
 */
export function contactWinner(edits: readonly ContactEdit[]): ContactEdit | undefined {
  const maximal = edits.filter((edit) => !edits.some((other) => supersedes(other, edit)));
  return maximal.sort(stampOrder).at(-1);
}

/** The held edits of the same field an arriving edit is concurrent with and disagrees with. */
export function concurrentEdits(
  arriving: ContactEdit,
  held: readonly ContactEdit[],
): ContactEdit[] {
  return held.filter(
    (other) =>
      other.field === arriving.field &&
      other.value !== arriving.value &&
      concurrent(arriving, other),
  );
}

// ---------------------------------------------------------------------------------------------
// Meter readings: every reading is kept; when two readings of one meter are close in date and
// far apart in value, the one that fits the meter's history worse is flagged.

/** Readings of one meter this many days apart or less compete with each other. */
export const READING_WINDOW_DAYS = 3;
/** Competing readings differing by at most this many kWh agree. */
export const READING_TOLERANCE_KWH = 2;

export interface ReadingSeen {
  readonly id: string;
  readonly registerKwh: number;
  readonly readOn: string;
  /** Arrival order at the hub (the change number); earlier wins a tie. */
  readonly changeSeq: number;
  /** Whether the reading is already flagged; flags are never taken back here. */
  readonly flagged: boolean;
}

export type ReadingFlag = 'competing-reading' | 'reading-went-backwards';

const DAY_MS = 86_400_000;

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

/**
 * The flag an arriving reading gets, given the meter's other readings (seeded and arrived).
 * Anchors are unflagged readings more than READING_WINDOW_DAYS before it. A reading below the
 * last anchor went backwards, unless the register plausibly rolled over. Otherwise, among the
 * unflagged readings within the window and the arriving one, the reading nearest the value the
 * anchors' daily rate predicts is kept (the first to arrive when there is no rate); the
 * arriving one is flagged when it is not that one and differs from it by more than
 * READING_TOLERANCE_KWH. Readings already held keep their
 * state: `heldToFlag` names those the arriving reading shows to be the odd one.
 */
export function readingFlag(
  arriving: ReadingSeen,
  others: readonly ReadingSeen[],
): { flag?: ReadingFlag; heldToFlag: string[] } {
  const day = dayNumber(arriving.readOn);
  const anchors = others
    .filter((r) => !r.flagged && dayNumber(r.readOn) < day - READING_WINDOW_DAYS)
    .sort((a, b) =>
      a.readOn < b.readOn ? -1 : a.readOn > b.readOn ? 1 : a.changeSeq - b.changeSeq,
    );
  const last = anchors.at(-1);
  if (
    last &&
    arriving.registerKwh < last.registerKwh &&
    !registerUsage({
      from: last.registerKwh,
      to: arriving.registerKwh,
      digits: DEFAULT_REGISTER_DIGITS,
    }).ok
  )
    return { flag: 'reading-went-backwards', heldToFlag: [] };
  const rivals = others.filter(
    (r) => !r.flagged && Math.abs(dayNumber(r.readOn) - day) <= READING_WINDOW_DAYS,
  );
  const apart = (a: ReadingSeen, b: ReadingSeen): boolean =>
    Math.abs(a.registerKwh - b.registerKwh) > READING_TOLERANCE_KWH;
  const disagreeing = rivals.filter((r) => apart(r, arriving));
  if (disagreeing.length === 0) return { heldToFlag: [] };
  const before = anchors.at(-2);
  const rate =
    last && before && dayNumber(last.readOn) > dayNumber(before.readOn)
      ? (last.registerKwh - before.registerKwh) /
        (dayNumber(last.readOn) - dayNumber(before.readOn))
      : undefined;
  const misfit = (r: ReadingSeen): number =>
    last && rate !== undefined
      ? Math.abs(
          r.registerKwh -
            (last.registerKwh + rate * (dayNumber(r.readOn) - dayNumber(last.readOn))),
        )
      : 0;
  const candidates = [...rivals, arriving].sort(
    (a, b) => misfit(a) - misfit(b) || a.changeSeq - b.changeSeq || (a.id < b.id ? -1 : 1),
  );
  const kept = candidates[0] ?? arriving;
  if (kept === arriving) return { heldToFlag: disagreeing.map((r) => r.id) };
  return apart(kept, arriving) ? { flag: 'competing-reading', heldToFlag: [] } : { heldToFlag: [] };
}

// ---------------------------------------------------------------------------------------------
// Spot bills: the printed bill stands as evidence and as what the customer was told; the hub
// recomputes it with the tariff it holds and carries any difference to the next bill.

export type SpotBillFlag = 'stale-tariff' | 'bill-differs' | 'tariff-not-found';

export function spotBillCheck(
  printed: { readonly amountMinor: number; readonly tariffVersion: number },
  hub: { readonly amountMinor: number; readonly latestVersion: number } | undefined,
): { flag?: SpotBillFlag; differenceMinor: number } {
  if (!hub) return { flag: 'tariff-not-found', differenceMinor: 0 };
  const differenceMinor = hub.amountMinor - printed.amountMinor;
  if (differenceMinor === 0) return { differenceMinor };
  return {
    flag: printed.tariffVersion < hub.latestVersion ? 'stale-tariff' : 'bill-differs',
    differenceMinor,
  };
}
