/**
 * Goal: a payment pays bills exactly: every minor unit ends in a bill or in credit, the
 * oldest open bill is paid first, and no bill is paid past what it asks.
 *
 * Method: property tests with fast-check over arbitrary sets of bills (some paid, some part
 * paid, shared due dates so the tie-breaks matter) and arbitrary payments, checking each
 * rule directly on the result; and a hand-worked table case with distinct values throughout.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../shared/assert.ts';
import {
  allocatePayment,
  compareBillAge,
  openBills,
  outstanding,
  type Bill,
} from '../../shared/billing.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';

const DAY_MS = 24 * 3600 * 1000;
const FIRST_DAY_MS = Date.UTC(2025, 0, 1);

function isoDay(offset: number): string {
  return new Date(FIRST_DAY_MS + offset * DAY_MS).toISOString().slice(0, 10);
}

function bill(id: string, dueOn: string, issuedOn: string, amount: number, paid: number): Bill {
  return {
    id,
    period: { from: `${issuedOn.slice(0, 7)}-01`, to: issuedOn },
    issuedOn,
    dueOn,
    kwh: 100,
    amountMinor: minor(amount),
    paidMinor: minor(paid),
  };
}

/** Bills with unique ids; due and issue days drawn from a small range so that ties happen. */
const billsArb = fc
  .uniqueArray(
    fc.record({
      id: fc.stringMatching(/^b-[a-z0-9]{1,6}$/),
      dueDay: fc.integer({ min: 0, max: 40 }),
      issuedBefore: fc.integer({ min: 0, max: 30 }),
      amount: fc.integer({ min: 1, max: 5_000_000 }),
      paidShare: fc.oneof(
        fc.constant(0),
        fc.constant(1),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
    }),
    { selector: (row) => row.id, maxLength: 12 },
  )
  .map((rows) =>
    rows.map((row) =>
      bill(
        row.id,
        isoDay(row.dueDay),
        isoDay(row.dueDay - row.issuedBefore),
        row.amount,
        Math.floor(row.amount * row.paidShare),
      ),
    ),
  );

const paymentArb = fc.integer({ min: 1, max: 80_000_000 }).map(minor);

function total(amounts: readonly MinorUnits[]): number {
  return amounts.reduce<number>((sum, amount) => sum + amount, 0);
}

describe('allocatePayment', () => {
  test('every minor unit of the payment ends in a bill or in credit', () => {
    fc.assert(
      fc.property(billsArb, paymentArb, (bills, amount) => {
        const result = allocatePayment(bills, amount);
        expect(total(result.allocations.map((a) => a.amountMinor)) + result.creditMinor).toBe(
          amount,
        );
        expect(result.creditMinor).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  test('no bill is paid past what it asks, and each allocation is positive and goes to one known bill once', () => {
    fc.assert(
      fc.property(billsArb, paymentArb, (bills, amount) => {
        const result = allocatePayment(bills, amount);
        const before = new Map(bills.map((b) => [b.id, b]));
        const seen = new Set<string>();
        for (const allocation of result.allocations) {
          const original = before.get(allocation.billId);
          expect(original).toBeDefined();
          expect(seen.has(allocation.billId)).toBe(false);
          seen.add(allocation.billId);
          expect(allocation.amountMinor).toBeGreaterThan(0);
          expect(allocation.amountMinor).toBeLessThanOrEqual(outstanding(original as Bill));
        }
        for (const after of result.bills)
          expect(after.paidMinor).toBeLessThanOrEqual(after.amountMinor);
      }),
    );
  });

  test('the bills after the payment are the bills before plus exactly their allocations', () => {
    fc.assert(
      fc.property(billsArb, paymentArb, (bills, amount) => {
        const result = allocatePayment(bills, amount);
        const allocated = new Map(
          result.allocations.map((a) => [a.billId, a.amountMinor as number]),
        );
        expect(result.bills).toHaveLength(bills.length);
        for (const original of bills) {
          const after = result.bills.find((b) => b.id === original.id);
          expect(after).toEqual({
            ...original,
            paidMinor: original.paidMinor + (allocated.get(original.id) ?? 0),
          });
        }
      }),
    );
  });

  test('pays oldest first: no bill gets money while an older bill is still open after the payment', () => {
    fc.assert(
      fc.property(billsArb, paymentArb, (bills, amount) => {
        const result = allocatePayment(bills, amount);
        const byAge = [...result.bills].sort(compareBillAge);
        const paidNow = new Set(result.allocations.map((a) => a.billId));
        byAge.forEach((younger, index) => {
          if (!paidNow.has(younger.id)) return;
          for (const older of byAge.slice(0, index)) expect(outstanding(older)).toBe(0);
        });
        const order = result.allocations.map((a) => byAge.findIndex((b) => b.id === a.billId));
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }),
    );
  });

  test('credit is left only when every bill is fully paid', () => {
    fc.assert(
      fc.property(billsArb, paymentArb, (bills, amount) => {
        const result = allocatePayment(bills, amount);
        if (result.creditMinor > 0)
          for (const after of result.bills) expect(outstanding(after)).toBe(0);
        else expect(total(result.allocations.map((a) => a.amountMinor))).toBe(amount);
      }),
    );
  });

  test('the outcome does not depend on the order the bills are given in', () => {
    fc.assert(
      fc.property(
        billsArb.chain((bills) =>
          fc.tuple(fc.constant(bills), fc.shuffledSubarray(bills, { minLength: bills.length })),
        ),
        paymentArb,
        ([bills, shuffled], amount) => {
          expect(allocatePayment(shuffled, amount)).toEqual(allocatePayment(bills, amount));
        },
      ),
    );
  });

  test('a payment pays a part-paid oldest bill, then the next, and leaves the third untouched', () => {
    const bills = [
      bill('acc-7-b2026-10', '2026-10-15', '2026-10-01', 186_750, 0),
      bill('acc-7-b2026-08', '2026-08-15', '2026-08-01', 196_650, 196_650),
      bill('acc-7-b2026-11', '2026-11-15', '2026-11-01', 173_400, 0),
      bill('acc-7-b2026-09', '2026-09-15', '2026-09-01', 183_450, 91_725),
    ];
    const result = allocatePayment(bills, minor(100_000));
    expect(result.allocations).toEqual([
      { billId: 'acc-7-b2026-09', amountMinor: 91_725 },
      { billId: 'acc-7-b2026-10', amountMinor: 8_275 },
    ]);
    expect(result.creditMinor).toBe(0);
    expect(result.bills.map((b) => [b.id, b.paidMinor])).toEqual([
      ['acc-7-b2026-08', 196_650],
      ['acc-7-b2026-09', 183_450],
      ['acc-7-b2026-10', 8_275],
      ['acc-7-b2026-11', 0],
    ]);
  });

  test('a payment larger than everything owed pays every bill and leaves the rest as credit', () => {
    const bills = [
      bill('b-old', '2026-01-15', '2026-01-01', 4_321, 1_000),
      bill('b-new', '2026-02-15', '2026-02-01', 6_789, 0),
    ];
    const result = allocatePayment(bills, minor(12_000));
    expect(result.allocations).toEqual([
      { billId: 'b-old', amountMinor: 3_321 },
      { billId: 'b-new', amountMinor: 6_789 },
    ]);
    expect(result.creditMinor).toBe(1_890);
  });

  test('with no bills at all the whole payment is credit', () => {
    expect(allocatePayment([], minor(5_550))).toEqual({
      allocations: [],
      creditMinor: 5_550,
      bills: [],
    });
  });

  test.each([0, -250])('a payment of %i is a programmer error', (amount) => {
    expect(() =>
      allocatePayment([bill('b-x', '2026-03-15', '2026-03-01', 900, 0)], minor(amount)),
    ).toThrow(AssertionError);
  });
});

describe('bill age', () => {
  test('orders by due date, then issue date, then id', () => {
    const bills = [
      bill('b-3', '2026-05-15', '2026-05-02', 110, 0),
      bill('b-2', '2026-05-15', '2026-05-01', 120, 0),
      bill('b-1', '2026-05-15', '2026-05-02', 130, 0),
      bill('b-0', '2026-06-15', '2026-04-01', 140, 0),
      bill('b-9', '2026-04-15', '2026-04-30', 150, 0),
    ];
    expect([...bills].sort(compareBillAge).map((b) => b.id)).toEqual([
      'b-9',
      'b-2',
      'b-1',
      'b-3',
      'b-0',
    ]);
  });

  test('openBills keeps only bills with something outstanding, oldest first', () => {
    const bills = [
      bill('b-late', '2026-07-15', '2026-07-01', 700, 0),
      bill('b-done', '2026-05-15', '2026-05-01', 500, 500),
      bill('b-part', '2026-06-15', '2026-06-01', 600, 250),
    ];
    expect(openBills(bills).map((b) => b.id)).toEqual(['b-part', 'b-late']);
  });
});
