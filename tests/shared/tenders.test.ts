/**
 * Goal: the one-tap tenders a cash payment offers (shared/denominations.ts, `likelyTenders`)
 * are sums a customer could hand over for the amount: each above it, a multiple of one of the
 * currency's notes or coins, at most three, smallest first, none repeated; and the next
 * multiple of the largest note is always among them (a customer with big notes is never left
 * out), a round amount included.
 *
 * Method: properties over every currency and amounts up to ten million units (fast-check), and
 * the worked example of the function's comment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DENOMINATIONS, likelyTenders } from '../../shared/denominations.ts';
import { currencyCodes, type CurrencyCode } from '../../shared/money.ts';

describe('likely tenders', () => {
  it('are sums above the amount, of one note each, three at most, ascending', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(currencyCodes as readonly CurrencyCode[])),
        fc.integer({ min: 1, max: 1_000_000_000 }),
        (currency, amount) => {
          const tenders = likelyTenders(amount, currency);
          const notes = DENOMINATIONS[currency];
          const largest = notes[0] ?? 1;
          expect(tenders.length).toBeGreaterThan(0);
          expect(tenders.length).toBeLessThanOrEqual(3);
          expect(new Set(tenders).size).toBe(tenders.length);
          expect([...tenders].sort((a, b) => a - b)).toEqual(tenders);
          for (const tender of tenders) {
            expect(tender).toBeGreaterThan(amount);
            expect(notes.some((note) => tender % note === 0)).toBe(true);
          }
          expect(tenders).toContain((Math.floor(amount / largest) + 1) * largest);
        },
      ),
    );
  });

  it('for 1,234.50 shillings: 1,400, 1,500 and 2,000; for 1,000: 1,200, 1,500, 2,000', () => {
    expect(likelyTenders(123_450, 'KES')).toEqual([140_000, 150_000, 200_000]);
    expect(likelyTenders(100_000, 'KES')).toEqual([120_000, 150_000, 200_000]);
    expect(likelyTenders(0, 'KES')).toEqual([]);
    expect(likelyTenders(-5, 'KES')).toEqual([]);
  });
});
