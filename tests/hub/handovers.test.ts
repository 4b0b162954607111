/**
 * Goal: an agent's end-of-day cash handover (issue 13, item 6) is checked by the hub against
 * the tablet's own facts, never its totals: the cash expected is the tablet's cash payments
 * less the voids of its own cash payments (a mobile-money payment puts no cash in hand), over
 * exactly the facts since its last handover, whether they arrived earlier or in the same push.
 * A handover that adds up waits for a supervisor; a count that is not the sum of its notes, a
 * range that does not follow the last handover, an expected figure the facts do not give, or a
 * difference beyond the tolerance without a reason is flagged.
 *
 * Method: the hub in-process on the seeded store, on SQLite and on PostgreSQL; facts made by a
 * test device chain, pushed twice (pushes are idempotent).
 */
import { describe, expect, test } from 'vitest';
import type { HandoverBody } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { DEFAULT_HANDOVER_TOLERANCE_MINOR } from '../../shared/rules/handover.ts';
import { at, push, scene } from './scene.ts';

function handover(
  fromSeq: number,
  throughSeq: number,
  expected: number,
  counted: { valueMinor: number; count: number }[],
  extra: Partial<HandoverBody> = {},
): HandoverBody {
  return {
    currency: 'KES',
    fromSeq,
    throughSeq,
    byMethod: [],
    expectedMinor: minor(expected),
    counted,
    countedMinor: minor(counted.reduce((sum, line) => sum + line.valueMinor * line.count, 0)),
    ...extra,
  };
}

describe('cash handovers', () => {
  test('expected from the tablet’s own facts, in the same push or before; held for a supervisor when it adds up', async () => {
    const { hub, amy } = await scene();
    const cash1 = amy.chain.payment({ accountId: 'acc-0001', amountMinor: minor(10_000) });
    const cash2 = amy.chain.payment({ accountId: 'acc-0003', amountMinor: minor(20_000) });
    const mobile = amy.chain.paymentBy(
      { accountId: 'acc-0005', amountMinor: minor(5_000) },
      {
        method: 'mobile-money',
        provider: 'mpesa',
        reference: 'QK7H2M9XPL',
        payerPhone: '+254712345678',
      },
    );
    const undo = amy.chain.voidOf(cash2);
    await push(hub, amy, [cash1, cash2]);
    // The mobile payment, the void and the handover arrive together.
    const hand = amy.chain.append(
      'handover',
      handover(1, 4, 10_000, [
        { valueMinor: 5_000, count: 1 },
        { valueMinor: 1_000, count: 5 },
      ]),
    );
    const answer = await push(hub, amy, [mobile, undo, hand]);
    expect(at(answer.results, 2)).toMatchObject({ outcome: 'held' });
    const row = await hub.store.db
      .selectFrom('handovers')
      .selectAll()
      .where('fact_id', '=', hand.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.expected_minor)).toBe(10_000);
    expect(row.status).toBe('pending');

    // The next one must start after it.
    const again = amy.chain.append(
      'handover',
      handover(1, 5, 10_000, [{ valueMinor: 10_000, count: 1 }]),
    );
    expect(at((await push(hub, amy, [again])).results, 0)).toMatchObject({
      outcome: 'flagged',
      reason: 'handover-out-of-order',
    });
  });

  test('flagged: a count not the sum of its notes, an expected figure the facts do not give, a difference without a reason', async () => {
    const { hub, amy } = await scene();
    const cash = amy.chain.payment({ accountId: 'acc-0001', amountMinor: minor(100_000) });
    await push(hub, amy, [cash]);
    const wrongSum = amy.chain.append('handover', {
      ...handover(1, 1, 100_000, [{ valueMinor: 100_000, count: 1 }]),
      countedMinor: minor(90_000),
    });
    expect(at((await push(hub, amy, [wrongSum])).results, 0).reason).toBe('count-total-mismatch');
    // Flagged handovers still end where they end: the next starts after them.
    const claimsLess = amy.chain.append('handover', handover(3, 2, 0, []));
    expect(at((await push(hub, amy, [claimsLess])).results, 0).reason).toBe(
      'handover-out-of-order',
    );

    const { hub: hub2, amy: amy2 } = await scene();
    const cash2 = amy2.chain.payment({ accountId: 'acc-0001', amountMinor: minor(100_000) });
    const lies = amy2.chain.append(
      'handover',
      handover(1, 1, 90_000, [{ valueMinor: 90_000, count: 1 }]),
    );
    expect(at((await push(hub2, amy2, [cash2, lies])).results, 1).reason).toBe(
      'handover-expected-mismatch',
    );

    const { hub: hub3, amy: amy3 } = await scene();
    const cash3 = amy3.chain.payment({ accountId: 'acc-0001', amountMinor: minor(100_000) });
    const short = 100_000 - DEFAULT_HANDOVER_TOLERANCE_MINOR - 100;
    const unexplained = amy3.chain.append(
      'handover',
      handover(1, 1, 100_000, [{ valueMinor: short, count: 1 }]),
    );
    expect(at((await push(hub3, amy3, [cash3, unexplained])).results, 1).reason).toBe(
      'variance-unexplained',
    );
    const { hub: hub4, amy: amy4 } = await scene();
    const cash4 = amy4.chain.payment({ accountId: 'acc-0001', amountMinor: minor(100_000) });
    const explained = amy4.chain.append(
      'handover',
      handover(1, 1, 100_000, [{ valueMinor: short, count: 1 }], {
        varianceReason: 'short',
        note: 'a torn note kept by the customer',
      }),
    );
    expect(at((await push(hub4, amy4, [cash4, explained])).results, 1).outcome).toBe('held');
  });
});
