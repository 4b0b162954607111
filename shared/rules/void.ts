/**
 * What a void does: which payment it names (by fact id, or by the receipt number the agent
 * typed from a printed receipt), and then, by `voidDecision` in shared/conflicts.ts, whether it
 * waits for that payment, reverses it, or is flagged. What it reverses is what the payment
 * counted: its amount if it counted (shared/rules/payment.ts), nothing if it never did.
 */
import { voidDecision, type PaymentState } from '../conflicts.ts';
import type { FactOf } from '../facts.ts';
import type { FlagReason } from '../protocol.ts';

/** A payment a void could name, as the hub holds it. */
export interface VoidCandidate extends PaymentState {
  readonly receiptNumber: string;
}

export type VoidTarget =
  | { readonly kind: 'found'; readonly payment: VoidCandidate }
  | { readonly kind: 'not-yet'; readonly paymentId: string | undefined }
  | { readonly kind: 'ambiguous' };

/**
 * The payment a void names. By id it is that payment or none yet. By receipt number it is the
 * one payment with that number, preferring one on the void's account; two or more the hub
 * cannot tell apart leave the void for a supervisor.
 */
export function voidTarget(
  body: FactOf<'void'>['body'],
  byId: (paymentId: string) => VoidCandidate | undefined,
  byReceipt: (receiptNumber: string) => readonly VoidCandidate[],
): VoidTarget {
  if (body.paymentId !== undefined) {
    const payment = byId(body.paymentId);
    return payment ? { kind: 'found', payment } : { kind: 'not-yet', paymentId: body.paymentId };
  }
  const candidates = byReceipt(body.receiptNumber ?? '');
  const here = candidates.filter((payment) => payment.accountId === body.accountId);
  const pool = here.length > 0 ? here : candidates;
  const [only, ...others] = pool;
  if (!only) return { kind: 'not-yet', paymentId: undefined };
  return others.length === 0 ? { kind: 'found', payment: only } : { kind: 'ambiguous' };
}

export type VoidOutcome =
  | { readonly kind: 'hold' }
  | { readonly kind: 'apply'; readonly paymentId: string; readonly reverseMinor: number }
  | { readonly kind: 'flag'; readonly reason: FlagReason };

/** The void's fate given its target: held until the payment is here, or decided against it. */
export function decideVoid(
  fact: { readonly id: string; readonly body: FactOf<'void'>['body'] },
  target: VoidTarget,
  provenance: FlagReason | undefined,
): VoidOutcome {
  if (provenance !== undefined) return { kind: 'flag', reason: provenance };
  if (target.kind === 'ambiguous') return { kind: 'flag', reason: 'void-reference-ambiguous' };
  if (target.kind === 'not-yet') return { kind: 'hold' };
  const payment = target.payment;
  const decision = voidDecision(
    {
      factId: fact.id,
      accountId: fact.body.accountId,
      paymentId: payment.factId,
      amountMinor: fact.body.amountMinor,
    },
    payment,
  );
  if (decision.kind === 'apply')
    return { kind: 'apply', paymentId: payment.factId, reverseMinor: decision.reverseMinor };
  return decision;
}
