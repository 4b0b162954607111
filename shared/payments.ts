/**
 * Rules of a cash payment at the door: the amount is positive, the customer handed over at
 * least that much, and the change is exactly the difference. The same check runs on the
 * device before a payment is stored and on the hub when it arrives.
 */
import { err, ok, type Result } from './result.ts';
import { minor, subtract, type MinorUnits } from './money.ts';
import { appliesUnder, type FlagReason } from './protocol.ts';

export type CashPaymentError = 'amount-must-be-positive' | 'tendered-less-than-amount';

export interface CashTender {
  readonly amountMinor: MinorUnits;
  readonly tenderedMinor: MinorUnits;
  readonly changeMinor: MinorUnits;
}

export function cashTender(
  amount: MinorUnits,
  tendered: MinorUnits,
): Result<CashTender, CashPaymentError> {
  if (amount <= 0) return err('amount-must-be-positive');
  if (tendered < amount) return err('tendered-less-than-amount');
  return ok({
    amountMinor: amount,
    tenderedMinor: tendered,
    changeMinor: subtract(tendered, amount),
  });
}

export type CashPaymentFlag = CashPaymentError | 'change-mismatch';

/** What is wrong with a payment fact that arrived, if anything: flagged, never dropped. */
export function cashPaymentFlag(payment: CashTender): CashPaymentFlag | undefined {
  const checked = cashTender(payment.amountMinor, payment.tenderedMinor);
  if (!checked.ok) return checked.error;
  if (checked.value.changeMinor !== minor(payment.changeMinor)) return 'change-mismatch';
  return undefined;
}

/**
 * A payment the agent confirms before it is recorded: twice what is owed or more (a zero typed
 * too many), or any payment when nothing is owed (all of it becomes credit). The same rule for
 * every method.
 */
export function farAboveOwed(amount: MinorUnits, owedMinor: number): boolean {
  if (amount <= 0) return false;
  return owedMinor <= 0 || amount >= 2 * owedMinor;
}

/** How a payment stands, as the supervisor's list shows it; each payment is in exactly one. */
export const paymentStandings = ['applied', 'applied-flagged', 'voided', 'not-applied'] as const;
export type PaymentStanding = (typeof paymentStandings)[number];

/**
 * A payment's state from what the hub decided: voided once a void reversed it (whether or not
 * it counted), otherwise applied (with or without a flag) or not applied.
 */
export function paymentStanding(payment: {
  readonly reason: FlagReason | null;
  readonly voidedBy: string | null;
}): PaymentStanding {
  if (payment.voidedBy !== null) return 'voided';
  if (!appliesUnder(payment.reason)) return 'not-applied';
  return payment.reason === null ? 'applied' : 'applied-flagged';
}
