/**
 * The end of an agent's day: the cash the tablet took since its last handover, by method, and
 * the hand-over itself. The agent counts the cash blind (before seeing what is expected); the
 * count is the sum of its notes and coins; a difference from what is expected beyond the
 * tolerance needs a reason. The same rule on the tablet and at the hub, which also recomputes
 * what was expected from the facts it holds of that tablet: it trusts no total a device sends.
 */
import type { FactOf, PaymentMethod } from '../facts.ts';
import type { CurrencyCode } from '../money.ts';
import type { FlagReason } from '../protocol.ts';

/** A difference up to this many minor units needs no reason (a coin's rounding, a note torn). */
export const DEFAULT_HANDOVER_TOLERANCE_MINOR = 5_000;

/** One of the tablet's facts as the day's totals read it. */
export interface CashFact {
  readonly seq: number;
  readonly kind: 'payment' | 'void';
  readonly method: PaymentMethod;
  readonly currency: CurrencyCode;
  /** Cash into the agent's hands: a cash payment's amount, less for a void of one. */
  readonly cashMinor: number;
  readonly amountMinor: number;
}

export interface MethodTotal {
  readonly method: PaymentMethod;
  readonly count: number;
  readonly amountMinor: number;
}

/** Payments by method (voids of this tablet's payments taken off), and the cash expected. */
export function dayTotals(facts: readonly CashFact[], currency: CurrencyCode) {
  const byMethod = new Map<PaymentMethod, { count: number; amountMinor: number }>();
  let expectedCashMinor = 0;
  for (const fact of facts) {
    if (fact.currency !== currency) continue;
    expectedCashMinor += fact.cashMinor;
    const total = byMethod.get(fact.method) ?? { count: 0, amountMinor: 0 };
    if (fact.kind === 'payment') {
      total.count += 1;
      total.amountMinor += fact.amountMinor;
    } else total.amountMinor -= fact.amountMinor;
    byMethod.set(fact.method, total);
  }
  const methods: MethodTotal[] = [...byMethod].map(([method, total]) => ({ method, ...total }));
  return { methods, expectedCashMinor };
}

export interface HandoverContext {
  readonly provenance: FlagReason | undefined;
  /** The cash the hub (or the tablet) expects over the handover's facts. */
  readonly expectedCashMinor: number;
  readonly toleranceMinor: number;
  /** The device's last handover's `throughSeq` (0: none): a handover covers what follows it. */
  readonly previousThroughSeq: number;
}

export function handoverFlag(
  fact: Pick<FactOf<'handover'>, 'body'>,
  context: HandoverContext,
): FlagReason | undefined {
  const body = fact.body;
  if (context.provenance !== undefined) return context.provenance;
  const counted = body.counted.reduce((sum, line) => sum + line.valueMinor * line.count, 0);
  if (counted !== body.countedMinor) return 'count-total-mismatch';
  if (body.fromSeq !== context.previousThroughSeq + 1) return 'handover-out-of-order';
  if (body.expectedMinor !== context.expectedCashMinor) return 'handover-expected-mismatch';
  const variance = body.countedMinor - body.expectedMinor;
  if (Math.abs(variance) > context.toleranceMinor && body.varianceReason === undefined)
    return 'variance-unexplained';
  return undefined;
}
