/**
 * The end of an agent's day: the cash the tablet took since its last handover, by method, and
 * the hand-over itself. The agent counts the cash blind (before seeing what is expected); the
 * count is the sum of its notes and coins; a difference from what is expected beyond the
 * tolerance needs a reason. The same rule on the tablet and at the hub, which also recomputes
 * what was expected from the facts it holds of that tablet: it trusts no total a device sends.
 */
import type { FactOf, KindAndBody, PaymentMethod, VoidBody } from '../facts.ts';
import type { FlagReason } from '../protocol.ts';

/** A difference up to this many minor units needs no reason (a coin's rounding, a note torn). */
export const DEFAULT_HANDOVER_TOLERANCE_MINOR = 5_000;

/** A payment of the tablet's own, as a void of it is counted: what it put in the agent's hands. */
export interface OwnPayment {
  readonly method: PaymentMethod;
  readonly amountMinor: number;
}

/**
 * The cash a tablet's facts put in its agent's hands: its cash payments, less the voids of its
 * own cash payments (a card or mobile payment put no cash in hand, and neither does a void of
 * another tablet's payment). `ownPayment` finds the payment a void names among the tablet's own.
 */
export function cashOf(
  facts: readonly KindAndBody[],
  ownPayment: (body: VoidBody) => OwnPayment | undefined,
): number {
  let cash = 0;
  for (const fact of facts) {
    if (fact.kind === 'payment' && fact.body.method === 'cash') cash += fact.body.amountMinor;
    if (fact.kind === 'void') {
      const own = ownPayment(fact.body);
      if (own?.method === 'cash') cash -= own.amountMinor;
    }
  }
  return cash;
}

/** A payment, or a void of one of the tablet's own (with that payment's method and amount). */
export interface CashFact {
  readonly kind: 'payment' | 'void';
  readonly method: PaymentMethod;
  readonly amountMinor: number;
}

export interface MethodTotal {
  readonly method: PaymentMethod;
  readonly count: number;
  readonly amountMinor: number;
}

/** Payments by method, what voids took back taken off, in the order methods first appear. */
export function dayTotals(facts: readonly CashFact[]): MethodTotal[] {
  const byMethod = new Map<PaymentMethod, { count: number; amountMinor: number }>();
  for (const fact of facts) {
    const total = byMethod.get(fact.method) ?? { count: 0, amountMinor: 0 };
    if (fact.kind === 'payment') {
      total.count += 1;
      total.amountMinor += fact.amountMinor;
    } else total.amountMinor -= fact.amountMinor;
    byMethod.set(fact.method, total);
  }
  return [...byMethod].map(([method, total]) => ({ method, ...total }));
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
