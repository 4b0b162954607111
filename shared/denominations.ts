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
