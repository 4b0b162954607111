/**
 * Goal: the cash rules at the door are exact and the same wherever they run: the amount is
 * positive, the customer handed over at least that much, and the change is the difference;
 * a payment that arrived with the wrong change is flagged, not silently corrected.
 *
 * Method: property tests with fast-check over amounts across the money range, checked against
 * the rules written out directly, and a few hand-worked cases with distinct values.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { cashPaymentFlag, cashTender, farAboveOwed } from '../../shared/payments.ts';

const HALF = MAX_ABS_MINOR / 2;
const anyAmountArb = fc.integer({ min: -HALF, max: HALF }).map(minor);

describe('cashTender', () => {
  test('accepts a positive amount with enough tendered and gives the difference as change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: HALF }),
        fc.integer({ min: 0, max: HALF }),
        (amount, extra) => {
          const result = cashTender(minor(amount), minor(amount + extra));
          expect(result).toEqual({
            ok: true,
            value: { amountMinor: amount, tenderedMinor: amount + extra, changeMinor: extra },
          });
        },
      ),
    );
  });

  test('refuses an amount that is not positive, whatever was tendered', () => {
    fc.assert(
      fc.property(fc.integer({ min: -HALF, max: 0 }), anyAmountArb, (amount, tendered) => {
        expect(cashTender(minor(amount), tendered)).toEqual({
          ok: false,
          error: 'amount-must-be-positive',
        });
      }),
    );
  });

  test('refuses a tender smaller than the amount', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: HALF }),
        fc.integer({ min: 1, max: HALF }),
        (amount, short) => {
          expect(cashTender(minor(amount), minor(amount - short))).toEqual({
            ok: false,
            error: 'tendered-less-than-amount',
          });
        },
      ),
    );
  });

  test('hand-worked: KES 1,234.50 paid with KES 1,500.00 gives KES 265.50 change', () => {
    expect(cashTender(minor(123_450), minor(150_000))).toEqual({
      ok: true,
      value: { amountMinor: 123_450, tenderedMinor: 150_000, changeMinor: 26_550 },
    });
  });
});

describe('cashPaymentFlag', () => {
  test('a payment whose change is the exact difference is not flagged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: HALF }),
        fc.integer({ min: 0, max: HALF }),
        (amount, change) => {
          const flag = cashPaymentFlag({
            amountMinor: minor(amount),
            tenderedMinor: minor(amount + change),
            changeMinor: minor(change),
          });
          expect(flag).toBeUndefined();
        },
      ),
    );
  });

  test('a payment whose change differs from the difference is flagged change-mismatch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: HALF }),
        fc.integer({ min: 0, max: HALF }),
        fc.integer({ min: -HALF, max: HALF }),
        (amount, extra, change) => {
          fc.pre(change !== extra);
          const flag = cashPaymentFlag({
            amountMinor: minor(amount),
            tenderedMinor: minor(amount + extra),
            changeMinor: minor(change),
          });
          expect(flag).toBe('change-mismatch');
        },
      ),
    );
  });

  test('the flag is exactly the rule that is broken first: amount, then tender, then change', () => {
    fc.assert(
      fc.property(anyAmountArb, anyAmountArb, anyAmountArb, (amount, tendered, change) => {
        const expected =
          amount <= 0
            ? 'amount-must-be-positive'
            : tendered < amount
              ? 'tendered-less-than-amount'
              : change !== tendered - amount
                ? 'change-mismatch'
                : undefined;
        expect(
          cashPaymentFlag({ amountMinor: amount, tenderedMinor: tendered, changeMinor: change }),
        ).toBe(expected);
      }),
    );
  });

  test.each<[number, number, number, string | undefined]>([
    [2_500, 3_000, 500, undefined],
    [2_500, 3_000, 400, 'change-mismatch'],
    [2_500, 2_000, 0, 'tendered-less-than-amount'],
    [0, 1_000, 1_000, 'amount-must-be-positive'],
    [-700, 100, 800, 'amount-must-be-positive'],
  ])('amount %i tendered %i change %i is flagged %s', (amount, tendered, change, flag) => {
    expect(
      cashPaymentFlag({
        amountMinor: minor(amount),
        tenderedMinor: minor(tendered),
        changeMinor: minor(change),
      }),
    ).toBe(flag);
  });
});

describe('farAboveOwed: which amounts the agent confirms first', () => {
  const amounts = fc.integer({ min: 1, max: 1e12 });
  const owed = fc.integer({ min: -1e12, max: 1e12 });

  test('up to what is owed never asks; twice it or more always does; nothing owed always does', () => {
    fc.assert(
      fc.property(amounts, owed, (amount, owedMinor) => {
        const asks = farAboveOwed(minor(amount), owedMinor);
        if (owedMinor <= 0) expect(asks).toBe(true);
        else if (amount <= owedMinor) expect(asks).toBe(false);
        else if (amount >= 2 * owedMinor) expect(asks).toBe(true);
      }),
    );
  });

  test('asking is monotone: a larger amount on the same account asks if a smaller one did', () => {
    fc.assert(
      fc.property(amounts, amounts, owed, (a, b, owedMinor) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        if (farAboveOwed(minor(small), owedMinor))
          expect(farAboveOwed(minor(large), owedMinor)).toBe(true);
      }),
    );
  });

  test('a payment of nothing asks nothing: the cash rules refuse it', () => {
    expect(farAboveOwed(minor(0), 100)).toBe(false);
    expect(farAboveOwed(minor(0), -100)).toBe(false);
  });
});
