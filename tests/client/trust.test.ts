/**
 * Goal: the tablet never records what would jam it or mislead its agent. A void typed from a
 * printed receipt number syncs and the payments after it sync too; a fact the hub's schema
 * would not read is refused before it is sealed; a tablet told it is revoked records nothing
 * and still exports; a payment above the limit is refused; a payment that looks like one taken
 * recently (here, or by another tablet, from the hub's snapshot) waits for the agent's
 * confirmation; a reading in the future is refused, an implausible one needs confirmation.
 *
 * Method: the device's real code (Dexie on fake-indexeddb, the sync engine) against the hub's
 * real app on in-memory SQLite seeded with the demo (tests/client/device-hub.ts).
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GridtallyDatabase } from '../../client/db/database.ts';
import {
  recentDuplicate,
  recordCashPayment,
  recordContactEdit,
  recordPayment,
  recordVoid,
  type DeviceDeps,
} from '../../client/db/facts.ts';
import { recordReading } from '../../client/db/readings.ts';
import { exportOutbox } from '../../client/sync/export.ts';
import { parsePaymentReference } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { DEFAULT_MAX_AMOUNT_MINOR } from '../../shared/risk.ts';
import {
  agentOf,
  enrolAndSignIn,
  hubBalance,
  openRig,
  SEED_DAY,
  syncWith,
  type Rig,
} from './device-hub.ts';

let rig: Rig;

beforeEach(async () => {
  rig = await openRig();
  await enrolAndSignIn(rig);
  expect((await syncWith(rig)).state).toBe('synced');
});

afterEach(async () => {
  await rig.close();
});

async function pay(accountId: string, amount: number, options: { confirmed?: boolean } = {}) {
  return recordCashPayment(
    rig.db,
    {
      accountId,
      currency: 'KES',
      amountMinor: minor(amount),
      tenderedMinor: minor(amount),
      agent: await agentOf(rig.db),
      ...(options.confirmed ? { duplicateConfirmed: true } : {}),
    },
    rig.deps,
  );
}

describe('a void from a printed receipt number', () => {
  it('is recorded by receipt number, syncs, and the payment after it syncs too', async () => {
    const reference = parsePaymentReference(' r-6966d5-000001 ');
    expect(reference).toEqual({ ok: true, value: { receiptNumber: 'R-6966D5-000001' } });
    if (!reference.ok) return;
    const voided = await recordVoid(
      rig.db,
      {
        payment: reference.value,
        reason: 'entered-twice',
        agent: await agentOf(rig.db),
        receipt: { accountId: 'acc-0005', amountMinor: minor(2_000) },
      },
      rig.deps,
    );
    if (!voided.ok) throw new Error(voided.error);
    expect(voided.value.fact.body).toMatchObject({ receiptNumber: 'R-6966D5-000001' });
    const after = await pay('acc-0007', 7_007);
    expect(after.ok).toBe(true);

    const report = await syncWith(rig);

    expect(report).toMatchObject({ state: 'synced', pending: 0 });
    expect((await rig.db.facts.get(voided.value.seq))?.outcome).toBe('held');
  });

  it('a reference that is neither a payment id nor a receipt number is refused with words to say so', () => {
    expect(parsePaymentReference('6966D5-1')).toEqual({
      ok: false,
      error: 'receipt-number-invalid',
    });
  });
});

describe('a fact the hub would not read is never recorded', () => {
  it('a contact value longer than the schema allows is refused as record-invalid, and nothing is written', async () => {
    const before = await rig.db.facts.count();
    const edited = await recordContactEdit(
      rig.db,
      {
        accountId: 'acc-0009',
        field: 'address',
        value: 'x'.repeat(201),
        agent: await agentOf(rig.db),
      },
      rig.deps,
    );
    expect(edited).toEqual({ ok: false, error: 'record-invalid' });
    expect(await rig.db.facts.count()).toBe(before);
  });
});

describe('a revoked tablet', () => {
  it('stops recording once the hub refuses it as revoked, and can still export what it holds', async () => {
    const held = await pay('acc-0011', 1_100);
    expect(held.ok).toBe(true);
    const device = await rig.db.settings.get('device');
    if (device?.key !== 'device') throw new Error('no device');
    await rig.store.db
      .updateTable('devices')
      .set({ status: 'revoked', revoked_at: SEED_DAY.toISOString() })
      .where('id', '=', device.deviceId)
      .execute();

    const report = await syncWith(rig);

    expect(report).toMatchObject({ state: 'refused', error: 'device-revoked', pending: 1 });
    expect(await pay('acc-0013', 1_300)).toEqual({ ok: false, error: 'device-revoked' });
    expect(await rig.db.facts.count()).toBe(1);
    const file = await exportOutbox(rig.db, SEED_DAY);
    expect(file.ok && file.file.pushes.flatMap((push) => push.facts).length).toBe(1);
  });
});

describe('limits and warnings before money is taken', () => {
  it('a payment above the most one payment may carry is refused on the tablet', async () => {
    expect(await pay('acc-0015', DEFAULT_MAX_AMOUNT_MINOR.KES + 1)).toEqual({
      ok: false,
      error: 'amount-above-limit',
    });
  });

  it('the same amount again minutes later waits for the agent: the warning names the first receipt, and a confirmation records it', async () => {
    const first = await pay('acc-0017', 2_000_00);
    if (!first.ok) throw new Error(first.error);
    const before = await rig.db.facts.count();

    expect(await pay('acc-0017', 2_000_00)).toEqual({ ok: false, error: 'possible-duplicate' });
    expect(await rig.db.facts.count()).toBe(before);
    const warning = await recentDuplicate(rig.db, 'acc-0017', 2_000_00, rig.deps.nowMs());
    expect(warning).toMatchObject({
      amountMinor: 2_000_00,
      receiptNumber: first.value.fact.kind === 'payment' ? first.value.fact.body.receiptNumber : '',
      here: true,
    });
    expect((await pay('acc-0017', 2_000_00, { confirmed: true })).ok).toBe(true);
    // Another amount is no duplicate by the hub's rule, and is taken at once.
    expect((await pay('acc-0017', 3_000_00)).ok).toBe(true);
  });

  it('a payment another tablet took, known from the hub’s snapshot, warns too', async () => {
    const other = new GridtallyDatabase(
      `other-${uuidv7()}`,
      { indexedDB, IDBKeyRange },
      testVault(),
    );
    let otherMs = rig.deps.nowMs();
    const otherDeps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => (otherMs += 1_000) };
    await enrolAndSignIn(rig, other, otherDeps);
    const taken = await recordCashPayment(
      other,
      {
        accountId: 'acc-0019',
        currency: 'KES',
        amountMinor: minor(5_000_00),
        tenderedMinor: minor(5_000_00),
        agent: await agentOf(other),
      },
      otherDeps,
    );
    expect(taken.ok).toBe(true);
    expect((await syncWith(rig, other)).state).toBe('synced');
    expect((await syncWith(rig)).state).toBe('synced');
    const snapshot = await rig.db.accounts.get('acc-0019');
    expect(snapshot?.recentPayments.map((p) => p.amountMinor)).toEqual([5_000_00]);

    expect(await pay('acc-0019', 5_000_00)).toEqual({ ok: false, error: 'possible-duplicate' });
    expect(await recentDuplicate(rig.db, 'acc-0019', 5_000_00, rig.deps.nowMs())).toMatchObject({
      here: false,
    });
    // The payment screen hands over the snapshot it shows, which is read for the warning
    // instead of the stored one; one of another account is not taken for this one's.
    const onScreen = async (shown: typeof snapshot) =>
      recordPayment(
        rig.db,
        {
          accountId: 'acc-0019',
          currency: 'KES',
          amountMinor: minor(5_000_00),
          details: { method: 'cash', tenderedMinor: minor(5_000_00) },
          agent: await agentOf(rig.db),
          snapshot: shown,
        },
        rig.deps,
      );
    expect(await onScreen(snapshot)).toEqual({ ok: false, error: 'possible-duplicate' });
    const elsewhere = await rig.db.accounts.get('acc-0021');
    expect(elsewhere?.recentPayments).toEqual([]);
    expect(await onScreen(elsewhere)).toEqual({ ok: false, error: 'possible-duplicate' });
    if (!snapshot) throw new Error('acc-0019 is not held');
    expect((await onScreen({ ...snapshot, recentPayments: [] })).ok).toBe(true);
    other.close();
  });
});

describe('readings that make sense', () => {
  it('a reading dated in the future is refused; an implausible one waits for confirmation and goes marked as confirmed', async () => {
    const account = await rig.db.accounts.get('acc-0021');
    const last = account?.lastReading;
    if (!last) throw new Error('acc-0021 has no reading');
    const agent = await agentOf(rig.db);
    const reading = (registerKwh: number, readOn: string, confirmedImplausible = false) =>
      recordReading(
        rig.db,
        { accountId: 'acc-0021', registerKwh, readOn, agent, bill: false, confirmedImplausible },
        rig.deps,
      );
    expect(await reading(last.registerKwh + 10, '2027-11-20')).toEqual({
      ok: false,
      error: 'reading-in-future',
    });
    expect(await reading(last.registerKwh + 900_000, '2026-11-20')).toEqual({
      ok: false,
      error: 'reading-implausible',
    });
    const confirmed = await reading(last.registerKwh + 900_000, '2026-11-20', true);
    if (!confirmed.ok) throw new Error(confirmed.error);
    expect(confirmed.value.reading.fact.body).toMatchObject({ confirmedImplausible: true });
    const ordinary = await reading(last.registerKwh + 60, '2026-11-20');
    expect(ordinary.ok).toBe(true);

    expect((await syncWith(rig)).state).toBe('synced');
    expect((await rig.db.facts.get(confirmed.value.reading.seq))?.reason).toBe(
      'implausible-reading',
    );
    expect(await hubBalance(rig.store, 'acc-0021')).toBe(account?.balanceMinor);
  });
});
