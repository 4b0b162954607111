/**
 * Goal: the device records voids, contact corrections, meter readings and bills printed at the
 * door as facts in its chain, shows their effect at once, and after a sync shows exactly what
 * the hub decided.
 *
 * Method: the device's real code (Dexie on fake-indexeddb, the sync engine) against the hub's
 * real app on in-memory SQLite seeded with the demo; two devices share one hub where a test
 * needs a void to travel faster than its payment. Expected amounts come from the tariff engine
 * and from the seed's own numbers, never from the device's answer.
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountView } from '../../client/db/accounts.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import {
  recordCashPayment,
  recordContactEdit,
  recordVoid,
  type DeviceDeps,
} from '../../client/db/facts.ts';
import { recordReading } from '../../client/db/readings.ts';
import { signInAgent } from '../../client/auth/session.ts';
import { demoTariff, demoTariffDocument } from '../../hub/demo/tariff.ts';
import { minor } from '../../shared/money.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { TariffDocument } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import {
  agentOf,
  BASE_URL,
  enrolAndSignIn as enrolAndSignInOn,
  hubBalance,
  openRig,
  SEED_DAY,
  syncWith,
  type Rig,
} from './device-hub.ts';

let rig: Rig;

async function enrolAndSignIn(db: GridtallyDatabase, deps: DeviceDeps): Promise<void> {
  await enrolAndSignInOn(rig, db, deps);
}

async function sync(db: GridtallyDatabase = rig.db) {
  const report = await syncWith(rig, db);
  expect(report.error).toBe(undefined);
  return report;
}

async function pay(db: GridtallyDatabase, deps: DeviceDeps, accountId: string, amount: number) {
  const result = await recordCashPayment(
    db,
    {
      accountId,
      currency: 'KES',
      amountMinor: minor(amount),
      tenderedMinor: minor(amount),
      agent: await agentOf(db),
      duplicateConfirmed: true,
    },
    deps,
  );
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

async function shownBalance(db: GridtallyDatabase, accountId: string): Promise<number> {
  const view = await accountView(db, accountId);
  if (!view) throw new Error(`no ${accountId} on the device`);
  return view.balanceMinor;
}

beforeEach(async () => {
  rig = await openRig();
  await enrolAndSignIn(rig.db, rig.deps);
  await sync();
});

afterEach(async () => {
  await rig.close();
});

describe('voids', () => {
  it('a void of a payment still waiting to sync cancels it on the device and at the hub', async () => {
    const before = await hubBalance(rig.store, 'acc-0003');
    const payment = await pay(rig.db, rig.deps, 'acc-0003', 12_000);
    expect(await shownBalance(rig.db, 'acc-0003')).toBe(before - 12_000);

    const voided = await recordVoid(
      rig.db,
      { payment: { paymentId: payment.id }, reason: 'wrong-account', agent: await agentOf(rig.db) },
      rig.deps,
    );
    expect(voided.ok).toBe(true);
    expect(await shownBalance(rig.db, 'acc-0003')).toBe(before);

    await sync();
    expect(await hubBalance(rig.store, 'acc-0003')).toBe(before);
    expect(await shownBalance(rig.db, 'acc-0003')).toBe(before);
    const row = await rig.store.db
      .selectFrom('payments')
      .select('voided_by')
      .where('fact_id', '=', payment.id)
      .executeTakeFirstOrThrow();
    expect(row.voided_by).toBe(voided.ok ? voided.value.id : 'no void');
  });

  it('a void of a synced payment raises the balance at once and the hub agrees after the sync', async () => {
    const before = await hubBalance(rig.store, 'acc-0005');
    const payment = await pay(rig.db, rig.deps, 'acc-0005', 7_500);
    await sync();
    expect(await hubBalance(rig.store, 'acc-0005')).toBe(before - 7_500);

    const voided = await recordVoid(
      rig.db,
      { payment: { paymentId: payment.id }, reason: 'entered-twice', agent: await agentOf(rig.db) },
      rig.deps,
    );
    expect(voided.ok).toBe(true);
    expect(await shownBalance(rig.db, 'acc-0005')).toBe(before);
    await sync();
    expect(await hubBalance(rig.store, 'acc-0005')).toBe(before);
    expect(await shownBalance(rig.db, 'acc-0005')).toBe(before);
    const stored = await rig.db.facts.get(voided.ok ? voided.value.seq : -1);
    expect(stored).toMatchObject({ status: 'acked', outcome: 'accepted' });
  });

  it('refuses a second void of one payment and a void of a payment it knows nothing of, writing nothing', async () => {
    const payment = await pay(rig.db, rig.deps, 'acc-0007', 3_000);
    const agent = await agentOf(rig.db);
    const first = await recordVoid(
      rig.db,
      { payment: { paymentId: payment.id }, reason: 'other', agent },
      rig.deps,
    );
    expect(first.ok).toBe(true);
    const count = await rig.db.facts.count();
    expect(
      await recordVoid(
        rig.db,
        { payment: { paymentId: payment.id }, reason: 'other', agent },
        rig.deps,
      ),
    ).toEqual({ ok: false, error: 'already-voided' });
    expect(
      await recordVoid(
        rig.db,
        { payment: { paymentId: uuidv7() }, reason: 'other', agent },
        rig.deps,
      ),
    ).toEqual({ ok: false, error: 'payment-not-found' });
    expect(await rig.db.facts.count()).toBe(count);
  });

  it('a void from another tablet that reaches the hub first is held, then applied when the payment arrives', async () => {
    const otherDb = new GridtallyDatabase(
      `other-${uuidv7()}`,
      { indexedDB, IDBKeyRange },
      testVault(),
    );
    let otherMs = SEED_DAY.getTime() + 9_000_000;
    const otherDeps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => (otherMs += 2000) };
    await enrolAndSignIn(otherDb, otherDeps);
    await sync(otherDb);
    const before = await hubBalance(rig.store, 'acc-0009');

    const payment = await pay(rig.db, rig.deps, 'acc-0009', 4_400);
    const voided = await recordVoid(
      otherDb,
      {
        payment: { paymentId: payment.id },
        reason: 'wrong-amount',
        agent: await agentOf(otherDb),
        receipt: { accountId: 'acc-0009', amountMinor: minor(4_400) },
      },
      otherDeps,
    );
    if (!voided.ok) throw new Error(voided.error);
    // Not this tablet's payment: its own view of the balance does not move.
    expect(await shownBalance(otherDb, 'acc-0009')).toBe(before);

    await sync(otherDb);
    expect(await otherDb.facts.get(voided.value.seq)).toMatchObject({ outcome: 'held' });
    expect(await hubBalance(rig.store, 'acc-0009')).toBe(before);

    await sync(rig.db);
    expect(await hubBalance(rig.store, 'acc-0009')).toBe(before);
    await sync(otherDb);
    expect(await otherDb.facts.get(voided.value.seq)).toMatchObject({
      status: 'acked',
      outcome: 'accepted',
    });
    expect(await shownBalance(otherDb, 'acc-0009')).toBe(before);
    expect(await shownBalance(rig.db, 'acc-0009')).toBe(before);
    otherDb.close();
  });
});

describe('contact corrections', () => {
  it('shows the correction at once, and the hub and the next snapshot carry it', async () => {
    const agent = await agentOf(rig.db);
    const edit = await recordContactEdit(
      rig.db,
      { accountId: 'acc-0011', field: 'phone', value: '+254 700 111 222', agent },
      rig.deps,
    );
    expect(edit.ok).toBe(true);
    expect((await accountView(rig.db, 'acc-0011'))?.contact.phone).toBe('+254 700 111 222');
    expect(
      await recordContactEdit(
        rig.db,
        { accountId: 'acc-0011', field: 'phone', value: '+254 700 111 222 ', agent },
        rig.deps,
      ),
    ).toEqual({ ok: false, error: 'unchanged' });

    await sync();
    const hub = await rig.store.db
      .selectFrom('accounts')
      .select('phone')
      .where('id', '=', 'acc-0011')
      .executeTakeFirstOrThrow();
    expect(hub.phone).toBe('+254 700 111 222');
    expect((await rig.db.accounts.get('acc-0011'))?.phone).toBe('+254 700 111 222');
  });
});

describe('meter readings and bills printed at the door', () => {
  const READ_ON = '2026-11-20';

  async function lastReadingOf(accountId: string) {
    const account = await rig.db.accounts.get(accountId);
    if (!account?.lastReading) throw new Error(`no last reading for ${accountId}`);
    return account.lastReading;
  }

  it('bills the kWh since the last reading by the tariff engine, and the hub issues the same bill', async () => {
    const last = await lastReadingOf('acc-0013');
    const before = await hubBalance(rig.store, 'acc-0013');
    const expected = computeBill(demoTariff, {
      period: { from: last.readOn, to: READ_ON },
      kwh: 87,
    });
    if (!expected.ok) throw new Error('demo bill');

    const result = await recordReading(
      rig.db,
      {
        accountId: 'acc-0013',
        registerKwh: last.registerKwh + 87,
        readOn: READ_ON,
        agent: await agentOf(rig.db),
        bill: true,
      },
      rig.deps,
    );
    if (!result.ok) throw new Error(result.error);
    const bill = result.value.bill?.fact;
    if (bill?.kind !== 'spot-bill') throw new Error('no bill');
    expect(bill.body.totalMinor).toBe(expected.value.totalMinor);
    expect(bill.body.readingId).toBe(result.value.reading.id);
    expect(await shownBalance(rig.db, 'acc-0013')).toBe(before + expected.value.totalMinor);

    await sync();
    expect(await hubBalance(rig.store, 'acc-0013')).toBe(before + expected.value.totalMinor);
    expect(await rig.db.facts.get(bill.seq)).toMatchObject({ outcome: 'accepted' });
    expect(await lastReadingOf('acc-0013')).toEqual({
      readOn: READ_ON,
      registerKwh: last.registerKwh + 87,
    });
  });

  it('a bill printed with a tariff the hub has since replaced is flagged, and the difference goes on the next bill', async () => {
    // The admin publishes version 2 with a dearer first block while the tablet is offline.
    const signIn = await rig.fetch(`${BASE_URL}/api/auth/supervisor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ruth', password: 'gridtally-admin' }),
    });
    const { token } = (await signIn.json()) as { token: string };
    const v2: TariffDocument = {
      ...demoTariffDocument,
      version: 2,
      effectiveFrom: '2026-11-05',
      energy: [
        {
          kind: 'blocks',
          period: 'month',
          blocks: [
            { upToKwh: 30, rate: '14.20' },
            { upToKwh: null, rate: '16.50' },
          ],
        },
      ],
    };
    const v2Parsed = parseTariff(v2);
    if (!v2Parsed.ok) throw new Error('v2 is not a valid tariff');
    const published = await rig.fetch(`${BASE_URL}/api/tariffs/demo-domestic/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(v2),
    });
    expect(published.status).toBe(201);

    const last = await lastReadingOf('acc-0015');
    const period = { from: last.readOn, to: READ_ON };
    const printed = computeBill(demoTariff, { period, kwh: 60 });
    const hubWay = computeBill([demoTariff, v2Parsed.value], {
      period,
      kwh: 60,
    });
    if (!printed.ok || !hubWay.ok) throw new Error('bills');
    const difference = hubWay.value.totalMinor - printed.value.totalMinor;
    expect(difference).toBeGreaterThan(0);

    const result = await recordReading(
      rig.db,
      {
        accountId: 'acc-0015',
        registerKwh: last.registerKwh + 60,
        readOn: READ_ON,
        agent: await agentOf(rig.db),
        bill: true,
      },
      rig.deps,
    );
    if (!result.ok || !result.value.bill) throw new Error('no bill');
    expect(result.value.bill.balanceDeltaMinor).toBe(printed.value.totalMinor);

    await sync();
    expect(await rig.db.facts.get(result.value.bill.seq)).toMatchObject({
      outcome: 'flagged',
      reason: 'stale-tariff',
    });
    const account = await rig.db.accounts.get('acc-0015');
    expect(account?.carried).toEqual([{ sourceId: result.value.bill.id, amountMinor: difference }]);
    expect(await rig.db.tariffs.where('tariffId').equals('demo-domestic').count()).toBe(2);

    // The next bill, a month on, carries the difference as a line and the hub marks it billed.
    // A month is past an agent session's idle end: amina signs in again, as she would.
    rig.advance(29 * 86_400_000);
    const again = await signInAgent(rig.db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch);
    expect(again.ok).toBe(true);
    const next = await recordReading(
      rig.db,
      {
        accountId: 'acc-0015',
        registerKwh: last.registerKwh + 60 + 40,
        readOn: '2026-12-20',
        agent: await agentOf(rig.db),
        bill: true,
      },
      rig.deps,
    );
    if (!next.ok || next.value.bill?.fact.kind !== 'spot-bill') throw new Error('no next bill');
    const nextBody = next.value.bill.fact.body;
    expect(nextBody.carried).toEqual([{ sourceId: result.value.bill.id, amountMinor: difference }]);
    expect(nextBody.totalMinor).toBe(nextBody.amountMinor + difference);
    await sync();
    expect(await rig.db.facts.get(next.value.bill.seq)).toMatchObject({ outcome: 'accepted' });
    expect((await rig.db.accounts.get('acc-0015'))?.carried).toEqual([]);
  });

  it('a reading without an earlier one to bill from is refused for billing and writes nothing', async () => {
    await rig.store.db.deleteFrom('readings').where('account_id', '=', 'acc-0017').execute();
    await rig.store.db
      .updateTable('accounts')
      .set({ change_seq: 1_000_000 })
      .where('id', '=', 'acc-0017')
      .execute();
    await sync();
    const count = await rig.db.facts.count();
    const result = await recordReading(
      rig.db,
      {
        accountId: 'acc-0017',
        registerKwh: 5_000,
        readOn: READ_ON,
        agent: await agentOf(rig.db),
        bill: true,
      },
      rig.deps,
    );
    expect(result).toEqual({ ok: false, error: 'no-previous-reading' });
    expect(await rig.db.facts.count()).toBe(count);
    const readingOnly = await recordReading(
      rig.db,
      {
        accountId: 'acc-0017',
        registerKwh: 5_000,
        readOn: READ_ON,
        agent: await agentOf(rig.db),
        bill: false,
      },
      rig.deps,
    );
    expect(readingOnly.ok && readingOnly.value.bill).toBe(undefined);
    expect(await rig.db.facts.count()).toBe(count + 1);
  });
});
