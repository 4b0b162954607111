/**
 * Goal: nothing stored can break a read. Whatever facts the hub accepted, within the bounds its
 * schemas enforce, every read endpoint answers (never a 5xx) with an answer its own schema
 * reads, and the integrity check runs to the end.
 *
 * Method: fast-check writes pushes of facts at and around every bound a fact has: amounts of
 * zero, one, the per-payment limit and one past it, the money range's ends; long and unusual
 * strings; readings and periods far apart; voids of earlier payments by id and receipt
 * number, before and after them; and bodies no schema reads. A device signed in on the tablet
 * pushes them (each push then again, as a retry would), and every read endpoint is called.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import {
  collectionsResponseSchema,
  flagsResponseSchema,
  healthResponseSchema,
} from '../../shared/api.ts';
import { devicesResponseSchema } from '../../shared/devices.ts';
import type { Fact } from '../../shared/facts.ts';
import { currencyCodes, MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { pullResponseSchema } from '../../shared/protocol.ts';
import { DEFAULT_MAX_AMOUNT_MINOR } from '../../shared/risk.ts';
import { pullBody, pushBody, request, signInSupervisor } from './harness.ts';
import { scene, type Agent } from './scene.ts';

const LIMIT = DEFAULT_MAX_AMOUNT_MINOR.KES;
const amountArb = fc.constantFrom(
  -MAX_ABS_MINOR,
  -1,
  0,
  1,
  LIMIT - 1,
  LIMIT,
  LIMIT + 1,
  MAX_ABS_MINOR - 1,
  MAX_ABS_MINOR,
);
const accountArb = fc.constantFrom('acc-0001', 'acc-0002', 'acc-0003', 'acc-9999', 'a'.repeat(64));
const textArb = (max: number) =>
  fc.oneof(fc.string({ minLength: 1, maxLength: max }), fc.constant('名'.repeat(max)));
const dateArb = fc
  .date({
    min: new Date('1970-01-02T00:00:00Z'),
    max: new Date('2099-12-30T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString().slice(0, 10));

type Step =
  | { kind: 'payment'; body: Record<string, unknown> }
  | { kind: 'void-of'; of: number; byReceipt: boolean; amount: number }
  | { kind: 'raw'; factKind: string; body: unknown };

const paymentArb = fc.record({
  accountId: accountArb,
  currency: fc.constantFrom(...currencyCodes),
  method: fc.constant('cash'),
  amountMinor: amountArb,
  tenderedMinor: amountArb,
  changeMinor: amountArb,
  receiptNumber: fc.oneof(
    fc.nat({ max: 999_999 }).map((n) => `R-ABCDEF-${String(n).padStart(6, '0')}`),
    textArb(40),
  ),
});

/** A payment whose content breaks no rule, at the largest amounts that still count. */
const countedArb = fc
  .record({
    accountId: fc.constantFrom('acc-0001', 'acc-0003'),
    amountMinor: fc.constantFrom(1, LIMIT - 1, LIMIT),
    receipt: fc.nat({ max: 999_999 }),
  })
  .map(({ accountId, amountMinor, receipt }) => ({
    accountId,
    currency: 'KES',
    method: 'cash',
    amountMinor,
    tenderedMinor: amountMinor,
    changeMinor: 0,
    receiptNumber: `R-ABCDEF-${String(receipt).padStart(6, '0')}`,
  }));

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: countedArb.map((body) => ({ kind: 'payment' as const, body })) },
  { weight: 3, arbitrary: paymentArb.map((body) => ({ kind: 'payment' as const, body })) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('void-of' as const),
      of: fc.nat({ max: 30 }),
      byReceipt: fc.boolean(),
      amount: amountArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ accountId: accountArb, field: fc.constantFrom('name', 'phone', 'address') })
      .chain((base) =>
        fc.record({
          ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fc.constant(v)])),
          value: textArb(200),
          previous: textArb(200),
          baseChangeSeq: fc.nat({ max: 2 ** 31 }),
        }),
      )
      .map((body) => ({ kind: 'raw' as const, factKind: 'contact', body })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        accountId: accountArb,
        meterNumber: textArb(40),
        registerKwh: fc.constantFrom(0, 1, 999_999, 1_000_000, 999_999_999),
        readOn: dateArb,
      })
      .map((body) => ({ kind: 'raw' as const, factKind: 'reading', body })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        accountId: accountArb,
        billNumber: textArb(40),
        readingId: fc.uuid({ version: 7 }),
        period: fc
          .tuple(dateArb, dateArb)
          .map(([a, b]) =>
            a < b ? { from: a, to: b } : { from: b, to: a === b ? '2100-01-01' : a },
          ),
        kwh: fc.constantFrom(0, 1, 10_000_000),
        tariffId: fc.constantFrom('demo-domestic', 'none'),
        tariffVersion: fc.constantFrom(1, 2, 2 ** 31),
        currency: fc.constantFrom(...currencyCodes),
        amountMinor: amountArb,
        carried: fc.array(fc.record({ sourceId: textArb(80), amountMinor: amountArb }), {
          maxLength: 20,
        }),
        totalMinor: amountArb,
      })
      .map((body) => ({ kind: 'raw' as const, factKind: 'spot-bill', body })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        factKind: fc.constantFrom('payment', 'void', 'reading', 'refund', 'x'.repeat(32)),
        body: fc.jsonValue({ maxDepth: 3 }),
      })
      .map(({ factKind, body }) => ({ kind: 'raw' as const, factKind, body })),
  },
);

/** The facts a run's steps make, in the tablet's chain. */
function factsOf(agent: Agent, steps: readonly Step[]): Fact[] {
  const facts: Fact[] = [];
  const payments: Fact[] = [];
  for (const step of steps) {
    if (step.kind === 'payment') {
      const fact = agent.chain.append('payment', step.body as never);
      payments.push(fact);
      facts.push(fact);
    } else if (step.kind === 'void-of') {
      const target = payments[step.of % Math.max(1, payments.length)];
      const body = target?.body as { accountId?: string; receiptNumber?: string } | undefined;
      facts.push(
        agent.chain.append('void', {
          accountId: body?.accountId ?? 'acc-0001',
          ...(step.byReceipt && body?.receiptNumber
            ? { receiptNumber: body.receiptNumber }
            : { paymentId: target?.id ?? '01900000-0000-7000-8000-000000000000' }),
          amountMinor: minor(step.amount),
          reason: 'other',
        } as never),
      );
    } else facts.push(agent.chain.append(step.factKind as never, step.body as never));
  }
  return facts;
}

async function readAll(hub: Awaited<ReturnType<typeof scene>>['hub'], agent: Agent) {
  const { token } = await signInSupervisor(hub.app);
  const reads: [string, Response, { parse: (value: unknown) => unknown }][] = [
    [
      'collections',
      await request(hub.app, 'GET', '/api/collections?limit=1000', undefined, token),
      collectionsResponseSchema,
    ],
    [
      'flags',
      await request(hub.app, 'GET', '/api/flags?limit=1000', undefined, token),
      flagsResponseSchema,
    ],
    [
      'devices',
      await request(hub.app, 'GET', '/api/devices', undefined, token),
      devicesResponseSchema,
    ],
    ['health', await request(hub.app, 'GET', '/api/health'), healthResponseSchema],
    [
      'pull',
      await request(hub.app, 'POST', '/api/sync/pull', pullBody(agent.device, 0), agent.token),
      pullResponseSchema,
    ],
  ];
  for (const [name, response, schema] of reads) {
    expect(response.status, name).toBe(200);
    schema.parse(await response.json());
  }
  const openapi = await request(hub.app, 'GET', '/api/openapi.json');
  expect(openapi.status).toBe(200);
}

describe('nothing stored can break a read', () => {
  test('any facts at the bounds, pushed and pushed again, leave every read endpoint answering', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }),
        async (steps, pushes) => {
          const { hub, amy } = await scene();
          const facts = factsOf(amy, steps);
          const size = Math.ceil(facts.length / pushes);
          for (let start = 0; start < facts.length; start += size) {
            const body = await pushBody(amy.device, facts.slice(start, start + size));
            for (const attempt of [1, 2]) {
              const response = await request(hub.app, 'POST', '/api/sync/push', body);
              expect(response.status, `push, attempt ${attempt}`).toBe(200);
            }
          }
          await readAll(hub, amy);
          const problems = await checkIntegrity(hub.store);
          expect(problems).toEqual([]);
          await hub.store.close();
        },
      ),
      { numRuns: 12 },
    );
  });
});
