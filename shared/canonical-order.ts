/**
 * Canonical JSON written fast, for the hub's bulk work (a push's thousand facts and answers):
 * plain JSON data, which is all that devices and the hub hash, is written by JSON.stringify
 * from a copy with every object's keys in canonical order: the engine's own writer, where the
 * `canonicalize` package calls JSON.stringify once for every key and value. Both write strings
 * and numbers alike (RFC 8785 takes them from ECMAScript); anything the two could write apart
 * goes to the package (see `ordered`), so the text is `canonicalJson`'s byte for byte
 * (tests/shared/hash.test.ts). Apart from shared/hash.ts, so a tablet's start does not carry it.
 */
import { canonicalJson } from './hash.ts';

/** `canonicalJson(value)`, written by JSON.stringify from a copy in canonical order. */
export function canonicalJsonFast(value: unknown): string {
  const data = ordered(value);
  return data === NOT_PLAIN ? canonicalJson(value) : JSON.stringify(data);
}

const NOT_PLAIN = Symbol('not plain JSON data');

/**
 * `value` with its objects' keys in canonical order, which JSON.stringify writes as its
 * canonical JSON; undefined where only `canonicalJson` writes it right.
 */
export function inCanonicalOrder(value: unknown): unknown {
  const data = ordered(value);
  return data === NOT_PLAIN ? undefined : data;
}

/**
 * `value` as JSON data whose objects hold their keys in canonical order (sorted by UTF-16 code
 * units, RFC 8785 §3.2.3), which JSON.stringify then writes in that order; or NOT_PLAIN where
 * JSON.stringify and the package could write the value apart or fail apart: a number that is
 * not finite, a function, symbol or bigint other than a skipped member, an array with holes, an
 * object that is not a plain one (a Date, anything with toJSON), and an object key that starts
 * with a digit (an engine lists integer keys first, whatever their order), `__proto__` or
 * `toJSON`. Members whose value is undefined or a symbol are left out, and such array items are
 * null, as the package writes them.
 */
function ordered(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : NOT_PLAIN;
    case 'object':
      if (value === null) return null;
      return Array.isArray(value) ? orderedArray(value) : orderedObject(value);
    default:
      return NOT_PLAIN;
  }
}

function orderedArray(value: readonly unknown[]): unknown {
  if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
  const copy: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) return NOT_PLAIN;
    const item = value[i];
    const data = item === undefined || typeof item === 'symbol' ? null : ordered(item);
    if (data === NOT_PLAIN) return NOT_PLAIN;
    copy[i] = data;
  }
  return copy;
}

/** Keys up to which an insertion sort is quicker than the engine's own sort. */
const FEW_KEYS = 16;

/**
 * An object's keys by UTF-16 code units, as Array.prototype.sort puts strings; by insertion
 * for the few keys an object of a fact has.
 */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  if (keys.length > FEW_KEYS) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
}

function orderedObject(value: object): unknown {
  if (Object.getPrototypeOf(value) !== Object.prototype) return NOT_PLAIN;
  const record = value as Readonly<Record<string, unknown>>;
  const copy: Record<string, unknown> = {};
  for (const key of sortedKeys(record)) {
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === '__proto__' || key === 'toJSON') return NOT_PLAIN;
    const item = record[key];
    if (item === undefined || typeof item === 'symbol') continue;
    const data = ordered(item);
    if (data === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = data;
  }
  return copy;
}
