/**
 * Conflict rules, as pure functions with deterministic tie-breaks. docs/sync-protocol.md has
 * them in one table. Money is never the loser of a conflict: both payments stand, and a
 * supervisor is told when they look like one payment taken twice.
 */
import { parseHlc } from './clock.ts';

export interface PaymentSeen {
  readonly factId: string;
  readonly accountId: string;
  readonly amountMinor: number;
  /** The hybrid clock stamp the device gave the payment. */
  readonly hlc: string;
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
  const when = parseHlc(arriving.hlc)?.wallMs;
  if (when === undefined) return undefined;
  const matches = held
    .filter((other) => other.factId !== arriving.factId && other.accountId === arriving.accountId)
    .map((other) => ({ other, gap: Math.abs((parseHlc(other.hlc)?.wallMs ?? Number.NaN) - when) }))
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
