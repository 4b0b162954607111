/**
 * Goal: refunds and credit transfers are decisions that conserve money and need a second
 * person; credit on an account pays new bills by itself, oldest first.
 *
 * Method: fast-check properties over balances and amounts, and named refusals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCredit, outstanding, type Bill } from '../../shared/billing.ts';
import { decideCreditTransfer, decideRefund } from '../../shared/decisions.ts';
import { minor } from '../../shared/money.ts';

const approval = { requestedBy: 'user-amina', approvedBy: 'user-grace' };
const account = (id: string, balance: number, currency = 'KES') => ({
  accountId: id,
  currency,
  balanceMinor: minor(balance),
});

describe('refunds', () => {
  it('pays out credit: the balance rises by the amount, never above zero', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (credit, amount) => {
          const result = decideRefund(account('acc-1', -credit), minor(amount), approval);
          if (amount > credit) expect(result).toEqual({ ok: false, error: 'not-enough-credit' });
          else expect(result).toEqual({ ok: true, value: { balanceAfterMinor: amount - credit } });
        },
      ),
    );
  });

  it('needs an approver other than the person who asked, and a positive amount', () => {
    expect(
      decideRefund(account('acc-1', -500), minor(100), {
        requestedBy: 'user-grace',
        approvedBy: 'user-grace',
      }),
    ).toEqual({
      ok: false,
      error: 'approver-is-requester',
    });
    expect(decideRefund(account('acc-1', -500), minor(0), approval)).toEqual({
      ok: false,
      error: 'amount-must-be-positive',
    });
    expect(decideRefund(account('acc-1', 2_000), minor(1), approval)).toEqual({
      ok: false,
      error: 'not-enough-credit',
    });
  });
});

describe('credit transfers', () => {
  it('move credit between accounts and leave the two balances’ sum unchanged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5_000_000, max: 5_000_000 }),
        fc.integer({ min: -5_000_000, max: 5_000_000 }),
        fc.integer({ min: 1, max: 5_000_000 }),
        (fromBalance, toBalance, amount) => {
          const result = decideCreditTransfer(
            account('acc-1', fromBalance),
            account('acc-2', toBalance),
            minor(amount),
            approval,
          );
          if (fromBalance > -amount) {
            expect(result).toEqual({ ok: false, error: 'not-enough-credit' });
            return;
          }
          if (!result.ok) throw new Error(result.error);
          expect(result.value.fromAfterMinor + result.value.toAfterMinor).toBe(
            fromBalance + toBalance,
          );
          expect(result.value.fromAfterMinor).toBeLessThanOrEqual(0);
        },
      ),
    );
  });

  it('refuses a move to the same account or across currencies', () => {
    expect(
      decideCreditTransfer(account('acc-1', -900), account('acc-1', 0), minor(100), approval),
    ).toEqual({ ok: false, error: 'same-account' });
    expect(
      decideCreditTransfer(
        account('acc-1', -900),
        account('acc-2', 0, 'CNY'),
        minor(100),
        approval,
      ),
    ).toEqual({
      ok: false,
      error: 'currency-mismatch',
    });
  });
});

describe('credit applied to new bills (auto-debit from balance)', () => {
  const bill = (id: string, dueOn: string, amount: number): Bill => ({
    id,
    period: { from: `${dueOn.slice(0, 7)}-01`, to: dueOn },
    issuedOn: dueOn,
    dueOn,
    kwh: 100,
    amountMinor: minor(amount),
    paidMinor: minor(0),
  });

  it('pays the oldest bill first and keeps the rest as credit, every minor unit accounted for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 5 }),
        fc.integer({ min: 0, max: 300_000 }),
        (amounts, credit) => {
          const bills = amounts.map((amount, i) => bill(`b-${i}`, `2026-0${i + 1}-15`, amount));
          const result = applyCredit(bills, minor(credit));
          const used = result.allocations.reduce((sum, part) => sum + part.amountMinor, 0);
          expect(used + result.creditMinor).toBe(credit);
          const open = result.bills.map((b) => outstanding(b));
          const firstOpen = open.findIndex((left) => left > 0);
          if (firstOpen >= 0)
            expect(result.bills.slice(firstOpen + 1).every((b) => b.paidMinor === 0)).toBe(true);
        },
      ),
    );
  });
});
