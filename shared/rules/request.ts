/**
 * Refund and credit-transfer requests: the same rule on the tablet (before it records one) and
 * at the hub (when one arrives). A request asks for credit the account has and no other
 * request waiting for a supervisor already asked for; a transfer goes to another account, found
 * by its number, in the same currency. A request that passes waits (`held`) for a supervisor's
 * decision and moves no money until then; one that does not is flagged.
 */
import type { FactOf } from '../facts.ts';
import type { CurrencyCode, MinorUnits } from '../money.ts';
import type { FlagReason } from '../protocol.ts';

export interface CreditRequestContext {
  readonly provenance: FlagReason | undefined;
  /** The account as the deciding side knows it: its currency and balance (negative: credit). */
  readonly account: { readonly currency: CurrencyCode; readonly balanceMinor: number } | undefined;
  /** What requests on the account that wait for a supervisor already asked for. */
  readonly requestedMinor: number;
  /** A transfer's target, found by its account number (undefined: no such account). */
  readonly target?: { readonly id: string; readonly currency: CurrencyCode } | undefined;
}

/** Credit the account can still be asked for: its credit less what waiting requests ask. */
export function creditAvailable(balanceMinor: number, requestedMinor: number): MinorUnits {
  return Math.max(0, -balanceMinor - requestedMinor) as MinorUnits;
}

export function creditRequestFlag(
  fact:
    | Pick<FactOf<'refund-request'>, 'kind' | 'body'>
    | Pick<FactOf<'transfer-request'>, 'kind' | 'body'>,
  context: CreditRequestContext,
): FlagReason | undefined {
  const { account, provenance } = context;
  const body = fact.body;
  if (provenance !== undefined) return provenance;
  if (!account) return 'account-not-found';
  if (account.currency !== body.currency) return 'currency-mismatch';
  if (body.amountMinor <= 0) return 'amount-must-be-positive';
  if (fact.kind === 'transfer-request') {
    const target = context.target;
    if (!target) return 'transfer-target-not-found';
    if (target.id === body.accountId) return 'transfer-to-same-account';
    if (target.currency !== body.currency) return 'currency-mismatch';
  }
  if (body.amountMinor > creditAvailable(account.balanceMinor, context.requestedMinor))
    return 'credit-not-available';
  return undefined;
}
