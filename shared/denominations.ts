/**
 * The notes and coins of each currency an agent counts at a handover, largest first, in minor
 * units: what the blind count asks for, one line each.
 */
import type { CurrencyCode } from './money.ts';

export const DENOMINATIONS: Readonly<Record<CurrencyCode, readonly number[]>> = {
  KES: [100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 100],
  CNY: [10_000, 5_000, 2_000, 1_000, 500, 100, 50, 10],
  KRW: [50_000, 10_000, 5_000, 1_000, 500, 100, 50, 10],
  INR: [50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100],
  NGN: [100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500],
  XOF: [10_000, 5_000, 2_000, 1_000, 500, 250, 200, 100, 50, 25, 10, 5, 1],
  USD: [10_000, 5_000, 2_000, 1_000, 500, 200, 100, 25, 10, 5, 1],
};

/**
 * What a customer is likely to hand over for `amount`: the next multiple above it of the largest
 * notes first, three at most, smallest first (the exact amount is the agent's other one-tap
 * choice). For 1,234.50 shillings: 1,400, 1,500 and 2,000; for 1,000: 1,200, 1,500, 2,000.
 */
export function likelyTenders(amount: number, currency: CurrencyCode): number[] {
  if (!Number.isSafeInteger(amount) || amount <= 0) return [];
  const tenders = new Set<number>();
  for (const note of DENOMINATIONS[currency]) {
    // The next multiple of the note above the amount (a round amount is paid exactly, or with
    // a bigger note: the exact amount is the agent's other choice).
    const rounded = (Math.floor(amount / note) + 1) * note;
    if (Number.isSafeInteger(rounded)) tenders.add(rounded);
    if (tenders.size === 3) break;
  }
  return [...tenders].sort((a, b) => a - b);
}
