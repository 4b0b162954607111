/**
 * Free text from the network. JSON can carry a lone UTF-16 surrogate (`"\ud800"`), which no
 * keyboard types and no UTF-8 store can hold: SQLite and PostgreSQL would keep a replacement
 * character instead, so what was stored would not be what was sent (nor hash the same). Text
 * that will be stored is checked here and refused when it has one.
 */
import { z } from 'zod';
import { CARD_NUMBER_MESSAGE, holdsCardNumber } from './card-data.ts';

/** In a `u` pattern a surrogate pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** A string with no lone surrogate, of at most `max` characters. */
export function storedText(max: number) {
  return z
    .string()
    .max(max)
    .refine((text) => !hasLoneSurrogate(text), {
      message: 'must be well-formed Unicode text (it has a lone surrogate)',
    });
}

/** Free text a person types (a label, a name, a note): stored text that holds no card number. */
export function freeText(max: number) {
  return storedText(max).refine((text) => !holdsCardNumber(text), {
    message: CARD_NUMBER_MESSAGE,
  });
}

/**
 * Text as search compares it, on the tablet and on the hub alike: lower case, no accents, only
 * letters and digits ("Ngũgĩ" and "ngugi", "GT-10109" and "gt10109" are one).
 */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}
