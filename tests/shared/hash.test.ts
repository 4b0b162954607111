/**
 * Goal: the hub's fast writer (canonicalJsonFast) writes every value exactly as the `canonicalize` package (RFC 8785's
 * reference implementation) does, byte for byte, and fails where it fails: a fact's hash and a
 * push's signing text must not change with the way they are written, on the device or the hub.
 *
 * Method: arbitrary JSON values (text with lone surrogates, keys that are digits, numbers of
 * every size) and arbitrary JavaScript values (undefined, symbols, dates, null prototypes,
 * sparse arrays) from fast-check, and a table of the cases where JSON.stringify and the package
 * part ways, are written by both and compared.
 */
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalJsonFast } from '../../shared/canonical-order.ts';

type Written = { readonly text: string } | { readonly fails: true };

function byPackage(value: unknown): Written {
  try {
    const text = canonicalize(value);
    return text === undefined ? { fails: true } : { text };
  } catch {
    return { fails: true };
  }
}

function byOurs(value: unknown): Written {
  try {
    return { text: canonicalJsonFast(value) };
  } catch {
    return { fails: true };
  }
}

describe('canonical JSON', () => {
  test('is the package’s text for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }), (value) => {
        expect(byOurs(value)).toEqual(byPackage(value));
      }),
      { numRuns: 2000 },
    );
  });

  test('is the package’s text, or fails as it does, for any JavaScript value', () => {
    const anything = fc.anything({
      maxDepth: 4,
      withBoxedValues: true,
      withDate: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withMap: true,
      withSet: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        expect(byOurs(value)).toEqual(byPackage(value));
      }),
      { numRuns: 2000 },
    );
  });

  const cases: [string, unknown][] = [
    ['keys out of order, nested', { b: 1, a: { d: [3, { f: 1, e: 2 }], c: 'x' } }],
    ['integer keys, which an engine lists first', { '10': 1, '9': 2, a: 3, '01': 4 }],
    ['a __proto__ key read from JSON', JSON.parse('{"__proto__": {"b": 1}, "a": 2}')],
    ['a toJSON member that is not a function', { toJSON: 'text', a: 1 }],
    ['a toJSON method', { toJSON: () => ({ b: 1, a: 2 }) }],
    ['a date', { at: new Date(0) }],
    ['undefined and symbol members', { a: undefined, b: Symbol('s'), c: 1 }],
    ['undefined and symbol items', [undefined, Symbol('s'), 1]],
    ['a function member', { a: () => 1, b: 2 }],
    ['a function item', [() => 1]],
    // eslint-disable-next-line no-sparse-arrays
    ['a hole in an array', [1, , 2]],
    // eslint-disable-next-line no-sparse-arrays
    ['a hole first in an array', [, 1]],
    ['a null prototype', Object.assign(Object.create(null) as object, { b: 1, a: 2 })],
    ['negative zero and extreme numbers', [-0, 1e21, 5e-324, -1.5e-7, 2 ** 53 + 2]],
    ['lone surrogates, in a key and a value', { '\ud800': '\udc00', a: '\u2028' }],
    ['an empty key', { '': 1, a: 2 }],
    ['many keys', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}`, i]))],
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a bigint', { a: 1n }],
    ['undefined', undefined],
    ['a symbol', Symbol('s')],
  ];
  test.each(cases)('agrees with the package on %s', (_, value) => {
    expect(byOurs(value)).toEqual(byPackage(value));
  });
});
