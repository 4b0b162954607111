/**
 * Goal: the customer in full (issue 13, item 3) as the hub answers it, and the budget a
 * customer sets. GET /api/accounts/{id} gives an agent of the account's route, or a supervisor
 * of its region, the balance as the hub holds it now, payments from every device with their
 * state (counted, flagged, voided), bills paid and open with lines that add up to each bill,
 * and readings; to anyone else it answers as if the account did not exist. A budget set on
 * two tablets ends as the one set last by the clock, whatever order the pushes arrive in;
 * a budget on an unknown account or in another currency changes nothing.
 *
 * Method: the hub in-process on the seeded store (demo bills made by the tariff engine), on
 * SQLite and again on PostgreSQL; facts pushed by two tablets; answers read by the shared
 * schema.
 */
import { describe, expect, test } from 'vitest';
import { accountDetailSchema, type AccountDetail } from '../../shared/account-detail.ts';
import { minor } from '../../shared/money.ts';
import { hubBalance } from '../client/device-hub.ts';
import {
  amina,
  DEVICE_START_MS,
  enrolTablet,
  HUB_START,
  otieno,
  request,
  signInSupervisor,
  TABLET_C,
  type Hub,
} from './harness.ts';
import { agentOn, at, pull, push, scene, snapshotOf } from './scene.ts';

async function detail(hub: Hub, token: string | undefined, accountId: string) {
  const response = await request(hub.app, 'GET', `/api/accounts/${accountId}`, undefined, token);
  return { status: response.status, body: (await response.json()) as unknown };
}

async function detailOf(hub: Hub, token: string, accountId: string): Promise<AccountDetail> {
  const answer = await detail(hub, token, accountId);
  expect(answer.status).toBe(200);
  return accountDetailSchema.parse(answer.body);
}

describe('one account in full', () => {
  test('payments from every tablet with their state, bills with lines that add up, the balance now', async () => {
    const { hub, amy, supervisor } = await scene();
    await enrolTablet(hub.store, TABLET_C, HUB_START);
    const amyOnC = await agentOn(hub, amina, TABLET_C);
    const onA = amy.chain.payment({ accountId: 'acc-0001', amountMinor: minor(50_000) });
    const voided = amy.chain.payment({ accountId: 'acc-0001', amountMinor: minor(7_000) });
    const undo = amy.chain.voidOf(voided);
    await push(hub, amy, [onA, voided, undo]);
    const onC = amyOnC.chain.paymentBy(
      { accountId: 'acc-0001', amountMinor: minor(12_500) },
      {
        method: 'mobile-money',
        provider: 'mpesa',
        reference: 'QK7H2M9XPL',
        payerPhone: '+254712345678',
      },
    );
    await push(hub, amyOnC, [onC]);

    const full = await detailOf(hub, amy.token, 'acc-0001');
    expect(full.account.id).toBe('acc-0001');
    expect(full.account.balanceMinor).toBe(await hubBalance(hub.store, 'acc-0001'));
    const byId = new Map(full.payments.map((p) => [p.factId, p]));
    expect(byId.get(onA.id)).toMatchObject({
      deviceId: amy.device,
      state: 'counted',
      method: 'cash',
      amountMinor: 50_000,
    });
    expect(byId.get(voided.id)?.state).toBe('voided');
    expect(byId.get(onC.id)).toMatchObject({
      deviceId: TABLET_C,
      method: 'mobile-money',
      reference: 'QK7H2M9XPL',
      agentName: expect.any(String),
    });
    // Newest first.
    expect(at(full.payments, 0).factId).toBe(onC.id);

    // A year of bills, paid and open, each with lines adding up to it exactly.
    expect(full.bills.length).toBeGreaterThanOrEqual(12);
    expect(full.bills.some((b) => b.paidMinor === b.amountMinor)).toBe(true);
    for (const bill of full.bills) {
      expect(bill.lines).toBeDefined();
      expect(bill.lines?.reduce((sum, line) => sum + line.amountMinor, 0)).toBe(bill.amountMinor);
    }
    expect(full.readings.length).toBeGreaterThanOrEqual(12);
    expect(full.purchases).toEqual([]);

    // Her supervisor sees the same account.
    expect((await detailOf(hub, supervisor, 'acc-0001')).payments).toHaveLength(
      full.payments.length,
    );
  });

  test('out of scope is answered as not there: another route, another region, no session', async () => {
    const { hub, amy } = await scene();
    const otherRoute = await detail(hub, amy.token, 'acc-0002');
    const nowhere = await detail(hub, amy.token, 'acc-9999');
    expect(otherRoute.status).toBe(404);
    expect(otherRoute.body).toEqual(nowhere.body);
    const stranger = (await signInSupervisor(hub.app, otieno)).token;
    expect((await detail(hub, stranger, 'acc-0001')).status).toBe(404);
    expect((await detail(hub, undefined, 'acc-0001')).status).toBe(401);
  });

  test('a budget set on two tablets ends as the one set last, in either order of arrival', async () => {
    for (const order of ['later-first', 'earlier-first'] as const) {
      const { hub, amy } = await scene();
      await enrolTablet(hub.store, TABLET_C, HUB_START);
      const amyOnC = await agentOn(hub, amina, TABLET_C);
      const later = amy.chain.budget(
        { accountId: 'acc-0001', currency: 'KES', monthlyMinor: 250_000 },
        DEVICE_START_MS + 3_600_000,
      );
      const earlier = amyOnC.chain.budget(
        { accountId: 'acc-0001', currency: 'KES', monthlyMinor: 90_000 },
        DEVICE_START_MS + 60_000,
      );
      const pushes: [typeof amy, typeof later][] = [
        [amy, later],
        [amyOnC, earlier],
      ];
      if (order === 'earlier-first') pushes.reverse();
      for (const [agent, fact] of pushes)
        expect(at((await push(hub, agent, [fact])).results, 0).outcome).toBe('accepted');
      const page = await pull(hub, amy, 0);
      expect(snapshotOf(page, 'acc-0001').budgetMinor).toBe(250_000);
      expect((await detailOf(hub, amy.token, 'acc-0001')).account.budgetMinor).toBe(250_000);
      expect(snapshotOf(page, 'acc-0003').budgetMinor).toBeUndefined();
    }
  });

  test('a tablet whose clock ran years ahead does not win every later budget', async () => {
    const { hub, amy } = await scene();
    await enrolTablet(hub.store, TABLET_C, HUB_START);
    const amyOnC = await agentOn(hub, amina, TABLET_C);
    const yearsAhead = amy.chain.budget(
      { accountId: 'acc-0001', currency: 'KES', monthlyMinor: 999_900 },
      Date.UTC(2031, 0, 1),
    );
    await push(hub, amy, [yearsAhead]);
    // An hour later by the hub's clock, another tablet with a right clock sets it again.
    hub.advanceClock(3_600_000);
    const rightClock = amyOnC.chain.budget(
      { accountId: 'acc-0001', currency: 'KES', monthlyMinor: 120_000 },
      hub.peekClock().getTime(),
    );
    await push(hub, amyOnC, [rightClock]);
    expect(snapshotOf(await pull(hub, amy, 0), 'acc-0001').budgetMinor).toBe(120_000);
  });

  test('a budget on an unknown account or in another currency is flagged and changes nothing', async () => {
    const { hub, amy } = await scene();
    const unknown = amy.chain.budget({
      accountId: 'acc-9999',
      currency: 'KES',
      monthlyMinor: 1000,
    });
    const wrongCurrency = amy.chain.budget({
      accountId: 'acc-0001',
      currency: 'CNY',
      monthlyMinor: 1000,
    });
    const answer = await push(hub, amy, [unknown, wrongCurrency]);
    expect(answer.results.map((r) => r.reason)).toEqual(['account-not-found', 'currency-mismatch']);
    expect(snapshotOf(await pull(hub, amy, 0), 'acc-0001').budgetMinor).toBeUndefined();
  });
});
