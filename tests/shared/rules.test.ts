/**
 * Goal: the pure rules every path asks decide as the protocol document says: whether a flag
 * lets a fact take effect, how a payment stands, what a void names, when a reading is in the
 * future or implausible (against the meter's history, or its tariff class for a new meter),
 * and what is wrong with a body the hub cannot read.
 *
 * Method: table tests for each case named in docs/sync-protocol.md, and properties where a rule
 * must hold for every input (more use never makes a reading plausible; a body our own schema
 * accepts is always read).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePaymentReference, readBody, readFact } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { appliesUnder, flagReasons, flagsThatStillApply } from '../../shared/protocol.ts';
import { paymentStanding } from '../../shared/rules/payment.ts';
import {
  IMPLAUSIBLE_FACTOR,
  NEW_METER_MAX_KWH_PER_DAY,
  newMeterCeiling,
  PLAUSIBLE_KWH_PER_DAY,
  readingImplausible,
  readingInFuture,
} from '../../shared/rules/reading.ts';
import { voidTarget } from '../../shared/rules/void.ts';

describe('whether a flag lets a fact take effect', () => {
  it('is one rule: no flag, or one of the flags that still apply', () => {
    expect(appliesUnder(undefined)).toBe(true);
    expect(appliesUnder(null)).toBe(true);
    for (const reason of flagReasons)
      expect(appliesUnder(reason), reason).toBe(flagsThatStillApply.has(reason));
    for (const reason of ['body-invalid', 'agent-not-on-device', 'device-revoked'] as const)
      expect(appliesUnder(reason)).toBe(false);
  });
});

describe('how a payment stands', () => {
  it.each([
    [null, null, 'applied'],
    ['possible-duplicate', null, 'applied-flagged'],
    ['tendered-less-than-amount', null, 'applied-flagged'],
    ['account-not-found', null, 'not-applied'],
    ['agent-not-on-device', null, 'not-applied'],
    [null, 'void-1', 'voided'],
    ['amount-above-limit', 'void-2', 'voided'],
  ] as const)('flag %s, voided by %s: %s', (reason, voidedBy, standing) => {
    expect(paymentStanding({ reason, voidedBy })).toBe(standing);
  });
});

describe('what a void names', () => {
  const payment = (factId: string, accountId: string, receiptNumber: string) => ({
    factId,
    accountId,
    amountMinor: 100,
    applied: true,
    voidedBy: undefined,
    receiptNumber,
  });
  const body = { accountId: 'acc-1', amountMinor: minor(100), reason: 'other' as const };

  it('by receipt number: the one payment with it, preferring the void’s account; two it cannot tell apart are ambiguous', () => {
    const here = payment('p1', 'acc-1', 'R-AAAAAA-000001');
    const there = payment('p2', 'acc-2', 'R-AAAAAA-000001');
    const other = payment('p3', 'acc-3', 'R-AAAAAA-000001');
    const byReceipt = (list: ReturnType<typeof payment>[]) => () => list;
    const ref = { ...body, receiptNumber: 'R-AAAAAA-000001' };
    expect(voidTarget(ref, () => undefined, byReceipt([there, here]))).toEqual({
      kind: 'found',
      payment: here,
    });
    expect(voidTarget(ref, () => undefined, byReceipt([there]))).toEqual({
      kind: 'found',
      payment: there,
    });
    expect(voidTarget(ref, () => undefined, byReceipt([there, other]))).toEqual({
      kind: 'ambiguous',
    });
    expect(voidTarget(ref, () => undefined, byReceipt([]))).toEqual({
      kind: 'not-yet',
      paymentId: undefined,
    });
  });

  it('reads what an agent typed: an id from a QR code, or a receipt number as printed in either case', () => {
    expect(parsePaymentReference('019A9B06-5E40-7001-8000-00000000A001')).toEqual({
      ok: true,
      value: { paymentId: '019a9b06-5e40-7001-8000-00000000a001' },
    });
    expect(parsePaymentReference(' r-10d0d1-000001 ')).toEqual({
      ok: true,
      value: { receiptNumber: 'R-10D0D1-000001' },
    });
    for (const text of ['', 'R-10D0D1', 'R-10D0D1-1', 'GT-10001', '10d0d1-000001'])
      expect(parsePaymentReference(text).ok, text).toBe(false);
  });
});

describe('readings that make sense', () => {
  const history = [
    { readOn: '2026-08-01', registerKwh: 1_000 },
    { readOn: '2026-09-01', registerKwh: 1_310 },
    { readOn: '2026-10-01', registerKwh: 1_610 },
  ];

  it('a reading more than a day after today is in the future; tomorrow is not', () => {
    expect(readingInFuture('2026-11-21', '2026-11-20')).toBe(false);
    expect(readingInFuture('2026-11-22', '2026-11-20')).toBe(true);
    expect(readingInFuture('2027-11-20', '2026-11-20')).toBe(true);
  });

  it.each([
    ['the usual 10 a day', 1_610 + 300, false],
    ['under the floor any home may use, though 3 times its usual', 1_610 + 900, false],
    ['five times its usual and over the floor', 1_610 + 10 * 30 * IMPLAUSIBLE_FACTOR + 30, true],
    ['900,000 kWh in a month', 1_610 + 900_000, true],
    ['a register that went backwards (another rule’s business)', 1_500, false],
  ])('against the meter’s own history: %s', (_what, registerKwh, implausible) => {
    expect(readingImplausible({ readOn: '2026-10-31', registerKwh }, history)).toBe(implausible);
  });

  it('a meter with too little history is judged by its tariff class, or the default', () => {
    const first = [{ readOn: '2026-10-01', registerKwh: 0 }];
    const reading = { readOn: '2026-10-11', registerKwh: 10 * 200 };
    expect(readingImplausible(reading, first)).toBe(200 > NEW_METER_MAX_KWH_PER_DAY);
    expect(readingImplausible(reading, first, newMeterCeiling({ plausibleKwhPerDay: 500 }))).toBe(
      false,
    );
    expect(readingImplausible(reading, first, newMeterCeiling({ plausibleKwhPerDay: 50 }))).toBe(
      true,
    );
    expect(newMeterCeiling(undefined)).toBe(NEW_METER_MAX_KWH_PER_DAY);
    expect(readingImplausible(reading, [])).toBe(false);
  });

  it('more use never makes an implausible reading plausible', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 20_000 }),
        fc.nat({ max: 20_000 }),
        fc.integer({ min: 1, max: 60 }),
        (used, more, days) => {
          const at = new Date(Date.UTC(2026, 9, 1) + days * 86_400_000).toISOString().slice(0, 10);
          const less = readingImplausible({ readOn: at, registerKwh: 1_610 + used }, history);
          const most = readingImplausible(
            { readOn: at, registerKwh: 1_610 + used + more },
            history,
          );
          expect(!less || most).toBe(true);
          if (used / days <= PLAUSIBLE_KWH_PER_DAY) expect(less).toBe(false);
        },
      ),
    );
  });
});

describe('a body the hub cannot read', () => {
  it.each([
    ['payment', { currency: 'KES' }, 'body.method', 'missing'],
    ['payment', { currency: 'KES', method: 'cheque' }, 'body.method', 'bad-format'],
    ['payment', { currency: 'KES', method: 'cash' }, 'body.accountId', 'missing'],
    ['payment', ['acc-1'], 'body', 'wrong-type'],
    [
      'void',
      { accountId: 'a', paymentId: 'R-6966D5-000001', amountMinor: 1, reason: 'other' },
      'body.paymentId',
      'bad-format',
    ],
    [
      'contact',
      { accountId: 'a', field: 'name', value: 'x'.repeat(201), previous: '', baseChangeSeq: 0 },
      'body.value',
      'too-large',
    ],
    ['refund', { accountId: 'a' }, 'kind', 'unknown-kind'],
  ])('%s %j: %s is %s', (kind, body, field, problem) => {
    expect(readBody(kind, body)).toEqual({ ok: false, error: { field, problem } });
  });

  it('a void naming its payment both ways, or neither, is refused', () => {
    const base = { accountId: 'a', amountMinor: 1, reason: 'other' };
    expect(readBody('void', base).ok).toBe(false);
    expect(
      readBody('void', {
        ...base,
        paymentId: '019a9b06-5e40-7001-8000-00000000a001',
        receiptNumber: 'R-10D0D1-000001',
      }).ok,
    ).toBe(false);
  });

  it('keeps the envelope as sent while reading the body as the schema does', () => {
    const envelope = {
      id: '019a9b06-5e40-7001-8000-00000000a001',
      deviceId: '019b8b74-1800-70de-8000-10010000d0d1',
      seq: 1,
      prevHash: '0'.repeat(64),
      hlc: '001795073400000-0000-node',
      agentId: 'user-amina',
      recordedAt: '2026-11-19T07:30:00.000Z',
      kind: 'contact',
      body: { accountId: 'a', field: 'name', value: '  Achieng  ', previous: '', baseChangeSeq: 0 },
      hash: 'f'.repeat(64),
    };
    const read = readFact(envelope);
    expect(read.ok && read.value.kind === 'contact' && read.value.body.value).toBe('Achieng');
    expect(envelope.body.value).toBe('  Achieng  ');
  });
});
