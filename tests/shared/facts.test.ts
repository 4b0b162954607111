/**
 * Goal: a device's facts form a hash chain the hub can check, and every way a chain can be
 * wrong is named: a fact whose content was changed after sealing (fact-hash-mismatch), a
 * missing fact (chain-gap), a fact that links to the wrong predecessor (chain-broken), and a
 * fact from another device (device-mismatch). A valid chain is always accepted.
 *
 * Method: chains are built the way a device builds them (sealFact, GENESIS_HASH, formatHlc),
 * from arbitrary payment bodies generated with fast-check; each kind of damage is then done
 * at an arbitrary position and the named error and position are checked.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatHlc } from '../../shared/clock.ts';
import {
  checkChain,
  EMPTY_CHAIN,
  factHash,
  factSchema,
  factTexts,
  sealFact,
  withoutHash,
  type CashPaymentBody,
  type Fact,
  type FactOf,
  type UnsignedFact,
} from '../../shared/facts.ts';
import { canonicalJson, GENESIS_HASH, sha256Hex, type Sha256Hex } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';

const DEVICE = '019b8b74-1800-70de-8000-10010000d0d1';
const OTHER_DEVICE = '019b8b74-1800-70de-8000-20020000e0e2';
const START_MS = Date.UTC(2026, 10, 19, 7, 30);

function factId(device: string, seq: number, salt: number): string {
  return `019a${String(seq).padStart(4, '0')}-${String(salt % 10000).padStart(4, '0')}-7000-8000-${device.slice(-12)}`;
}

const bodyArb: fc.Arbitrary<CashPaymentBody> = fc
  .record({
    account: fc.integer({ min: 1, max: 200 }),
    amount: fc.integer({ min: 1, max: 10_000_000 }),
    change: fc.integer({ min: 0, max: 100_000 }),
    receipt: fc.integer({ min: 1, max: 99_999 }),
  })
  .map(({ account, amount, change, receipt }) => ({
    accountId: `acc-${String(account).padStart(4, '0')}`,
    currency: 'KES',
    method: 'cash',
    amountMinor: minor(amount),
    tenderedMinor: minor(amount + change),
    changeMinor: minor(change),
    receiptNumber: `R-${receipt}`,
  }));

/** Builds a valid chain for `device` from its head, one fact per body. */
function buildChain(
  device: string,
  bodies: readonly CashPaymentBody[],
  salt = 0,
  head = EMPTY_CHAIN,
): FactOf<'payment'>[] {
  let seq = head.seq;
  let prevHash = head.hash;
  return bodies.map((body) => {
    seq += 1;
    const recordedMs = START_MS + seq * 60_000;
    const fact = sealFact({
      id: factId(device, seq, salt),
      deviceId: device,
      seq,
      prevHash,
      hlc: formatHlc({ wallMs: recordedMs, counter: 0, node: device }),
      agentId: 'user-amina',
      recordedAt: new Date(recordedMs).toISOString(),
      kind: 'payment',
      body,
    });
    prevHash = fact.hash as Sha256Hex;
    return fact;
  });
}

/** One fixed body, for the cases that need a single fact rather than a property. */
const SAMPLE_BODY: CashPaymentBody = {
  accountId: 'acc-0031',
  currency: 'KES',
  method: 'cash',
  amountMinor: minor(48_250),
  tenderedMinor: minor(50_000),
  changeMinor: minor(1_750),
  receiptNumber: 'R-00318',
};

const chainArb = fc
  .array(bodyArb, { minLength: 1, maxLength: 15 })
  .map((bodies) => buildChain(DEVICE, bodies));

/** A chain and a position in it. */
const chainAndIndexArb = chainArb.chain((facts) =>
  fc.tuple(fc.constant(facts), fc.integer({ min: 0, max: facts.length - 1 })),
);

function replaceAt(facts: readonly Fact[], index: number, fact: Fact): Fact[] {
  return facts.map((original, i) => (i === index ? fact : original));
}

describe('a valid chain', () => {
  test('is accepted from the genesis head and its head is its last fact', () => {
    fc.assert(
      fc.property(chainArb, (facts) => {
        const last = facts.at(-1) as Fact;
        expect(checkChain(EMPTY_CHAIN, DEVICE, facts)).toEqual({
          ok: true,
          head: { seq: last.seq, hash: last.hash },
        });
        expect(facts[0]?.prevHash).toBe(GENESIS_HASH);
      }),
    );
  });

  test('is accepted in pieces: each piece extends the head the previous piece left', () => {
    fc.assert(
      fc.property(chainAndIndexArb, ([facts, cut]) => {
        const first = checkChain(EMPTY_CHAIN, DEVICE, facts.slice(0, cut));
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        expect(checkChain(first.head, DEVICE, facts.slice(cut))).toEqual(
          checkChain(EMPTY_CHAIN, DEVICE, facts),
        );
      }),
    );
  });

  test('an empty batch leaves the head where it was', () => {
    const head = { seq: 17, hash: 'ab'.repeat(32) as Sha256Hex };
    expect(checkChain(head, DEVICE, [])).toEqual({ ok: true, head });
  });

  test('every sealed fact reads back through the message schema unchanged', () => {
    fc.assert(
      fc.property(chainArb, (facts) => {
        for (const fact of facts)
          expect(factSchema.parse(JSON.parse(JSON.stringify(fact)))).toEqual(fact);
      }),
    );
  });
});

describe('a damaged chain', () => {
  test('a fact whose body was changed after sealing is refused as fact-hash-mismatch at its seq', () => {
    fc.assert(
      fc.property(chainAndIndexArb, fc.integer({ min: 1, max: 500 }), ([facts, index], extra) => {
        const original = facts[index] as FactOf<'payment'>;
        const tampered: Fact = {
          ...original,
          body: { ...original.body, amountMinor: minor(original.body.amountMinor + extra) },
        };
        expect(checkChain(EMPTY_CHAIN, DEVICE, replaceAt(facts, index, tampered))).toEqual({
          ok: false,
          error: 'fact-hash-mismatch',
          seq: original.seq,
        });
      }),
    );
  });

  test('a fact whose header was changed after sealing is refused as fact-hash-mismatch', () => {
    fc.assert(
      fc.property(chainAndIndexArb, ([facts, index]) => {
        const original = facts[index] as Fact;
        const tampered: Fact = { ...original, agentId: 'user-baraka' };
        expect(checkChain(EMPTY_CHAIN, DEVICE, replaceAt(facts, index, tampered))).toMatchObject({
          ok: false,
          error: 'fact-hash-mismatch',
        });
      }),
    );
  });

  test('a missing fact is refused as chain-gap at the first fact after the hole', () => {
    fc.assert(
      fc.property(
        fc
          .array(bodyArb, { minLength: 2, maxLength: 15 })
          .chain((bodies) =>
            fc.tuple(
              fc.constant(buildChain(DEVICE, bodies)),
              fc.integer({ min: 0, max: bodies.length - 2 }),
            ),
          ),
        ([facts, hole]) => {
          const withHole = facts.filter((_, i) => i !== hole);
          expect(checkChain(EMPTY_CHAIN, DEVICE, withHole)).toEqual({
            ok: false,
            error: 'chain-gap',
            seq: hole + 2,
          });
        },
      ),
    );
  });

  test('a batch that does not start right after the head is refused as chain-gap', () => {
    const facts = buildChain(DEVICE, [SAMPLE_BODY]);
    expect(checkChain({ seq: 4, hash: 'cd'.repeat(32) as Sha256Hex }, DEVICE, facts)).toEqual({
      ok: false,
      error: 'chain-gap',
      seq: 1,
    });
  });

  test('a correctly sealed fact that links to the wrong predecessor is refused as chain-broken', () => {
    fc.assert(
      fc.property(chainAndIndexArb, ([facts, index]) => {
        const original = facts[index] as Fact;
        const relinked = sealFact({ ...withoutHash(original), prevHash: 'e7'.repeat(32) });
        expect(checkChain(EMPTY_CHAIN, DEVICE, replaceAt(facts, index, relinked))).toEqual({
          ok: false,
          error: 'chain-broken',
          seq: original.seq,
        });
      }),
    );
  });

  test('splicing in the same seq from a different history of the device is refused as chain-broken', () => {
    fc.assert(
      fc.property(
        fc.array(bodyArb, { minLength: 3, maxLength: 10 }),
        fc.array(bodyArb, { minLength: 3, maxLength: 10 }),
        (bodies, otherBodies) => {
          const ours = buildChain(DEVICE, bodies, 1);
          const theirs = buildChain(DEVICE, otherBodies, 2);
          const spliced = replaceAt(ours, 1, theirs[1] as Fact);
          expect(checkChain(EMPTY_CHAIN, DEVICE, spliced)).toEqual({
            ok: false,
            error: 'chain-broken',
            seq: 2,
          });
        },
      ),
    );
  });

  test('a fact sealed by another device is refused as device-mismatch', () => {
    fc.assert(
      fc.property(chainAndIndexArb, ([facts, index]) => {
        const original = facts[index] as Fact;
        const foreign = sealFact({ ...withoutHash(original), deviceId: OTHER_DEVICE });
        expect(checkChain(EMPTY_CHAIN, DEVICE, replaceAt(facts, index, foreign))).toEqual({
          ok: false,
          error: 'device-mismatch',
          seq: original.seq,
        });
      }),
    );
  });

  test('a valid chain checked as another device’s is refused as device-mismatch at its first fact', () => {
    fc.assert(
      fc.property(chainArb, (facts) => {
        expect(checkChain(EMPTY_CHAIN, OTHER_DEVICE, facts)).toEqual({
          ok: false,
          error: 'device-mismatch',
          seq: 1,
        });
      }),
    );
  });
});

describe('fact hashes', () => {
  test('the hash does not depend on the order the fields were written in', () => {
    fc.assert(
      fc.property(chainArb, (facts) => {
        for (const fact of facts) {
          const unsigned = withoutHash(fact);
          const reversed = Object.fromEntries(Object.entries(unsigned).reverse()) as UnsignedFact;
          const bodyReversed = {
            ...reversed,
            body: Object.fromEntries(Object.entries(unsigned.body).reverse()),
          } as UnsignedFact;
          expect(factHash(bodyReversed)).toBe(fact.hash);
        }
      }),
    );
  });

  test('the hash covers every field but itself: sealing what withoutHash leaves gives the same fact', () => {
    fc.assert(
      fc.property(chainArb, (facts) => {
        for (const fact of facts) {
          expect(sealFact(withoutHash(fact))).toEqual(fact);
          expect(withoutHash(fact)).not.toHaveProperty('hash');
        }
      }),
    );
  });

  test('factTexts gives the same two texts as canonical JSON of the fact and of withoutHash', () => {
    const textArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(
        chainArb,
        textArb,
        textArb,
        fc.option(textArb, { nil: undefined }),
        (facts, agentId, receipt, note) => {
          const [first] = facts;
          if (!first) return;
          const payment = sealFact({
            ...withoutHash(first),
            agentId,
            body: { ...first.body, receiptNumber: receipt },
          } as UnsignedFact);
          const voided = sealFact({
            ...withoutHash(first),
            kind: 'void',
            body: {
              accountId: first.body.accountId,
              paymentId: first.id,
              amountMinor: minor(1),
              reason: 'other',
              note,
            },
          } as UnsignedFact);
          for (const fact of [...facts, payment, voided] as Fact[]) {
            const texts = factTexts(fact);
            expect(texts.document).toBe(canonicalJson(fact));
            expect(texts.unsigned).toBe(canonicalJson(withoutHash(fact)));
            expect(sha256Hex(texts.unsigned)).toBe(fact.hash);
          }
        },
      ),
    );
  });
});
