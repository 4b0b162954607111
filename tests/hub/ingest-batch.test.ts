/**
 * Goal: applying a push's cash payments as one batch (hub/sync/project-batch.ts: state read
 * once, rows written set-based) leaves the store exactly as applying its facts one by one with
 * `applyFact` does: the same outcomes and flags, change numbers, payments, allocations, ledger
 * entries, bill and account balances, voids and reversals.
 *
 * Method: fast-check writes the work of two tablets: cash payments on a few accounts with
 * amounts picked so that possible duplicates occur, payments that break each rule (unknown
 * account, other currency, too little tendered, wrong change), voids of earlier payments and
 * of payments that reach the hub later (held, then released inside a batch), and contact
 * edits between payments. Each tablet's facts are cut into pushes of random sizes, and the
 * pushes are interleaved at random. One store takes the pushes through `ingestPush`; a second
 * takes the same facts in the same order, one `applyFact` each, in one transaction per push at
 * the same receipt time. Every table the sync writes must then be equal.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ingestPush } from '../../hub/sync/ingest.ts';
import { applyFact } from '../../hub/sync/project.ts';
import type { Store } from '../../hub/store/store.ts';
import type { Fact, FactOf } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { DeviceChain, HUB_START, openHub, pushBody, TABLET_A, TABLET_B } from './harness.ts';

const ACCOUNTS = ['acc-0001', 'acc-0003', 'acc-0005', 'acc-0007', 'acc-0404'];
const AMOUNTS = [5_000, 5_100, 20_000, 20_500, 180_000];

type Step =
  | {
      kind: 'payment';
      device: 0 | 1;
      account: number;
      amount: number;
      fault: 'none' | 'currency' | 'short' | 'change';
    }
  | { kind: 'void'; device: 0 | 1; of: number }
  | { kind: 'contact'; device: 0 | 1; account: number; phone: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('payment' as const),
      device: fc.constantFrom(0 as const, 1 as const),
      account: fc.nat({ max: ACCOUNTS.length - 1 }),
      amount: fc.nat({ max: AMOUNTS.length - 1 }),
      fault: fc.constantFrom(
        'none' as const,
        'none' as const,
        'none' as const,
        'currency' as const,
        'short' as const,
        'change' as const,
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('void' as const),
      device: fc.constantFrom(0 as const, 1 as const),
      of: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('contact' as const),
      device: fc.constantFrom(0 as const, 1 as const),
      account: fc.nat({ max: ACCOUNTS.length - 1 }),
      phone: fc.nat({ max: 99 }),
    }),
  },
);

/** The facts of both tablets, each tablet's in its own order. */
function writeFacts(steps: readonly Step[]): [DeviceChain, DeviceChain] {
  const chains: [DeviceChain, DeviceChain] = [
    new DeviceChain(TABLET_A, 'user-amina'),
    new DeviceChain(TABLET_B, 'user-baraka'),
  ];
  const payments: FactOf<'payment'>[] = [];
  for (const step of steps) {
    const chain = chains[step.device];
    if (step.kind === 'payment') {
      const amount = minor(AMOUNTS[step.amount] ?? 5_000);
      payments.push(
        chain.payment({
          accountId: ACCOUNTS[step.account] ?? 'acc-0001',
          amountMinor: amount,
          ...(step.fault === 'currency' && { currency: 'USD' }),
          ...(step.fault === 'short' && { tenderedMinor: minor(amount - 100) }),
          ...(step.fault === 'change' && {
            tenderedMinor: minor(amount + 500),
            changeMinor: minor(100),
          }),
        }),
      );
    } else if (step.kind === 'void') {
      const target = payments[step.of % Math.max(1, payments.length)];
      if (target) chain.voidOf(target);
    } else {
      chain.contact({
        accountId: ACCOUNTS[step.account] ?? 'acc-0001',
        field: 'phone',
        value: `+254 700 000 ${String(step.phone).padStart(3, '0')}`,
        previous: '',
        baseChangeSeq: 0,
      });
    }
  }
  return chains;
}

/** Cuts each tablet's facts into pushes of the given sizes and interleaves them. */
function pushesOf(
  chains: readonly DeviceChain[],
  sizes: readonly number[],
  order: readonly boolean[],
): Fact[][] {
  const queues = chains.map((chain) => {
    const pushes: Fact[][] = [];
    let at = 0;
    let i = 0;
    while (at < chain.facts.length) {
      const size = sizes[i++ % Math.max(1, sizes.length)] ?? 1;
      pushes.push(chain.facts.slice(at, at + size));
      at += size;
    }
    return pushes;
  });
  const pushes: Fact[][] = [];
  let pick = 0;
  while (queues.some((queue) => queue.length > 0)) {
    const first = order[pick++ % Math.max(1, order.length)] ?? true;
    const queue = queues[first ? 0 : 1]?.length ? queues[first ? 0 : 1] : queues[first ? 1 : 0];
    const next = queue?.shift();
    if (next) pushes.push(next);
  }
  return pushes;
}

async function syncTables(store: Store): Promise<Record<string, unknown[]>> {
  const { db } = store;
  const all = (table: Parameters<typeof db.selectFrom>[0], ...keys: string[]) =>
    db
      .selectFrom(table)
      .selectAll()
      .$call((query) => keys.reduce((q, key) => q.orderBy(key as never), query))
      .execute();
  return {
    facts: await all('facts', 'id'),
    payments: await all('payments', 'fact_id'),
    allocations: await all('allocations', 'payment_fact_id', 'bill_id'),
    ledger: await all('ledger', 'source', 'account_id'),
    bills: await all('bills', 'id'),
    accounts: await all('accounts', 'id'),
    voids: await all('voids', 'fact_id'),
    reversals: await all('reversals', 'void_fact_id', 'bill_id'),
    contactEdits: await all('contact_edits', 'fact_id'),
    counters: await all('counters', 'name'),
  };
}

describe('cash payments applied as a batch', () => {
  test('leave the store exactly as applying each fact on its own does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 45 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (steps, sizes, order) => {
          const pushes = pushesOf(writeFacts(steps), sizes, order);
          const batched = await openHub();
          const single = await openHub();
          try {
            for (const [index, facts] of pushes.entries()) {
              const receivedAt = new Date(HUB_START.getTime() + (index + 1) * 1000);
              const device = facts[0]?.deviceId ?? TABLET_A;
              const answer = await ingestPush(
                batched.store,
                await pushBody(device, facts),
                receivedAt,
              );
              expect(answer.results).toHaveLength(facts.length);
              await single.store.transaction(async (trx) => {
                for (const fact of facts) await applyFact(trx, fact, receivedAt);
              });
            }
            expect(await syncTables(batched.store)).toEqual(await syncTables(single.store));
          } finally {
            await batched.store.close();
            await single.store.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 300_000);
});
