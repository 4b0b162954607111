/**
 * Goal: a device shows the hub's balance as of its last pull, less its own payments that the
 * snapshot does not include yet (not acknowledged, or acknowledged at a later change than
 * the snapshot's); payments on other accounts never touch it. The protocol's messages
 * accept what the protocol says and refuse the rest.
 *
 * Method: property tests with fast-check against an independent model of the rule written
 * out as plain arithmetic, plus hand-worked cases with distinct values.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { minor } from '../../shared/money.ts';
import {
  accountSnapshotSchema,
  answersOf,
  deviceBalance,
  foldAcceptedRuns,
  MAX_FACTS_PER_PUSH,
  pendingEffects,
  pullRequestSchema,
  pushRequestSchema,
  pushResponseSchema,
  type AccountSnapshot,
  type FactAnswer,
  type OwnEffect,
} from '../../shared/protocol.ts';

const DEVICE = '019b8b74-1800-70de-8000-10010000d0d1';

function snapshot(id: string, balanceMinor: number, changeSeq: number): AccountSnapshot {
  return {
    id,
    accountNumber: `GT-${id.slice(-4)}`,
    name: 'Achieng Owino',
    address: 'Ahero, plot 17',
    phone: '+254712345678',
    meterNumber: '54100007919',
    routeId: 'route-nyando',
    currency: 'KES',
    balanceMinor: minor(balanceMinor),
    openBills: [],
    tariffId: 'demo-domestic',
    lastReading: null,
    carried: [],
    recentReadings: [],
    recentPayments: [],
    changeSeq,
  };
}

const accountIdArb = fc.constantFrom('acc-0001', 'acc-0002', 'acc-0003');
/** Payments lower the balance, voids and printed bills raise it, readings and edits do nothing. */
const ownPaymentArb: fc.Arbitrary<OwnEffect> = fc.record({
  accountId: accountIdArb,
  balanceDeltaMinor: fc.oneof(
    fc.integer({ min: -5_000_000, max: -1 }),
    fc.integer({ min: 1, max: 5_000_000 }),
    fc.constant(0),
  ),
  ackChangeSeq: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
});
const snapshotArb = fc
  .record({
    id: accountIdArb,
    balance: fc.integer({ min: -10_000_000, max: 10_000_000 }),
    changeSeq: fc.integer({ min: 0, max: 400 }),
  })
  .map(({ id, balance, changeSeq }) => snapshot(id, balance, changeSeq));

/** The rule in plain arithmetic: add each own fact's effect on this account not yet in the snapshot. */
function modelBalance(account: AccountSnapshot, own: readonly OwnEffect[]): number {
  let balance: number = account.balanceMinor;
  for (const payment of own) {
    if (payment.accountId !== account.id) continue;
    const inSnapshot =
      payment.ackChangeSeq !== undefined && payment.ackChangeSeq <= account.changeSeq;
    if (!inSnapshot) balance += payment.balanceDeltaMinor;
  }
  return balance;
}

describe('deviceBalance', () => {
  test('equals the snapshot balance plus the effects of own facts not acknowledged or acknowledged after the snapshot', () => {
    fc.assert(
      fc.property(snapshotArb, fc.array(ownPaymentArb, { maxLength: 20 }), (account, own) => {
        expect(deviceBalance(account, own)).toBe(modelBalance(account, own));
      }),
    );
  });

  test('facts on other accounts change nothing', () => {
    fc.assert(
      fc.property(snapshotArb, fc.array(ownPaymentArb, { maxLength: 20 }), (account, own) => {
        const mine = own.filter((payment) => payment.accountId === account.id);
        expect(deviceBalance(account, own)).toBe(deviceBalance(account, mine));
        expect(
          pendingEffects(account, own).every((payment) => payment.accountId === account.id),
        ).toBe(true);
      }),
    );
  });

  test('a payment acknowledged at or before the snapshot’s change is already in the balance', () => {
    fc.assert(
      fc.property(snapshotArb, fc.array(ownPaymentArb, { maxLength: 20 }), (account, own) => {
        const included = own.map((payment) => ({
          ...payment,
          accountId: account.id,
          ackChangeSeq: Math.min(payment.ackChangeSeq ?? 0, account.changeSeq),
        }));
        expect(deviceBalance(account, included)).toBe(account.balanceMinor);
      }),
    );
  });

  test('with no own payments the device shows exactly the hub’s balance', () => {
    fc.assert(
      fc.property(snapshotArb, (account) => {
        expect(deviceBalance(account, [])).toBe(account.balanceMinor);
      }),
    );
  });

  test('hand-worked: one unacknowledged, one acknowledged later, one already included, one on another account', () => {
    const account = snapshot('acc-0005', 465_225, 210);
    const own: OwnEffect[] = [
      { accountId: 'acc-0005', balanceDeltaMinor: -12_345 },
      { accountId: 'acc-0005', balanceDeltaMinor: -20_000, ackChangeSeq: 212 },
      { accountId: 'acc-0005', balanceDeltaMinor: -7_777, ackChangeSeq: 209 },
      { accountId: 'acc-0007', balanceDeltaMinor: -50_500 },
    ];
    expect(deviceBalance(account, own)).toBe(465_225 - 12_345 - 20_000);
    expect(pendingEffects(account, own).map((payment) => payment.balanceDeltaMinor)).toEqual([
      -12_345, -20_000,
    ]);
  });

  test('payments beyond what is owed show as credit, a negative balance', () => {
    expect(
      deviceBalance(snapshot('acc-0009', 3_000, 15), [
        { accountId: 'acc-0009', balanceDeltaMinor: -4_250 },
      ]),
    ).toBe(-1_250);
  });
});

describe('protocol messages', () => {
  test('a snapshot survives a round trip through JSON and its schema', () => {
    fc.assert(
      fc.property(snapshotArb, (account) => {
        expect(accountSnapshotSchema.parse(JSON.parse(JSON.stringify(account)))).toEqual(account);
      }),
    );
  });

  test('a push must carry at least one fact and at most the limit', () => {
    expect(
      pushRequestSchema.safeParse({ formatVersion: 1, deviceId: DEVICE, facts: [] }).success,
    ).toBe(false);
    const tooMany = Array.from({ length: MAX_FACTS_PER_PUSH + 1 }, () => ({}));
    expect(
      pushRequestSchema.safeParse({ formatVersion: 1, deviceId: DEVICE, facts: tooMany }).success,
    ).toBe(false);
  });

  test('a message of another format version is refused', () => {
    expect(
      pullRequestSchema.safeParse({ formatVersion: 2, deviceId: DEVICE, cursor: 0 }).success,
    ).toBe(false);
    expect(
      pullRequestSchema.safeParse({ formatVersion: 1, deviceId: DEVICE, cursor: 0 }).success,
    ).toBe(true);
  });

  test.each([
    { cursor: -1 },
    { cursor: 1.5 },
    { cursor: 0, limit: 0 },
    { cursor: 0, limit: 501 },
    { cursor: 0, deviceId: DEVICE.toUpperCase() },
  ])('a pull request %j is refused', (fields) => {
    expect(
      pullRequestSchema.safeParse({ formatVersion: 1, deviceId: DEVICE, ...fields }).success,
    ).toBe(false);
  });
});

describe('push answers folded into accepted runs', () => {
  const outcomeArb = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ outcome: 'accepted' as const }) },
    {
      weight: 1,
      arbitrary: fc.constant({
        outcome: 'duplicate' as const,
        reason: 'possible-duplicate' as const,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ outcome: 'flagged' as const, reason: 'currency-mismatch' as const }),
    },
    { weight: 1, arbitrary: fc.constant({ outcome: 'held' as const }) },
  );
  // Answers as the hub gives them: seqs from a head on, change numbers rising, sometimes by
  // more than one (another device's push, or a released void, took numbers in between).
  const answerArb = fc
    .record({
      fromSeq: fc.integer({ min: 1, max: 10_000 }),
      firstChange: fc.integer({ min: 1, max: 1_000_000 }),
      steps: fc.array(fc.record({ outcome: outcomeArb, gap: fc.constantFrom(1, 1, 1, 2, 7) }), {
        minLength: 1,
        maxLength: 60,
      }),
    })
    .map(({ fromSeq, firstChange, steps }) => {
      let changeSeq = firstChange;
      const results = steps.map((step, i) => {
        changeSeq += step.gap;
        const id = `019b8b74-1800-70de-8000-${String(fromSeq + i).padStart(12, '0')}`;
        return { id, seq: fromSeq + i, changeSeq, ...step.outcome };
      });
      return {
        formatVersion: 1 as const,
        deviceId: DEVICE,
        ackedSeq: fromSeq + steps.length - 1,
        results,
      };
    });

  test('give every fact the same answer as the full list, and fold only plain acceptances', () => {
    fc.assert(
      fc.property(answerArb, (answer) => {
        const folded = foldAcceptedRuns(answer);
        expect(pushResponseSchema.parse(folded)).toEqual(folded);
        const strip = ({ id: _id, ...rest }: FactAnswer) => rest;
        expect(answersOf(folded).map(strip)).toEqual(answer.results.map(strip));
        // Facts a run does not name keep their ids; runs hold only accepted facts, 2 or more.
        for (const run of folded.acceptedRuns ?? []) {
          expect(run.toSeq).toBeGreaterThan(run.fromSeq);
          for (const result of answer.results.filter(
            (r) => r.seq >= run.fromSeq && r.seq <= run.toSeq,
          ))
            expect(result).toMatchObject({ outcome: 'accepted' });
        }
        expect(
          folded.results.length +
            (folded.acceptedRuns ?? []).reduce((n, run) => n + run.toSeq - run.fromSeq + 1, 0),
        ).toBe(answer.results.length);
      }),
    );
  });

  test('fold a push of 1,000 accepted payments into one run', () => {
    const results = Array.from({ length: 1000 }, (_, i) => ({
      id: `019b8b74-1800-70de-8000-${String(i + 1).padStart(12, '0')}`,
      seq: i + 1,
      changeSeq: 500 + i,
      outcome: 'accepted' as const,
    }));
    const folded = foldAcceptedRuns({
      formatVersion: 1,
      deviceId: DEVICE,
      ackedSeq: 1000,
      results,
    });
    expect(folded.results).toEqual([]);
    expect(folded.acceptedRuns).toEqual([{ fromSeq: 1, toSeq: 1000, firstChangeSeq: 500 }]);
  });
});
