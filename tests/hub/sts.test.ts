/**
 * Goal: STS top-ups end to end on the hub (docs/prepaid-tokens.md, "STS"). A payment recorded
 * on a tablet, offline if need be, carries an STS top-up with the energy it priced and no
 * token; the hub checks it like any top-up, sells the energy, and vends exactly one token per
 * payment (the fact id is the request id), whether the token is vended after the push, asked
 * for by the tablet, asked for many times at once, or asked again after an answer was lost.
 * The meter, played by the decoder, takes the token once. The software vending module refuses
 * by the contract's closed codes and checks the meter's identity against its record.
 *
 * Method: the seeded hub in-process (SQLite, and again on PostgreSQL); the demo's STS meters
 * (customers 139 and 179 on Amina's route); the top-up priced with shared/topup.ts as the
 * tablet prices it; pushes sent twice; a second app on the same store with a vending service
 * that fails, to stand for an outage and for an answer lost after the vend.
 */
import { describe, expect, test } from 'vitest';
import { createApp } from '../../hub/app.ts';
import { demoStsMeterNumber, DEMO_STS } from '../../hub/demo/sts.ts';
import { demoTariff } from '../../hub/demo/tariff.ts';
import { vendPending, vendTopUp } from '../../hub/prepaid/sts/deliver.ts';
import { decoderKeyDkga02 } from '../../hub/prepaid/sts/keys.ts';
import { StsMeter } from '../../hub/prepaid/sts/meter.ts';
import { SoftwareStsVending } from '../../hub/prepaid/sts/vending.ts';
import { accountDetailSchema } from '../../shared/account-detail.ts';
import type { StsTopUp } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import type { StsVendingService, StsVendRequest } from '../../shared/prepaid-tokens.ts';
import { stsVendAnswerSchema, type StsVendAnswer } from '../../shared/protocol.ts';
import { boughtBefore, purchaseFor } from '../../shared/topup.ts';
import { pushBody, request, type Hub } from './harness.ts';
import { at, pull, push, pushOnce, scene, snapshotOf, type Agent } from './scene.ts';

const STS_ACCOUNT = 'acc-0139';
const OTHER_STS_ACCOUNT = 'acc-0179';
const METER = demoStsMeterNumber(139);

function stsTopUp(amountMinor: number, change: Partial<StsTopUp> = {}): StsTopUp {
  const purchase = purchaseFor({
    versions: [demoTariff],
    tariffId: demoTariff.id,
    amountMinor: minor(amountMinor),
    saleDate: '2026-11-19',
    bought: boughtBefore([], '2026-11-19'),
    unitWh: 100,
  });
  if (!purchase.ok) throw new Error(purchase.error);
  return {
    system: 'sts',
    tariffId: demoTariff.id,
    tariffVersion: purchase.value.tariffVersion,
    energyWh: purchase.value.energyWh,
    costMinor: purchase.value.costMinor,
    meterNumber: METER,
    ...change,
  };
}

async function meterOf(hub: Hub, meterNumber = METER): Promise<StsMeter> {
  const key = await hub.store.db
    .selectFrom('sts_vending_keys')
    .select('vending_key')
    .executeTakeFirstOrThrow();
  return new StsMeter(
    decoderKeyDkga02(Uint8Array.from(Buffer.from(key.vending_key, 'hex')), {
      meterNumber,
      supplyGroupCode: DEMO_STS.supplyGroupCode,
      keyRevisionNumber: DEMO_STS.keyRevisionNumber,
      tariffIndex: DEMO_STS.tariffIndex,
    }),
  );
}

async function askToken(hub: Hub, agent: Agent, factId: string) {
  const response = await request(
    hub.app,
    'POST',
    '/api/prepaid/sts/vends',
    { factId },
    agent.token,
  );
  return {
    status: response.status,
    answer: response.status === 200 ? stsVendAnswerSchema.parse(await response.json()) : undefined,
  };
}

function tokensOf(answer: StsVendAnswer | undefined): string[] {
  if (answer?.outcome !== 'vended') throw new Error(`not vended: ${JSON.stringify(answer)}`);
  return answer.vend.tokens;
}

async function vendRows(hub: Hub, factId: string) {
  return hub.store.db
    .selectFrom('sts_vends')
    .selectAll()
    .where('request_id', '=', factId)
    .execute();
}

/** A vending service that fails: before vending (an outage), or after it (the answer lost). */
function failing(hub: Hub, when: 'before' | 'after'): StsVendingService {
  const real = new SoftwareStsVending({ store: hub.store, now: () => hub.peekClock() });
  return {
    async vend(vendRequest: StsVendRequest) {
      if (when === 'after') await real.vend(vendRequest);
      throw new Error(`the vending service failed ${when} vending`);
    },
  };
}

describe('STS top-ups', () => {
  test('a top-up pushed is sold and vended once; the pull carries the token; the meter takes it once', async () => {
    const { hub, amy } = await scene();
    const topUp = stsTopUp(50_000);
    const payment = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(50_000),
      topUp,
    });
    const answer = await push(hub, amy, [payment]);
    expect(at(answer.results, 0)).toMatchObject({ outcome: 'accepted' });
    const energy = await hub.store.db
      .selectFrom('ledger')
      .select('delta_minor')
      .where('source', '=', `energy:${payment.id}`)
      .executeTakeFirstOrThrow();
    expect(Number(energy.delta_minor)).toBe(topUp.costMinor);

    const rows = await vendRows(hub, payment.id);
    expect(rows).toHaveLength(1);
    const snapshot = snapshotOf(await pull(hub, amy, 0), STS_ACCOUNT);
    expect(snapshot.prepaid).toMatchObject({ system: 'sts', stsMeterNumber: METER, unitWh: 100 });
    const vend = at(snapshot.prepaid?.stsVends ?? [], 0);
    expect(vend).toMatchObject({ factId: payment.id, energyDeciKwh: topUp.energyWh / 100 });

    const meter = await meterOf(hub);
    const token = at(vend.tokens, 0);
    expect(meter.enter(token)).toMatchObject({
      ok: true,
      value: { addedDeciKwh: topUp.energyWh / 100 },
    });
    expect(meter.enter(token)).toEqual({ ok: false, error: 'already-used' });

    // The customer's history from the hub (any tablet of the route) shows it too.
    const detail = await request(
      hub.app,
      'GET',
      `/api/accounts/${STS_ACCOUNT}`,
      undefined,
      amy.token,
    );
    const history = accountDetailSchema.parse(await detail.json());
    const listed = history.payments.find((p) => p.factId === payment.id);
    expect(listed?.topUp?.tokens.map((t) => t.digits)).toEqual(vend.tokens);

    // The tablet asks by the fact id: the same token, never a second one.
    const asked = await askToken(hub, amy, payment.id);
    expect(asked.status).toBe(200);
    expect(tokensOf(asked.answer)).toEqual(vend.tokens);
    expect(await vendRows(hub, payment.id)).toHaveLength(1);
  });

  test('a vending outage at push leaves the money stored; the tablet’s ask vends it; many asks at once vend once', async () => {
    const { hub, amy } = await scene();
    const down = createApp({
      store: hub.store,
      now: () => hub.peekClock(),
      stsVending: failing(hub, 'before'),
    });
    const payment = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(30_000),
      topUp: stsTopUp(30_000),
    });
    const pushed = await down.request('/api/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await pushBody(amy.device, [payment])),
    });
    expect(pushed.status).toBe(200);
    expect(await vendRows(hub, payment.id)).toHaveLength(0);
    const stored = await hub.store.db
      .selectFrom('top_ups')
      .select('status')
      .where('fact_id', '=', payment.id)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe('sold');

    const asks = await Promise.all(Array.from({ length: 6 }, () => askToken(hub, amy, payment.id)));
    const tokens = asks.map((ask) => tokensOf(ask.answer));
    expect(new Set(tokens.map((t) => t.join()))).toHaveProperty('size', 1);
    expect(await vendRows(hub, payment.id)).toHaveLength(1);
    const meter = await meterOf(hub);
    expect(meter.enter(at(at(tokens, 0), 0)).ok).toBe(true);
  });

  test('an answer lost after the vend: asked again, the same token comes back', async () => {
    const { hub, amy } = await scene();
    const payment = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(20_000),
      topUp: stsTopUp(20_000),
    });
    const lost = createApp({
      store: hub.store,
      now: () => hub.peekClock(),
      stsVending: failing(hub, 'after'),
    });
    const pushed = await lost.request('/api/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await pushBody(amy.device, [payment])),
    });
    expect(pushed.status).toBe(200);
    const [row] = await vendRows(hub, payment.id);
    const again = await vendTopUp(
      hub.store,
      new SoftwareStsVending({ store: hub.store, now: () => hub.peekClock() }),
      payment.id,
    );
    expect(again).toMatchObject({ ok: true, value: { outcome: 'vended' } });
    const vend = again.ok && again.value.outcome === 'vended' ? again.value.vend : undefined;
    expect(
      JSON.stringify(vend?.tokens.map((digits) => ({ digits, kind: 'credit-electricity' }))),
    ).toBe(row?.tokens);
    expect(await vendRows(hub, payment.id)).toHaveLength(1);
  });

  test('two top-ups of one meter in one minute get rising token identifiers; the meter takes both', async () => {
    const { hub, amy } = await scene();
    const first = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(10_000),
      topUp: stsTopUp(10_000),
    });
    const second = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(11_000),
      topUp: stsTopUp(11_000),
    });
    await pushOnce(hub, amy, [first, second]);
    const [a] = await vendRows(hub, first.id);
    const [b] = await vendRows(hub, second.id);
    // Vended one after the other in the same minute: the second takes the next identifier.
    expect(Math.abs(Number(b?.tid) - Number(a?.tid))).toBe(1);
    const meter = await meterOf(hub);
    for (const row of [a, b]) {
      const [token] = JSON.parse(row?.tokens ?? '[]') as { digits: string }[];
      expect(meter.enter(token?.digits ?? '').ok).toBe(true);
    }
  });

  test('a top-up the service keeps refusing holds back none after it; its ask says why', async () => {
    const { hub, amy } = await scene();
    await hub.store.db
      .updateTable('sts_meters')
      .set({ blocked: 1 })
      .where('account_id', '=', STS_ACCOUNT)
      .execute();
    const older = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(10_000),
      topUp: stsTopUp(10_000),
    });
    await pushOnce(hub, amy, [older]);
    const newer = amy.chain.payment({
      accountId: OTHER_STS_ACCOUNT,
      amountMinor: minor(10_000),
      topUp: stsTopUp(10_000, { meterNumber: demoStsMeterNumber(179) }),
    });
    // One vend a round, as if the round's limit were reached: the newer sale is not held back.
    const down = createApp({
      store: hub.store,
      now: () => hub.peekClock(),
      stsVending: failing(hub, 'before'),
    });
    await down.request('/api/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await pushBody(amy.device, [newer])),
    });
    const module = new SoftwareStsVending({ store: hub.store, now: () => hub.peekClock() });
    expect(await vendPending(hub.store, module, 1)).toBe(1);
    expect(await vendRows(hub, newer.id)).toHaveLength(1);
    expect(await vendRows(hub, older.id)).toHaveLength(0);
    expect((await askToken(hub, amy, older.id)).answer).toEqual({
      outcome: 'refused',
      reason: 'meter-blocked',
    });
  });

  test('what the hub checks: the meter named and the energy a token carries; the money counts anyway', async () => {
    const { hub, amy } = await scene();
    const wrongMeter = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(10_000),
      topUp: stsTopUp(10_000, { meterNumber: demoStsMeterNumber(179) }),
    });
    const notSts = amy.chain.payment({
      accountId: 'acc-0001',
      amountMinor: minor(10_000),
      topUp: stsTopUp(10_000),
    });
    const odd = stsTopUp(10_000);
    const oddEnergy = amy.chain.payment({
      accountId: OTHER_STS_ACCOUNT,
      amountMinor: minor(10_000),
      topUp: { ...odd, energyWh: odd.energyWh + 50, meterNumber: demoStsMeterNumber(179) },
    });
    const answer = await push(hub, amy, [wrongMeter, notSts, oddEnergy]);
    expect(answer.results.map((r) => ('reason' in r ? r.reason : r.outcome))).toEqual([
      'token-mismatch',
      'not-prepaid',
      'token-mismatch',
    ]);
    for (const fact of [wrongMeter, notSts, oddEnergy])
      expect(await vendRows(hub, fact.id)).toHaveLength(0);
    expect((await askToken(hub, amy, wrongMeter.id)).answer).toEqual({ outcome: 'not-sold' });
    expect((await askToken(hub, amy, notSts.id)).status).toBe(404);
  });

  test('the tablet asks only for its own top-ups, and only stored ones', async () => {
    const { hub, amy, bob } = await scene();
    const payment = amy.chain.payment({
      accountId: STS_ACCOUNT,
      amountMinor: minor(10_000),
      topUp: stsTopUp(10_000),
    });
    expect((await askToken(hub, amy, payment.id)).status).toBe(404);
    await pushOnce(hub, amy, [payment]);
    expect((await askToken(hub, bob, payment.id)).status).toBe(404);
    expect((await askToken(hub, amy, payment.id)).status).toBe(200);
  });
});

describe('the software vending module', () => {
  const identity = {
    meterNumber: METER,
    supplyGroupCode: DEMO_STS.supplyGroupCode,
    keyRevisionNumber: DEMO_STS.keyRevisionNumber,
    tariffIndex: DEMO_STS.tariffIndex,
  };
  const energy = (energyDeciKwh: number) => ({ basis: 'energy' as const, energyDeciKwh });
  let n = 0;
  const id = () => `0190a0b0-0000-7000-8000-${String(++n).padStart(12, '0')}`;

  test('refuses by the contract’s closed codes and vends nothing', async () => {
    const { hub } = await scene();
    const module = new SoftwareStsVending({ store: hub.store, now: () => hub.peekClock() });
    const refused = async (change: Partial<typeof identity>, credit = energy(100)) =>
      module.vend({ requestId: id(), meter: { ...identity, ...change }, credit });
    expect(await refused({ meterNumber: '12345' })).toEqual({
      ok: false,
      error: 'meter-number-malformed',
    });
    expect(await refused({ supplyGroupCode: '9004' })).toEqual({
      ok: false,
      error: 'supply-group-code-malformed',
    });
    expect(await refused({ keyRevisionNumber: 0 })).toEqual({
      ok: false,
      error: 'key-revision-out-of-range',
    });
    expect(await refused({ tariffIndex: '1' })).toEqual({
      ok: false,
      error: 'tariff-index-malformed',
    });
    expect(await refused({}, energy(0))).toEqual({ ok: false, error: 'credit-must-be-positive' });
    expect(await refused({}, energy(18_201_625))).toEqual({ ok: false, error: 'credit-too-large' });
    expect(await refused({ meterNumber: demoStsMeterNumber(141) })).toEqual({
      ok: false,
      error: 'meter-not-found',
    });
    expect(await refused({ tariffIndex: '02' })).toEqual({
      ok: false,
      error: 'meter-details-mismatch',
    });
    expect(await refused({ keyRevisionNumber: 2 })).toEqual({
      ok: false,
      error: 'meter-details-mismatch',
    });
    const money = await module.vend({
      requestId: id(),
      meter: identity,
      credit: { basis: 'money', amountMinor: minor(100), currency: 'KES' },
    });
    expect(money).toEqual({ ok: false, error: 'vending-service-refused' });

    await hub.store.db
      .updateTable('sts_meters')
      .set({ blocked: 1 })
      .where('meter_number', '=', METER)
      .execute();
    expect(await refused({})).toEqual({ ok: false, error: 'meter-blocked' });
    await hub.store.db
      .updateTable('sts_meters')
      .set({ blocked: 0, base_date: 1993 })
      .where('meter_number', '=', METER)
      .execute();
    expect(await refused({})).toEqual({ ok: false, error: 'meter-key-expired' });
    expect(await hub.store.db.selectFrom('sts_vends').selectAll().execute()).toEqual([]);
  });

  test('a request id is vended once: the same request replays, another request with it is refused', async () => {
    const { hub } = await scene();
    const module = new SoftwareStsVending({ store: hub.store, now: () => hub.peekClock() });
    const requestId = id();
    const first = await module.vend({ requestId, meter: identity, credit: energy(123) });
    const again = await module.vend({ requestId, meter: identity, credit: energy(123) });
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(first.value.replayed).toBe(false);
    expect(again.value).toEqual({ ...first.value, replayed: true });
    expect(await module.vend({ requestId, meter: identity, credit: energy(124) })).toEqual({
      ok: false,
      error: 'request-id-reused',
    });
    const otherMeter = { ...identity, meterNumber: demoStsMeterNumber(179) };
    expect(await module.vend({ requestId, meter: otherMeter, credit: energy(123) })).toEqual({
      ok: false,
      error: 'request-id-reused',
    });
    const meter = await meterOf(hub);
    expect(meter.enter(at(first.value.tokens, 0).digits)).toMatchObject({
      ok: true,
      value: { addedDeciKwh: 123 },
    });
  });

  test('the configured vending key is the one used; without any key nothing is vended', async () => {
    const { hub } = await scene();
    const configured = new SoftwareStsVending({
      store: hub.store,
      now: () => hub.peekClock(),
      vendingKeyHex: '0123456789abcdef',
    });
    const vended = await configured.vend({ requestId: id(), meter: identity, credit: energy(50) });
    if (!vended.ok) throw new Error(vended.error);
    const meter = new StsMeter(
      decoderKeyDkga02(Uint8Array.from(Buffer.from('0123456789abcdef', 'hex')), identity),
    );
    expect(meter.enter(at(vended.value.tokens, 0).digits).ok).toBe(true);
    expect((await meterOf(hub)).enter(at(vended.value.tokens, 0).digits).ok).toBe(false);

    await hub.store.db.deleteFrom('sts_vending_keys').execute();
    const module = new SoftwareStsVending({ store: hub.store, now: () => hub.peekClock() });
    expect(await module.vend({ requestId: id(), meter: identity, credit: energy(50) })).toEqual({
      ok: false,
      error: 'vending-service-refused',
    });
  });
});
