/**
 * Goal: nothing a tablet sends can jam it or break a screen, and every figure agrees. A fact
 * whose envelope is sound is stored whatever its body holds, flagged with what is wrong, and
 * never stops the facts after it; one payment can carry only so much; a void can name its
 * payment by the receipt number printed on it; a fact is its agent's only if that agent signed
 * in on the device; a revoked device's payments stay as decided and a void elsewhere still
 * reverses them; readings in the future or far above the meter's history are flagged and not
 * billed, and do not block the readings after them.
 *
 * Method: the hub app in-process on a real store (SQLite, and PostgreSQL in the second run of
 * the hub suite), facts built as a device builds them, every push sent twice (a retry must
 * answer the same and change nothing: scene.ts `push`). Bodies no device of ours would send are
 * sealed into the chain by hand, as a foreign or broken device would. Each test names the
 * defect it guards against, reproduced first against the code before the fix.
 */
import { describe, expect, test } from 'vitest';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import { collectionsResponseSchema, flagsResponseSchema } from '../../shared/api.ts';
import type { Fact } from '../../shared/facts.ts';
import { MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { pushResponseSchema, uploadResponseSchema } from '../../shared/protocol.ts';
import { DEFAULT_DEVICE_SETTINGS, DEFAULT_MAX_AMOUNT_MINOR } from '../../shared/risk.ts';
import { createApp } from '../../hub/app.ts';
import { demoTariffDocument } from '../../hub/demo/tariff.ts';
import {
  accountState,
  amina,
  DeviceChain,
  pushBody,
  request,
  signInAgent,
  TABLET_A,
  TABLET_C,
  enrolTablet,
  HUB_START,
} from './harness.ts';
import { at, pull, push, result, scene, snapshotOf, type Agent } from './scene.ts';

/** A fact with any body, sealed into the agent's chain as a device that does not check would. */
function raw(agent: Agent, kind: string, body: unknown): Fact {
  return agent.chain.append(kind as never, body as never);
}

describe('a sound envelope is always stored', () => {
  test('a void naming its payment by a printed receipt number in the id field is stored, flagged body-invalid, and the payments after it are accepted', async () => {
    const { hub, amy, supervisor } = await scene();
    const bad = raw(amy, 'void', {
      accountId: 'acc-0001',
      paymentId: 'R-6966D5-000001',
      amountMinor: 1_000,
      reason: 'entered-twice',
    });
    const after = amy.chain.payment({ accountId: 'acc-0003', amountMinor: minor(3_303) });
    const before = await accountState(hub.store, 'acc-0003');

    const answer = await push(hub, amy, [bad, after]);

    expect(at(answer.results, 0)).toEqual({
      ...result(bad, 'flagged', at(answer.results, 0).changeSeq, 'body-invalid'),
      fault: { field: 'body.paymentId', problem: 'bad-format' },
    });
    expect(at(answer.results, 1)).toEqual(
      result(after, 'accepted', at(answer.results, 1).changeSeq),
    );
    expect((await accountState(hub.store, 'acc-0003')).balanceMinor).toBe(
      before.balanceMinor - 3_303,
    );
    const next = amy.chain.payment({ accountId: 'acc-0005', amountMinor: minor(5_505) });
    expect(at((await push(hub, amy, [next])).results, 0).outcome).toBe('accepted');
    const review = await request(hub.app, 'GET', '/api/flags', undefined, supervisor);
    expect(review.status).toBe(200);
    const listed = flagsResponseSchema.parse(await review.json()).flags;
    expect(listed.map((flag) => [flag.factId, flag.reason, flag.fault])).toEqual([
      [bad.id, 'body-invalid', { field: 'body.paymentId', problem: 'bad-format' }],
    ]);
    expect(await checkIntegrity(hub.store)).toEqual([]);
  });

  test('a kind the hub does not know, and a body that is not an object, are stored and flagged; the push is not refused', async () => {
    const { hub, amy } = await scene();
    const unknown = raw(amy, 'refund', { accountId: 'acc-0001', amountMinor: 100 });
    const notObject = raw(amy, 'payment', ['acc-0001', 100]);
    const answer = await push(hub, amy, [unknown, notObject]);
    expect(answer.results.map((r) => [r.outcome, r.reason, r.fault])).toEqual([
      ['flagged', 'body-invalid', { field: 'kind', problem: 'unknown-kind' }],
      ['flagged', 'body-invalid', { field: 'body', problem: 'wrong-type' }],
    ]);
    expect(await hub.store.db.selectFrom('payments').selectAll().execute()).toEqual([]);
  });

  test('a supervisor uploading the file of a device with a bad fact gets every push stored', async () => {
    const { hub, amy, supervisor } = await scene();
    const bad = raw(amy, 'void', { accountId: 'acc-0001', paymentId: 'nope', amountMinor: 1 });
    const good = amy.chain.payment({ accountId: 'acc-0007', amountMinor: minor(7_707) });
    const file = {
      kind: 'gridtally-outbox',
      formatVersion: 1,
      deviceId: TABLET_A,
      exportedAt: HUB_START.toISOString(),
      pushes: [await pushBody(TABLET_A, [bad, good])],
    };
    const response = await request(hub.app, 'POST', '/api/sync/upload', file, supervisor);
    expect(response.status).toBe(200);
    const answer = uploadResponseSchema.parse(await response.json());
    const first = at(answer.pushes, 0);
    if (!first.ok) throw new Error(`the push was refused: ${first.error}`);
    expect(first.response.results.map((r) => [r.id, r.outcome, r.reason])).toEqual([
      [bad.id, 'flagged', 'body-invalid'],
      [good.id, 'accepted', undefined],
    ]);
  });

  test('a body nesting deeper than the limit refuses the push whole with invalid-request, and writes nothing', async () => {
    const { hub, amy } = await scene();
    let deep: unknown = 'bottom';
    for (let level = 0; level < 10; level++) deep = { deeper: deep };
    const fact = raw(amy, 'payment', deep);
    const response = await request(
      hub.app,
      'POST',
      '/api/sync/push',
      await pushBody(TABLET_A, [fact]),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid-request' });
    expect(await hub.store.db.selectFrom('facts').selectAll().execute()).toEqual([]);
  });
});

describe('one payment carries only so much', () => {
  test('two payments of 6×10^14 are stored, flagged amount-above-limit, move no balance, and the collections still answer', async () => {
    const { hub, amy, supervisor } = await scene();
    const huge = minor(600_000_000_000_000);
    const before = await accountState(hub.store, 'acc-0009');
    const first = amy.chain.payment({ accountId: 'acc-0009', amountMinor: huge });
    const second = amy.chain.payment({ accountId: 'acc-0011', amountMinor: huge });
    const answer = await push(hub, amy, [first, second]);
    expect(answer.results.map((r) => r.reason)).toEqual([
      'amount-above-limit',
      'amount-above-limit',
    ]);
    expect((await accountState(hub.store, 'acc-0009')).balanceMinor).toBe(before.balanceMinor);

    const response = await request(hub.app, 'GET', '/api/collections', undefined, supervisor);
    expect(response.status).toBe(200);
    const body = collectionsResponseSchema.parse(await response.json());
    // The sum passes the range of one amount: it is given exactly, as decimal digits.
    expect(body.totals).toEqual([
      {
        currency: 'KES',
        byStanding: [{ standing: 'not-applied', count: 2, amountMinor: '1200000000000000' }],
        appliedMinor: '0',
        reversedMinor: '0',
        netMinor: '0',
      },
    ]);
    expect(2 * huge).toBeGreaterThan(MAX_ABS_MINOR);
  });

  test('a payment at the limit counts, one minor unit more does not; the hub’s setting moves the limit', async () => {
    const { hub, amy } = await scene();
    const limited = createApp({
      store: hub.store,
      now: () => hub.peekClock(),
      deviceSettings: { ...DEFAULT_DEVICE_SETTINGS, maxAmountMinor: { KES: 50_000 } },
    });
    const at50 = amy.chain.payment({ accountId: 'acc-0013', amountMinor: minor(50_000) });
    const over = amy.chain.payment({ accountId: 'acc-0015', amountMinor: minor(50_001) });
    const response = await limited.request('/api/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await pushBody(TABLET_A, [at50, over])),
    });
    expect(response.status).toBe(200);
    const answer = pushResponseSchema.parse(await response.json());
    expect(answer.results.map((r) => [r.outcome, r.reason])).toEqual([
      ['accepted', undefined],
      ['flagged', 'amount-above-limit'],
    ]);
    expect(DEFAULT_MAX_AMOUNT_MINOR.KES).toBeGreaterThan(50_001);
  });
});

describe('a void by the receipt number printed', () => {
  test('a void by receipt number that arrives before its payment is held, then reverses it when the payment arrives', async () => {
    const { hub, amy, bob } = await scene();
    const payment = amy.chain.payment({
      accountId: 'acc-0017',
      amountMinor: minor(17_017),
      receiptNumber: 'R-AAAAAA-000017',
    });
    const before = await accountState(hub.store, 'acc-0017');
    const voided = bob.chain.append('void', {
      accountId: 'acc-0017',
      receiptNumber: 'R-AAAAAA-000017',
      amountMinor: minor(17_017),
      reason: 'entered-twice',
    });
    expect(at((await push(hub, bob, [voided])).results, 0).outcome).toBe('held');

    const paid = await push(hub, amy, [payment]);

    expect(at(paid.results, 0).outcome).toBe('accepted');
    const row = await hub.store.db
      .selectFrom('voids')
      .select(['payment_id', 'status', 'reversed_minor'])
      .where('fact_id', '=', voided.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ payment_id: payment.id, status: 'applied', reversed_minor: 17_017 });
    expect((await accountState(hub.store, 'acc-0017')).balanceMinor).toBe(before.balanceMinor);
    expect(await checkIntegrity(hub.store)).toEqual([]);
  });

  test('a receipt number two payments share is flagged void-reference-ambiguous and reverses nothing', async () => {
    const { hub, amy, bob } = await scene();
    const receiptNumber = 'R-BBBBBB-000001';
    const one = amy.chain.payment({
      accountId: 'acc-0019',
      amountMinor: minor(1_919),
      receiptNumber,
    });
    const two = bob.chain.payment({
      accountId: 'acc-0021',
      amountMinor: minor(2_121),
      receiptNumber,
    });
    await push(hub, amy, [one]);
    await push(hub, bob, [two]);
    const voided = bob.chain.append('void', {
      accountId: 'acc-0023',
      receiptNumber,
      amountMinor: minor(1_919),
      reason: 'other',
    });
    expect(at((await push(hub, bob, [voided])).results, 0).reason).toBe('void-reference-ambiguous');
  });
});

describe('who took the payment', () => {
  test('payments “taken by” the supervisor, or by an agent before she signed in on the device, are stored, not applied, and flagged; after her sign-in hers count', async () => {
    const { hub, amy } = await scene();
    await enrolTablet(hub.store, TABLET_C, HUB_START);
    const before = await accountState(hub.store, 'acc-0025');
    const chain = new DeviceChain(TABLET_C, 'user-grace');
    const tablet: Agent = { device: TABLET_C, token: amy.token, chain };
    const byGrace = chain.payment({ accountId: 'acc-0025', amountMinor: minor(2_525) });
    // The same tablet, another agent in the header: a chain's facts may name different agents.
    Object.assign(chain, { agentId: 'user-amina' });
    const byAmina = chain.payment({ accountId: 'acc-0025', amountMinor: minor(9_925) });

    const answer = await push(hub, tablet, [byGrace, byAmina]);

    expect(answer.results.map((r) => r.reason)).toEqual([
      'agent-not-on-device',
      'agent-not-on-device',
    ]);
    expect((await accountState(hub.store, 'acc-0025')).balanceMinor).toBe(before.balanceMinor);
    await signInAgent(hub.app, amina, TABLET_C);
    const signedIn = chain.payment({ accountId: 'acc-0027', amountMinor: minor(2_727) });
    expect(at((await push(hub, tablet, [signedIn])).results, 0).outcome).toBe('accepted');
  });
});

describe('a revoked device', () => {
  test('its payment stays applied, and a void of it by receipt from another tablet gives the money back', async () => {
    const { hub, amy, bob, supervisor } = await scene();
    const before = await accountState(hub.store, 'acc-0029');
    const payment = amy.chain.payment({ accountId: 'acc-0029', amountMinor: minor(41_041) });
    await push(hub, amy, [payment]);
    const revoked = await request(
      hub.app,
      'POST',
      `/api/devices/${TABLET_A}/revoke`,
      undefined,
      supervisor,
    );
    expect(revoked.status).toBe(200);
    expect((await accountState(hub.store, 'acc-0029')).balanceMinor).toBe(
      before.balanceMinor - 41_041,
    );

    const voided = bob.chain.voidOf(payment, { reason: 'other' });
    const answer = await push(hub, bob, [voided]);

    expect(at(answer.results, 0).outcome).toBe('accepted');
    const row = await hub.store.db
      .selectFrom('voids')
      .select('reversed_minor')
      .where('fact_id', '=', voided.id)
      .executeTakeFirstOrThrow();
    expect(row.reversed_minor).toBe(41_041);
    expect((await accountState(hub.store, 'acc-0029')).balanceMinor).toBe(before.balanceMinor);
    expect(await checkIntegrity(hub.store)).toEqual([]);
  });

  test('its exported file, uploaded by a supervisor, is stored and flagged device-revoked, and moves no balance', async () => {
    const { hub, amy, supervisor } = await scene();
    const before = await accountState(hub.store, 'acc-0031');
    await request(hub.app, 'POST', `/api/devices/${TABLET_A}/revoke`, undefined, supervisor);
    const late = amy.chain.payment({ accountId: 'acc-0031', amountMinor: minor(3_131) });
    const online = await request(
      hub.app,
      'POST',
      '/api/sync/push',
      await pushBody(TABLET_A, [late]),
    );
    expect(online.status).toBe(403);
    const file = {
      kind: 'gridtally-outbox',
      formatVersion: 1,
      deviceId: TABLET_A,
      exportedAt: HUB_START.toISOString(),
      pushes: [await pushBody(TABLET_A, [late])],
    };
    const response = await request(hub.app, 'POST', '/api/sync/upload', file, supervisor);
    const answer = uploadResponseSchema.parse(await response.json());
    const first = at(answer.pushes, 0);
    if (!first.ok) throw new Error(`refused: ${first.error}`);
    expect(first.response.results.map((r) => [r.outcome, r.reason])).toEqual([
      ['flagged', 'device-revoked'],
    ]);
    expect((await accountState(hub.store, 'acc-0031')).balanceMinor).toBe(before.balanceMinor);
  });
});

describe('readings that make sense', () => {
  test('a new meter is judged by its tariff class: 30 kWh a day is implausible where the class uses at most 20', async () => {
    const { hub, amy, admin } = await scene();
    const snapshot = snapshotOf(await pull(hub, amy, 0), 'acc-0037');
    const last = snapshot.lastReading;
    if (!last) throw new Error('acc-0037 has no reading');
    // A meter fitted at its last reading: no history of its own before it.
    await hub.store.db
      .deleteFrom('readings')
      .where('account_id', '=', 'acc-0037')
      .where('read_on', '<', last.readOn)
      .execute();
    const published = await request(
      hub.app,
      'POST',
      '/api/tariffs/demo-domestic/versions',
      { ...demoTariffDocument, version: 2, effectiveFrom: '2026-11-02', plausibleKwhPerDay: 20 },
      admin,
    );
    expect(published.status).toBe(201);
    const readOn = new Date(Date.parse(`${last.readOn}T00:00:00Z`) + 10 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const reading = amy.chain.reading({
      accountId: 'acc-0037',
      meterNumber: snapshot.meterNumber,
      registerKwh: last.registerKwh + 300,
      readOn,
    });
    expect(at((await push(hub, amy, [reading])).results, 0).reason).toBe('implausible-reading');
  });

  test('900,000 kWh in under three weeks is flagged implausible-reading, and its bill is not issued', async () => {
    const { hub, amy } = await scene();
    const snapshot = snapshotOf(await pull(hub, amy, 0), 'acc-0033');
    const last = snapshot.lastReading;
    if (!last) throw new Error('acc-0033 has no reading');
    const before = await accountState(hub.store, 'acc-0033');
    const readOn = '2026-11-20';
    const reading = amy.chain.reading({
      accountId: 'acc-0033',
      meterNumber: snapshot.meterNumber,
      registerKwh: last.registerKwh + 900_000,
      readOn,
      confirmedImplausible: true,
    });
    const bill = amy.chain.spotBill({
      accountId: 'acc-0033',
      billNumber: 'B-0033',
      readingId: reading.id,
      period: { from: last.readOn, to: readOn },
      kwh: 900_000,
      tariffId: snapshot.tariffId,
      tariffVersion: 1,
      currency: 'KES',
      amountMinor: minor(2_170_000_000),
      carried: [],
      totalMinor: minor(2_170_000_000),
    });
    const answer = await push(hub, amy, [reading, bill]);
    expect(answer.results.map((r) => r.reason)).toEqual([
      'implausible-reading',
      'implausible-reading',
    ]);
    expect((await accountState(hub.store, 'acc-0033')).balanceMinor).toBe(before.balanceMinor);
  });

  test('a reading dated next year is flagged reading-in-future, and today’s real reading after it is accepted and becomes the last one', async () => {
    const { hub, amy } = await scene();
    const snapshot = snapshotOf(await pull(hub, amy, 0), 'acc-0035');
    const last = snapshot.lastReading;
    if (!last) throw new Error('acc-0035 has no reading');
    const future = amy.chain.reading({
      accountId: 'acc-0035',
      meterNumber: snapshot.meterNumber,
      registerKwh: last.registerKwh + 4_000,
      readOn: '2027-11-20',
    });
    const today = amy.chain.reading({
      accountId: 'acc-0035',
      meterNumber: snapshot.meterNumber,
      registerKwh: last.registerKwh + 40,
      readOn: '2026-11-20',
    });
    const answer = await push(hub, amy, [future, today]);
    expect(answer.results.map((r) => [r.outcome, r.reason])).toEqual([
      ['flagged', 'reading-in-future'],
      ['accepted', undefined],
    ]);
    const after = snapshotOf(await pull(hub, amy, 0), 'acc-0035');
    expect(after.recentReadings.at(-1)).toEqual({
      readOn: '2026-11-20',
      registerKwh: last.registerKwh + 40,
    });
  });
});
