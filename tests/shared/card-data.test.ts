/**
 * Goal: the card-number rule finds every card number as people write it, and little else: a
 * Luhn-valid run of 13 to 19 digits, grouped by spaces or dashes or not, anywhere in a text;
 * never a phone number, a shorter or longer run, or a run whose check digit is wrong.
 *
 * Method: published test card numbers of each network; property tests over random numbers
 * given their check digit (any single wrong digit is caught by Luhn, so changing one must
 * make the rule let the text pass); the schemas that use the rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdsCardNumber, luhnValid } from '../../shared/card-data.ts';
import { contactBodySchema, voidBodySchema } from '../../shared/facts.ts';

/** The check digit that makes `body` + digit Luhn-valid. */
function checkDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit += 1) if (luhnValid(body + digit)) return String(digit);
  throw new Error('no check digit');
}

const cardNumber = fc
  .integer({ min: 12, max: 18 })
  .chain((length) =>
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length }),
  )
  .map((digits) => {
    const body = digits.join('');
    return body + checkDigit(body);
  });

function grouped(digits: string, separator: string): string {
  return digits.match(/.{1,4}/g)?.join(separator) ?? digits;
}

describe('holdsCardNumber', () => {
  it.each([
    ['Visa', '4111 1111 1111 1111'],
    ['Mastercard', '5555-5555-5555-4444'],
    ['American Express', '3782 822463 10005'],
    ['Discover', '6011111111111117'],
    ['JCB', '3530111333300000'],
    ['UnionPay, 19 digits', '6212345678901234567'.slice(0, 18) + checkDigit('621234567890123456')],
    ['inside a sentence', 'paid with card 4111111111111111 yesterday'],
  ])('finds a %s number: %s', (_network, text) => {
    expect(holdsCardNumber(text)).toBe(true);
  });

  it.each([
    ['a Kenyan phone number', '+254 712 345 678'],
    ['two phone numbers side by side', '0712345678 0723456789'],
    ['a 12-digit run', '411111111113'],
    ['a 20-digit run', '41111111111111111111'],
    ['a Visa test number with one digit wrong', '4111 1111 1111 1112'],
    ['an address', 'Plot 17, Kisumu-Busia Road, box 3301'],
    ['digits split by two spaces', '4111  1111  1111  1111'],
  ])('lets %s pass: %s', (_what, text) => {
    expect(holdsCardNumber(text)).toBe(false);
  });

  it('finds any Luhn-valid number of 13 to 19 digits, plain or in groups, in any text around it', () => {
    fc.assert(
      fc.property(
        cardNumber,
        fc.constantFrom('', ' ', '-'),
        fc.string({ maxLength: 20 }).map((text) => text.replace(/\d/g, 'x')),
        fc.string({ maxLength: 20 }).map((text) => text.replace(/\d/g, 'y')),
        (digits, separator, before, after) => {
          expect(holdsCardNumber(`${before} ${grouped(digits, separator)} ${after}`)).toBe(true);
        },
      ),
    );
  });

  it('a card number with any one digit changed is not one', () => {
    fc.assert(
      fc.property(cardNumber, fc.nat(), fc.integer({ min: 1, max: 9 }), (digits, at, shift) => {
        const index = at % digits.length;
        const changed = (Number(digits[index]) + shift) % 10;
        const wrong = digits.slice(0, index) + changed + digits.slice(index + 1);
        expect(holdsCardNumber(wrong)).toBe(false);
      }),
    );
  });
});

describe('the schemas that hold free text', () => {
  it('refuse a card number in a name or an address, and take a phone number of any digits', () => {
    const edit = (field: 'name' | 'address' | 'phone', value: string) =>
      contactBodySchema.safeParse({
        accountId: 'acc-1',
        field,
        value,
        previous: '',
        baseChangeSeq: 0,
      });
    expect(edit('name', 'Achieng 4111 1111 1111 1111').success).toBe(false);
    expect(edit('address', '5555555555554444').success).toBe(false);
    expect(edit('name', 'Achieng Otieno').success).toBe(true);
    expect(edit('phone', '4111111111111111').success).toBe(true);
  });

  it('refuse a card number in a void’s note', () => {
    const note = (text: string) =>
      voidBodySchema.safeParse({
        paymentId: '0190e3c0-0000-7000-8000-000000000001',
        accountId: 'acc-1',
        amountMinor: 100,
        reason: 'entered-twice',
        note: text,
      });
    expect(note('typed twice').success).toBe(true);
    expect(note('card 4111111111111111').success).toBe(false);
  });
});
