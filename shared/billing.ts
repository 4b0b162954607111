/**
 * Bills and how payments pay them. A payment pays the oldest open bill first (by due date,
 * then issue date, then id, so the order is total and the same everywhere); what is left over
 * is credit on the account. Every minor unit of a payment ends either in a bill or in credit.
 */
import { z } from 'zod';
import { assert } from './assert.ts';
import { minOf, minor, minorUnitsSchema, subtract, ZERO, type MinorUnits } from './money.ts';

export const billSchema = z.object({
  id: z.string().min(1),
  /** The period billed: from its first day up to, not including, its last reading's day. */
  period: z.object({ from: z.iso.date(), to: z.iso.date() }),
  issuedOn: z.iso.date(),
  dueOn: z.iso.date(),
  kwh: z.number().int().min(0),
  amountMinor: minorUnitsSchema,
  paidMinor: minorUnitsSchema,
});

export type Bill = z.infer<typeof billSchema>;

export function outstanding(bill: Bill): MinorUnits {
  return subtract(bill.amountMinor, bill.paidMinor);
}

export function compareBillAge(a: Bill, b: Bill): number {
  if (a.dueOn !== b.dueOn) return a.dueOn < b.dueOn ? -1 : 1;
  if (a.issuedOn !== b.issuedOn) return a.issuedOn < b.issuedOn ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface Allocation {
  readonly billId: string;
  readonly amountMinor: MinorUnits;
}

export interface AllocationResult {
  readonly allocations: readonly Allocation[];
  readonly creditMinor: MinorUnits;
  /** The bills after the payment, in age order; fully paid ones are kept, with paid = amount. */
  readonly bills: readonly Bill[];
}

/** Pays `amount` into `bills`, oldest open bill first; the rest is credit. */
export function allocatePayment(bills: readonly Bill[], amount: MinorUnits): AllocationResult {
  assert(amount > 0, 'a payment to allocate must be positive');
  const ordered = [...bills].sort(compareBillAge);
  let left = amount;
  const allocations: Allocation[] = [];
  const after = ordered.map((bill) => {
    const open = outstanding(bill);
    if (left === 0 || open <= 0) return bill;
    const paid = minOf(open, left);
    left = subtract(left, paid);
    allocations.push({ billId: bill.id, amountMinor: paid });
    return { ...bill, paidMinor: minor(bill.paidMinor + paid) };
  });
  return { allocations, creditMinor: left, bills: after };
}

export function openBills(bills: readonly Bill[]): Bill[] {
  return [...bills].filter((bill) => outstanding(bill) > ZERO).sort(compareBillAge);
}

/**
 * Credit on the account pays new bills automatically (the auto-debit from balance): the same
 * oldest-first rule as a payment, with what is left staying credit.
 */
export function applyCredit(bills: readonly Bill[], creditMinor: MinorUnits): AllocationResult {
  if (creditMinor <= 0)
    return { allocations: [], creditMinor: ZERO, bills: [...bills].sort(compareBillAge) };
  return allocatePayment(bills, creditMinor);
}
