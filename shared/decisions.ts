/**
 * Decisions about money already on an account: refunds of credit and moves of credit to
 * another account. Each needs an approver other than the person who asked, and each conserves
 * money: a refund turns credit into cash paid out; a transfer moves credit from one balance to
 * another, and the two balances together do not change.
 *
 * Balances are what the customer owes: negative is credit.
 */
import { add, minor, subtract, type MinorUnits } from './money.ts';
import { err, ok, type Result } from './result.ts';

export type DecisionError =
  | 'amount-must-be-positive'
  | 'approver-is-requester'
  | 'not-enough-credit'
  | 'same-account'
  | 'currency-mismatch';

export interface Approval {
  readonly requestedBy: string;
  readonly approvedBy: string;
}

export interface AccountBalance {
  readonly accountId: string;
  readonly currency: string;
  readonly balanceMinor: MinorUnits;
}

function creditOf(account: AccountBalance): MinorUnits {
  return account.balanceMinor < 0 ? minor(-account.balanceMinor) : minor(0);
}

function checkApproval(approval: Approval, amount: MinorUnits): DecisionError | undefined {
  if (amount <= 0) return 'amount-must-be-positive';
  if (approval.requestedBy === approval.approvedBy) return 'approver-is-requester';
  return undefined;
}

/** A refund pays credit out: the balance rises by the amount, never above zero. */
export function decideRefund(
  account: AccountBalance,
  amount: MinorUnits,
  approval: Approval,
): Result<{ balanceAfterMinor: MinorUnits }, DecisionError> {
  const refused = checkApproval(approval, amount);
  if (refused) return err(refused);
  if (amount > creditOf(account)) return err('not-enough-credit');
  return ok({ balanceAfterMinor: add(account.balanceMinor, amount) });
}

/** Moves credit from one account to another of the same currency. */
export function decideCreditTransfer(
  from: AccountBalance,
  to: AccountBalance,
  amount: MinorUnits,
  approval: Approval,
): Result<{ fromAfterMinor: MinorUnits; toAfterMinor: MinorUnits }, DecisionError> {
  const refused = checkApproval(approval, amount);
  if (refused) return err(refused);
  if (from.accountId === to.accountId) return err('same-account');
  if (from.currency !== to.currency) return err('currency-mismatch');
  if (amount > creditOf(from)) return err('not-enough-credit');
  return ok({
    fromAfterMinor: add(from.balanceMinor, amount),
    toAfterMinor: subtract(to.balanceMinor, amount),
  });
}
