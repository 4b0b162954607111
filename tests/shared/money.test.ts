/**
 * Goal: money is exact. Parsing what a person typed and formatting an amount for the screen
 * are inverses in every currency; the one rounding function follows its written rules; the
 * one constructor refuses anything that is not an integer count of minor units in range.
 *
 * Method: property tests with fast-check over every currency and the whole money range, and
 * a table of hand-worked cases. Rounding is checked against an independent model that works
 * from the floor of the exact quotient and compares distances, rather than from magnitudes
 * as the code does, so the two cannot share a mistake.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../shared/assert.ts';
import {
  add,
  currencies,
  currencyCodes,
  formatAmount,
  formatMoney,
  MAX_ABS_MINOR,
  minor,
  minorUnitsSchema,
  parseAmount,
  roundQuotient,
  sum,
  type CurrencyCode,
  type RoundingRule,
} from '../../shared/money.ts';

const currencyArb = fc.constantFrom(...currencyCodes);
const amountArb = fc.integer({ min: 0, max: MAX_ABS_MINOR }).map(minor);

describe('parsing and formatting amounts', () => {
  test('every non-negative amount in every currency survives format then parse unchanged', () => {
    fc.assert(
      fc.property(currencyArb, amountArb, (currency, amount) => {
        expect(parseAmount(formatAmount(amount, currency), currency)).toEqual({
          ok: true,
          value: amount,
        });
      }),
    );
  });

  test('a formatted amount has exactly the currency’s number of decimals and groups thousands with commas', () => {
    fc.assert(
      fc.property(currencyArb, amountArb, (currency, amount) => {
        const text = formatAmount(amount, currency);
        const { exponent } = currencies[currency];
        const [whole, fraction] = text.split('.');
        expect(whole).toMatch(/^\d{1,3}(,\d{3})*$/);
        if (exponent === 0) expect(fraction).toBeUndefined();
        else expect(fraction).toMatch(new RegExp(`^\\d{${exponent}}$`));
      }),
    );
  });

  test.each<[number, CurrencyCode, string]>([
    [125050, 'KES', '1,250.50'],
    [7, 'CNY', '0.07'],
    [90, 'USD', '0.90'],
    [123456789, 'NGN', '1,234,567.89'],
    [1250, 'XOF', '1,250'],
    [3, 'XOF', '3'],
    [-4567801, 'INR', '-45,678.01'],
    [MAX_ABS_MINOR, 'KES', '10,000,000,000,000.00'],
  ])('formats %i minor units of %s as %s', (amount, currency, text) => {
    expect(formatAmount(minor(amount), currency)).toBe(text);
  });

  test('formatMoney puts the currency code before the amount', () => {
    expect(formatMoney(minor(98765), 'KES')).toBe('KES 987.65');
  });

  test.each<[string, CurrencyCode, number]>([
    ['1,250.5', 'KES', 125050],
    ['  1250  ', 'USD', 125000],
    ['0.07', 'CNY', 7],
    ['42.', 'NGN', 4200],
    ['3.100', 'INR', 310],
    ['19,999', 'XOF', 19999],
    ['608.000', 'XOF', 608],
    ['10,000,000,000,000.00', 'KES', MAX_ABS_MINOR],
    ['1000000000000000', 'XOF', MAX_ABS_MINOR],
  ])('reads %j in %s as %i minor units', (text, currency, expected) => {
    expect(parseAmount(text, currency)).toEqual({ ok: true, value: expected });
  });

  test.each<[string, CurrencyCode]>([
    ['', 'KES'],
    ['   ', 'USD'],
    ['abc', 'CNY'],
    ['-5', 'KES'],
    ['+5', 'INR'],
    ['1e3', 'NGN'],
    ['1.2.3', 'KES'],
    ['.75', 'USD'],
    ['12 34', 'XOF'],
    ['5,00x', 'KES'],
    ['NaN', 'CNY'],
    ['Infinity', 'USD'],
  ])('refuses %j in %s as amount-not-a-number', (text, currency) => {
    expect(parseAmount(text, currency)).toEqual({ ok: false, error: 'amount-not-a-number' });
  });

  test('a comma anywhere but between groups of three digits before the point is refused as amount-not-a-number', () => {
    // "12,50" is how much of the world writes twelve and a half; reading it as 1250 would
    // take a hundred times the money.
    const misplaced: [string, CurrencyCode][] = [
      ['12,50', 'KES'],
      ['1,2,3', 'USD'],
      [',500', 'CNY'],
      ['1,0000', 'INR'],
      ['1000,', 'NGN'],
      ['1,000.2,5', 'KES'],
      ['250,5', 'XOF'],
    ];
    const results = misplaced.map(([text, currency]) => [text, parseAmount(text, currency)]);
    expect(results).toEqual(
      misplaced.map(([text]) => [text, { ok: false, error: 'amount-not-a-number' }]),
    );
  });

  test.each<[string, CurrencyCode]>([
    ['100.5', 'XOF'],
    ['0.01', 'XOF'],
    ['1.234', 'KES'],
    ['0.001', 'USD'],
    ['12.3450001', 'CNY'],
  ])('refuses %j in %s as amount-too-precise', (text, currency) => {
    expect(parseAmount(text, currency)).toEqual({ ok: false, error: 'amount-too-precise' });
  });

  test.each<[string, CurrencyCode]>([
    ['10,000,000,000,000.01', 'KES'],
    ['1000000000000001', 'XOF'],
    ['99999999999999999999999', 'USD'],
  ])('refuses %j in %s as amount-too-large', (text, currency) => {
    expect(parseAmount(text, currency)).toEqual({ ok: false, error: 'amount-too-large' });
  });

  test('an amount with more significant decimals than the currency has is refused as too precise', () => {
    fc.assert(
      fc.property(
        currencyArb,
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        (currency, whole, extraDigits, lastDigit) => {
          const { exponent } = currencies[currency];
          const fraction = '0'.repeat(exponent + extraDigits - 1) + String(lastDigit);
          expect(parseAmount(`${whole}.${fraction}`, currency)).toEqual({
            ok: false,
            error: 'amount-too-precise',
          });
        },
      ),
    );
  });
});

/** Floor division of exact integers, the way a mathematician writes it. */
function floorDivide(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const inexact = numerator % denominator !== 0n;
  return inexact && numerator < 0n !== denominator < 0n ? quotient - 1n : quotient;
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/**
 * The independent model: the exact quotient lies between two neighbouring integers; pick the
 * nearer, and on a tie or for truncation decide by the sign of the exact quotient.
 */
function modelRound(numerator: bigint, denominator: bigint, rule: RoundingRule): bigint {
  const below = floorDivide(numerator, denominator);
  if (below * denominator === numerator) return below;
  const above = below + 1n;
  const positive = numerator < 0n === denominator < 0n;
  if (rule === 'truncate') return positive ? below : above;
  const distanceBelow = abs(numerator - below * denominator);
  const distanceAbove = abs(above * denominator - numerator);
  if (distanceBelow < distanceAbove) return below;
  if (distanceAbove < distanceBelow) return above;
  if (rule === 'half-up') return positive ? above : below;
  return below % 2n === 0n ? below : above;
}

const rules: readonly RoundingRule[] = ['half-up', 'half-even', 'truncate'];
const ruleArb = fc.constantFrom(...rules);
const numeratorArb = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
);
const denominatorArb = fc
  .oneof(fc.bigInt({ min: -20n, max: 20n }), fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }))
  .filter((d) => d !== 0n);

describe('roundQuotient', () => {
  test.each<[bigint, bigint, bigint, bigint, bigint]>([
    // numerator, denominator, half-up, half-even, truncate
    [5n, 2n, 3n, 2n, 2n],
    [7n, 2n, 4n, 4n, 3n],
    [-5n, 2n, -3n, -2n, -2n],
    [-7n, 2n, -4n, -4n, -3n],
    [5n, -2n, -3n, -2n, -2n],
    [-9n, -2n, 5n, 4n, 4n],
    [1n, 3n, 0n, 0n, 0n],
    [2n, 3n, 1n, 1n, 0n],
    [-2n, 3n, -1n, -1n, 0n],
    [0n, 17n, 0n, 0n, 0n],
    [250n, 100n, 3n, 2n, 2n],
    [351n, 100n, 4n, 4n, 3n],
    [84n, 12n, 7n, 7n, 7n],
    [10n ** 24n + 5n * 10n ** 5n, 10n ** 6n, 10n ** 18n + 1n, 10n ** 18n, 10n ** 18n],
  ])(
    '%i / %i rounds to %i half-up, %i half-even and %i truncated',
    (numerator, denominator, halfUp, halfEven, truncated) => {
      expect(roundQuotient(numerator, denominator, 'half-up')).toBe(halfUp);
      expect(roundQuotient(numerator, denominator, 'half-even')).toBe(halfEven);
      expect(roundQuotient(numerator, denominator, 'truncate')).toBe(truncated);
    },
  );

  test('agrees with the independent model for every rule, sign and size', () => {
    fc.assert(
      fc.property(numeratorArb, denominatorArb, ruleArb, (numerator, denominator, rule) => {
        expect(roundQuotient(numerator, denominator, rule)).toBe(
          modelRound(numerator, denominator, rule),
        );
      }),
      { numRuns: 2000 },
    );
  });

  test('the result is less than one away from the exact quotient, and at most one half for the half rules', () => {
    fc.assert(
      fc.property(numeratorArb, denominatorArb, ruleArb, (numerator, denominator, rule) => {
        const error = abs(roundQuotient(numerator, denominator, rule) * denominator - numerator);
        expect(error < abs(denominator)).toBe(true);
        if (rule !== 'truncate') expect(2n * error <= abs(denominator)).toBe(true);
      }),
    );
  });

  test('truncation goes toward zero: never larger in size than the exact quotient, never of the other sign', () => {
    fc.assert(
      fc.property(numeratorArb, denominatorArb, (numerator, denominator) => {
        const result = roundQuotient(numerator, denominator, 'truncate');
        expect(abs(result * denominator) <= abs(numerator)).toBe(true);
        if (result !== 0n) expect(result < 0n).toBe(numerator < 0n !== denominator < 0n);
      }),
    );
  });

  test('every rule is symmetric about zero: negating the numerator negates the result', () => {
    fc.assert(
      fc.property(numeratorArb, denominatorArb, ruleArb, (numerator, denominator, rule) => {
        expect(roundQuotient(-numerator, denominator, rule)).toBe(
          -roundQuotient(numerator, denominator, rule),
        );
      }),
    );
  });

  test('an exact quotient is returned unchanged by every rule', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        denominatorArb,
        ruleArb,
        (quotient, denominator, rule) => {
          expect(roundQuotient(quotient * denominator, denominator, rule)).toBe(quotient);
        },
      ),
    );
  });

  test('dividing by zero is a programmer error', () => {
    expect(() => roundQuotient(11n, 0n, 'half-even')).toThrow(AssertionError);
  });
});

describe('the minor() constructor', () => {
  test('accepts every integer inside the range and returns it unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_ABS_MINOR, max: MAX_ABS_MINOR }), (value) => {
        expect(minor(value)).toBe(value);
      }),
    );
  });

  test.each([
    0.5,
    -12.25,
    1e-9,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    MAX_ABS_MINOR + 1,
    -MAX_ABS_MINOR - 1,
  ])('refuses %d', (value) => {
    expect(() => minor(value)).toThrow(AssertionError);
  });

  test('refuses every number that is not an integer', () => {
    fc.assert(
      fc.property(
        fc.double().filter((value) => !Number.isInteger(value)),
        (value) => {
          expect(() => minor(value)).toThrow(AssertionError);
        },
      ),
    );
  });

  test('the message schema accepts exactly what minor() accepts', () => {
    const valueArb = fc.oneof(
      fc.double(),
      fc.integer({ min: -MAX_ABS_MINOR - 1000, max: MAX_ABS_MINOR + 1000 }),
      fc.constantFrom(MAX_ABS_MINOR, -MAX_ABS_MINOR, MAX_ABS_MINOR + 1, -MAX_ABS_MINOR - 1),
    );
    fc.assert(
      fc.property(valueArb, (value) => {
        let constructorAccepts = true;
        try {
          minor(value);
        } catch {
          constructorAccepts = false;
        }
        expect(minorUnitsSchema.safeParse(value).success).toBe(constructorAccepts);
      }),
    );
  });

  test('adding past the range is refused rather than losing precision', () => {
    expect(() => add(minor(MAX_ABS_MINOR), minor(1))).toThrow(AssertionError);
    expect(() => sum([minor(-MAX_ABS_MINOR), minor(-2)])).toThrow(AssertionError);
    expect(sum([minor(301), minor(-45), minor(1200)])).toBe(1456);
  });
});
