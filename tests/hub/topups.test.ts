/**
 * Goal: a prepaid top-up made on a tablet with no network reaches the hub whole and sells its
 * energy once (issue 13, item 2). The hub leases each meter's token counts to one device at a
 * time, checks every token of a top-up (leased to that device, never sold before, the meter's
 * own token for its count and value, the energy they carry, the tariff's price), charges the
 * energy only when the tokens check out, and counts the money whatever it finds. A meter played
 * by the decoder accepts the tokens sold.
 *
 * Method: the hub in-process on the seeded store; tokens made by shared/topup.ts as the tablet
 * makes them, from a lease the test asks for; pushes sent twice (pushes are idempotent); the
 * store's rows, the integrity check and pulls read back.
 */
import { describe, expect, test } from 'vitest';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import { demoTariff } from '../../hub/demo/tariff.ts';
import type { FactOf, TopUp } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { decodeOpenPaygoToken, type OpenPaygoDeviceState } from '../../shared/openpaygo/index.ts';
import { leaseResponseSchema, type LeaseResponse } from '../../shared/protocol.ts';
import {
  boughtBefore,
  makeTokens,
  purchaseFor,
  tokensLeft,
  type TokenLease,
} from '../../shared/topup.ts';
import { hubBalance } from '../client/device-hub.ts';
import { amina, enrolTablet, HUB_START, request, TABLET_C, type Hub } from './harness.ts';
import { agentOn, at, pull, push, scene, snapshotOf, type Agent } from './scene.ts';

/** acc-0109 is prepaid on Amina's route; acc-0001 is not; acc-0018 is prepaid on Baraka's. */
const PREPAID = 'acc-0109';

async function askLeases(
  hub: Hub,
  agent: Agent,
  accountIds: string[],
  take = false,
): Promise<LeaseResponse> {
  const response = await request(
    hub.app,
    'POST',
    '/api/prepaid/leases',
    { deviceId: agent.device, accountIds, ...(take ? { take } : {}) },
    agent.token,
  );
  expect(response.status).toBe(200);
  return leaseResponseSchema.parse(await response.json());
}

function leaseOf(answer: LeaseResponse, accountId: string): TokenLease {
  const lease = answer.leases.find((l) => l.accountId === accountId);
  if (!lease) throw new Error(`no lease of ${accountId}: ${JSON.stringify(answer.refused)}`);
  return lease;
}

/** A top-up as the tablet makes it: priced by the tariff, tokens after `lastCount`. */
function topUpFor(
  lease: TokenLease,
  amountMinor: number,
  lastCount: number,
  sold: { soldOn: string; energyWh: number }[] = [],
  saleDate = '2026-11-19',
): TopUp {
  const purchase = purchaseFor({
    versions: [demoTariff],
    tariffId: demoTariff.id,
    amountMinor: minor(amountMinor),
    saleDate,
    bought: boughtBefore(sold, saleDate),
    unitWh: lease.meter.unitWh,
  });
  if (!purchase.ok) throw new Error(purchase.error);
  const tokens = makeTokens(lease, lastCount, purchase.value.energyWh);
  if (!tokens.ok) throw new Error(tokens.error);
  return {
    system: 'openpaygo',
    tariffId: demoTariff.id,
    tariffVersion: purchase.value.tariffVersion,
    energyWh: purchase.value.energyWh,
    costMinor: purchase.value.costMinor,
    tokens: tokens.value,
  };
}

async function energyCharged(hub: Hub, factId: string): Promise<number | undefined> {
  const row = await hub.store.db
    .selectFrom('ledger')
    .select('delta_minor')
    .where('source', '=', `energy:${factId}`)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.delta_minor);
}

describe('prepaid top-ups', () => {
  test('a lease is granted to one device of the route, kept, refused to another, moved only when taken', async () => {
    const { hub, amy, bob } = await scene();
    const first = await askLeases(hub, amy, [PREPAID, 'acc-0001', 'acc-0018']);
    const lease = leaseOf(first, PREPAID);
    expect(lease).toMatchObject({ fromCount: 2, toCount: 18 });
    expect(lease.meter.secretKeyHex).toMatch(/^[0-9a-f]{32}$/);
    expect(first.refused).toEqual([
      { accountId: 'acc-0001', reason: 'not-prepaid' },
      { accountId: 'acc-0018', reason: 'out-of-scope' },
    ]);
    expect(leaseOf(await askLeases(hub, amy, [PREPAID]), PREPAID)).toEqual(lease);
    expect((await askLeases(hub, bob, [PREPAID])).refused).toEqual([
      { accountId: PREPAID, reason: 'out-of-scope' },
    ]);

    // Amina's second tablet: the lease is hers on tablet A until tablet C takes it.
    await enrolTablet(hub.store, TABLET_C, HUB_START);
    const amyOnC = await agentOn(hub, amina, TABLET_C);
    expect((await askLeases(hub, amyOnC, [PREPAID])).refused).toEqual([
      { accountId: PREPAID, reason: 'held-elsewhere' },
    ]);
    const taken = leaseOf(await askLeases(hub, amyOnC, [PREPAID], true), PREPAID);
    expect(taken).toMatchObject({ fromCount: 18, toCount: 34 });
    expect((await askLeases(hub, amy, [PREPAID])).refused).toEqual([
      { accountId: PREPAID, reason: 'held-elsewhere' },
    ]);

    // A route's worth of ids in one request (the most the schema takes, each as long as it may
    // be) is read, not refused for its size: those not on the route are refused one by one.
    const many = Array.from({ length: 500 }, (_, i) => `acc-${String(i).padStart(60, '0')}`);
    expect((await askLeases(hub, amy, many)).refused).toHaveLength(500);

    // A session asks only for its own device.
    const other = await request(
      hub.app,
      'POST',
      '/api/prepaid/leases',
      { deviceId: TABLET_C, accountIds: [PREPAID] },
      amy.token,
    );
    expect(other.status).toBe(403);
    const audit = await hub.store.db
      .selectFrom('audit')
      .select('action')
      .where('action', '=', 'token-leases-granted')
      .execute();
    expect(audit).toHaveLength(2);
  });

  test('a top-up sells its energy once: the meter takes its tokens, the account is charged the cost and credited the rest', async () => {
    const { hub, amy } = await scene();
    const lease = leaseOf(await askLeases(hub, amy, [PREPAID]), PREPAID);
    const before = await hubBalance(hub.store, PREPAID);
    const topUp = topUpFor(lease, 300_000, 1);
    expect(topUp.tokens.length).toBeGreaterThan(1);
    const fact = amy.chain.payment({ accountId: PREPAID, amountMinor: minor(300_000), topUp });
    const answer = await push(hub, amy, [fact]);
    expect(at(answer.results, 0)).toMatchObject({ outcome: 'accepted' });
    expect(await hubBalance(hub.store, PREPAID)).toBe(before - 300_000 + topUp.costMinor);
    expect(await energyCharged(hub, fact.id)).toBe(topUp.costMinor);
    const tokens = await hub.store.db
      .selectFrom('top_up_tokens')
      .select(['count', 'value', 'digits'])
      .where('account_id', '=', PREPAID)
      .orderBy('count')
      .execute();
    expect(tokens.map((t) => ({ ...t, count: Number(t.count) }))).toEqual(topUp.tokens);
    const meter = await hub.store.db
      .selectFrom('prepaid_meters')
      .select('last_count')
      .where('account_id', '=', PREPAID)
      .executeTakeFirstOrThrow();
    expect(Number(meter.last_count)).toBe(topUp.tokens.at(-1)?.count);

    // The meter, played by the decoder from a new device's state, loads every token once.
    let state: OpenPaygoDeviceState = { lastCount: 1, usedCounts: [] };
    let loaded = 0;
    for (const token of topUp.tokens) {
      const decoded = decodeOpenPaygoToken({ device: lease.meter, state, token: token.digits });
      expect(decoded.ok).toBe(true);
      if (!decoded.ok || decoded.value.command.kind !== 'add-time') return;
      loaded += decoded.value.command.value;
      state = decoded.value.state;
    }
    expect(loaded * lease.meter.unitWh).toBe(topUp.energyWh);
    expect(await checkIntegrity(hub.store)).toEqual([]);

    // The device's next pull sees the energy sold this month.
    const page = await pull(hub, amy, 0);
    expect(snapshotOf(page, PREPAID).prepaid).toEqual({
      system: 'openpaygo',
      unitWh: 100,
      soldByMonth: [{ month: '2026-11', energyWh: topUp.energyWh }],
    });
    expect(snapshotOf(page, 'acc-0001').prepaid).toBeUndefined();
  });

  test('tokens at a count sold before, outside the lease, altered or mispriced are flagged; the money counts, the energy only when the tokens hold', async () => {
    const { hub, amy } = await scene();
    const lease = leaseOf(await askLeases(hub, amy, [PREPAID]), PREPAID);
    const first = topUpFor(lease, 20_000, 1);
    const sold = amy.chain.payment({
      accountId: PREPAID,
      amountMinor: minor(20_000),
      topUp: first,
    });
    const last = first.tokens.at(-1)?.count ?? 0;
    const reused = amy.chain.payment({
      accountId: PREPAID,
      amountMinor: minor(20_000),
      topUp: first,
    });
    const outside = amy.chain.payment({
      accountId: PREPAID,
      amountMinor: minor(20_000),
      topUp: topUpFor({ ...lease, fromCount: 40, toCount: 60 }, 20_000, 39),
    });
    const good = topUpFor(lease, 20_000, last, [
      { soldOn: '2026-11-19', energyWh: first.energyWh },
    ]);
    const altered = amy.chain.payment({
      accountId: PREPAID,
      amountMinor: minor(20_000),
      topUp: {
        ...good,
        tokens: good.tokens.map((t) => ({
          ...t,
          digits: t.digits.replace(/.$/, (d) => String((Number(d) + 1) % 10)),
        })),
      },
    });
    const cheap = amy.chain.payment({
      accountId: PREPAID,
      amountMinor: minor(20_000),
      topUp: { ...good, costMinor: minor(good.costMinor - 1) },
    });
    const postpaid = amy.chain.payment({
      accountId: 'acc-0001',
      amountMinor: minor(20_000),
      topUp: first,
    });
    const before = await hubBalance(hub.store, PREPAID);
    const answer = await push(hub, amy, [sold, reused, outside, altered, cheap, postpaid]);
    expect(answer.results.map((r) => [r.outcome, r.reason ?? null])).toEqual([
      ['accepted', null],
      ['flagged', 'token-count-reused'],
      ['flagged', 'token-not-leased'],
      ['flagged', 'token-mismatch'],
      ['flagged', 'top-up-differs'],
      ['flagged', 'not-prepaid'],
    ]);
    // Five payments of 200 counted on the prepaid account; energy charged for the first and
    // the mispriced one (its tokens hold: the customer has them, at the price told).
    expect(await hubBalance(hub.store, PREPAID)).toBe(
      before - 5 * 20_000 + first.costMinor + good.costMinor - 1,
    );
    expect(await energyCharged(hub, reused.id)).toBeUndefined();
    expect(await energyCharged(hub, outside.id)).toBeUndefined();
    expect(await energyCharged(hub, altered.id)).toBeUndefined();
    expect(await energyCharged(hub, cheap.id)).toBe(good.costMinor - 1);
    const statuses = await hub.store.db
      .selectFrom('top_ups')
      .select(['fact_id', 'status'])
      .execute();
    expect(new Map(statuses.map((s) => [s.fact_id, s.status]))).toEqual(
      new Map([
        [sold.id, 'sold'],
        [reused.id, 'not-sold'],
        [outside.id, 'not-sold'],
        [altered.id, 'not-sold'],
        [cheap.id, 'sold'],
        [postpaid.id, 'not-sold'],
      ]),
    );
    expect(await checkIntegrity(hub.store)).toEqual([]);
  });

  test('a used-up lease is renewed after its sales reach the hub, at the counts after it', async () => {
    const { hub, amy } = await scene();
    const lease = leaseOf(await askLeases(hub, amy, [PREPAID]), PREPAID);
    const facts: FactOf<'payment'>[] = [];
    let lastCount = 1;
    const sold: { soldOn: string; energyWh: number }[] = [];
    while (tokensLeft(lease, lastCount) > 0) {
      // Amounts that differ, so none looks like the one before taken twice.
      const amount = 5_000 + facts.length * 500;
      const topUp = topUpFor(lease, amount, lastCount, sold);
      expect(topUp.tokens).toHaveLength(1);
      lastCount = at(topUp.tokens, 0).count;
      sold.push({ soldOn: '2026-11-19', energyWh: topUp.energyWh });
      facts.push(amy.chain.payment({ accountId: PREPAID, amountMinor: minor(amount), topUp }));
    }
    expect(facts).toHaveLength(8);
    const answer = await push(hub, amy, facts);
    expect(answer.results.every((r) => r.outcome === 'accepted' && r.reason === undefined)).toBe(
      true,
    );
    expect(leaseOf(await askLeases(hub, amy, [PREPAID]), PREPAID)).toMatchObject({
      fromCount: 18,
      toCount: 34,
    });
  });
});
