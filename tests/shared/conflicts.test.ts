/**
 * Goal: the duplicate-payment rule flags what looks like one payment taken twice (same
 * account, close amounts, close in time) and nothing else, and its answer does not depend on
 * the order in which the hub happens to hold the other payments.
 *
 * Method: named cases at the edges of the window and the amount tolerance; a fast-check
 * property over shuffled candidate lists.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../shared/clock.ts';
import { DUPLICATE_WINDOW_MS, duplicateOf, type PaymentSeen } from '../../shared/conflicts.ts';

const T0 = Date.UTC(2026, 10, 20, 9, 0);
const stamp = (ms: number, node = 'device-a') => formatHlc({ wallMs: ms, counter: 0, node });
const payment = (
  factId: string,
  amountMinor: number,
  ms: number,
  accountId = 'acc-0001',
): PaymentSeen => ({
  factId,
  accountId,
  amountMinor,
  hlc: stamp(ms),
});

describe('possible duplicate payments', () => {
  it('flags the same amount on the same account ten minutes apart', () => {
    expect(
      duplicateOf(payment('f-2', 150_000, T0 + 600_000), [payment('f-1', 150_000, T0)])?.factId,
    ).toBe('f-1');
  });

  it('flags amounts within five percent, and not beyond', () => {
    expect(
      duplicateOf(payment('f-2', 104_999, T0 + 60_000), [payment('f-1', 100_000, T0)]),
    ).toBeDefined();
    expect(
      duplicateOf(payment('f-2', 106_000, T0 + 60_000), [payment('f-1', 100_000, T0)]),
    ).toBeUndefined();
  });

  it('does not flag payments further apart than the window, or on another account', () => {
    expect(
      duplicateOf(payment('f-2', 150_000, T0 + DUPLICATE_WINDOW_MS + 1), [
        payment('f-1', 150_000, T0),
      ]),
    ).toBeUndefined();
    expect(
      duplicateOf(payment('f-2', 150_000, T0 + 60_000), [payment('f-1', 150_000, T0, 'acc-0003')]),
    ).toBeUndefined();
  });

  it('does not flag a payment against itself (the same fact sent again)', () => {
    expect(duplicateOf(payment('f-1', 150_000, T0), [payment('f-1', 150_000, T0)])).toBeUndefined();
  });

  it('picks the nearest match, then the lowest id, whatever the order the hub holds them in', () => {
    const held = [
      payment('f-9', 150_000, T0 - 300_000),
      payment('f-3', 150_000, T0 + 120_000),
      payment('f-4', 150_000, T0 - 120_000),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(held, { minLength: 3, maxLength: 3 }), (order) => {
        expect(duplicateOf(payment('f-5', 150_000, T0), order)?.factId).toBe('f-3');
      }),
    );
  });
});
