/**
 * What a budget setting does: it is accepted on a known account of its currency, and it takes
 * effect unless a setting stamped later by the hybrid clock (clamped to its arrival) already
 * did, so that devices that synced in any order end with the same budget.
 */
import { compareHlc, formatHlc, parseHlc } from '../clock.ts';
import { CLOCK_AHEAD_TOLERANCE_MS } from '../conflicts.ts';
import type { FactOf } from '../facts.ts';
import type { CurrencyCode } from '../money.ts';
import type { FlagReason } from '../protocol.ts';

export interface BudgetContext {
  readonly provenance: FlagReason | undefined;
  readonly account: { readonly currency: CurrencyCode } | undefined;
}

export function budgetFlag(fact: FactOf<'budget'>, context: BudgetContext): FlagReason | undefined {
  if (context.provenance !== undefined) return context.provenance;
  if (!context.account) return 'account-not-found';
  if (context.account.currency !== fact.body.currency) return 'currency-mismatch';
  return undefined;
}

/**
 * The stamp a setting counts with: its own, but never later than when the hub received it (plus
 * the clock tolerance), as for contact edits: a tablet whose clock ran years ahead once must
 * not win every later setting.
 */
export function budgetStamp(hlc: string, receivedAtMs: number): string {
  const stamp = parseHlc(hlc);
  if (!stamp) return hlc;
  const ceiling = receivedAtMs + CLOCK_AHEAD_TOLERANCE_MS;
  return stamp.wallMs > ceiling ? formatHlc({ ...stamp, wallMs: ceiling }) : hlc;
}

/** Whether a setting stamped `incoming` replaces the one stamped `current` (null: none yet). */
export function budgetSupersedes(incoming: string, current: string | null): boolean {
  if (current === null) return true;
  const a = parseHlc(incoming);
  const b = parseHlc(current);
  if (!a || !b) return incoming > current;
  return compareHlc(a, b) > 0;
}
