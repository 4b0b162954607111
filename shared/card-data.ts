/**
 * Card data stays out (PCI DSS: a system that has no card numbers has none to lose). A payment
 * card number is 13 to 19 digits whose last is a Luhn check digit; people write them with
 * spaces or dashes between groups. Free text that holds one (a name, an address, a note, a
 * label) is refused wherever it is written, on the tablet before a fact is sealed and at the
 * hub, which stores nothing of a push that carries one. A card payment (issue 13) will carry
 * only an approval code, the brand and the last four digits.
 */

/** Digits in groups separated by at most one space or dash, as card numbers are written. */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;

export const CARD_DIGITS_MIN = 13;
export const CARD_DIGITS_MAX = 19;

/** Whether the digits pass the Luhn check (ISO/IEC 7812-1). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Whether `text` holds what may be a card number: a run of 13 to 19 digits (single spaces and
 * dashes between them ignored) that passes the Luhn check. A run of more digits is not read as
 * one (two phone numbers side by side are not a card),. A run of 13 to 19 digits
 * that is not a card passes Luhn one time in ten and is refused too: free text has little
 * reason to hold such a run, and refusing it costs less than storing a card.
 */
export function holdsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUN)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= CARD_DIGITS_MIN && digits.length <= CARD_DIGITS_MAX && luhnValid(digits))
      return true;
  }
  return false;
}

export const CARD_NUMBER_MESSAGE = 'must not hold a payment card number';
