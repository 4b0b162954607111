/**
 * Goal: the hub's environment is read once at start, and a bad value stops it with a message
 * naming the variable. Here: the most one payment may carry, per currency.
 *
 * Method: `readEnv` on hand-made environments.
 */
import { describe, expect, test } from 'vitest';
import { readEnv } from '../../hub/env.ts';

describe('HUB_MAX_AMOUNT_MINOR', () => {
  test('names limits per currency; a currency not named keeps its default', () => {
    expect(
      readEnv({ HUB_MAX_AMOUNT_MINOR: 'KES=5000000, USD=100000' }).HUB_MAX_AMOUNT_MINOR,
    ).toEqual({ KES: 5_000_000, USD: 100_000 });
    expect(readEnv({}).HUB_MAX_AMOUNT_MINOR).toEqual({});
  });

  test.each([['XYZ=5'], ['KES=0'], ['KES=2000000000'], ['KES=12.5'], ['KES']])(
    '%s stops the hub with a message naming the variable',
    (value) => {
      expect(() => readEnv({ HUB_MAX_AMOUNT_MINOR: value })).toThrow(
        /HUB_MAX_AMOUNT_MINOR: must be/,
      );
    },
  );
});
