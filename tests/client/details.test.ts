/**
 * Goal: opening a customer online reads the account from the hub at once (issue 13, item 3)
 * and never makes the tablet count a payment twice or lose one. The fresh snapshot replaces the
 * one held only when no fact of this tablet on the account waits for the hub's answer; a
 * payment another tablet took shows at once; what was read stays on the tablet, sealed, to show
 * offline; a route change forgets it.
 *
 * Method: the device's real code on fake-indexeddb against the hub in-process (the rig); the
 * network cut by the rig's faults; balances compared with the hub's own.
 */
import Dexie from 'dexie';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountView } from '../../client/db/accounts.ts';
import { minor } from '../../shared/money.ts';
import { DeviceChain, enrolTablet, pushBody, TABLET_B } from '../hub/harness.ts';
import { recordAgentOnDevice } from '../../hub/auth/sessions.ts';
import { ingestPush } from '../../hub/ingest/push.ts';
import { hubBalance, payCash, readOnline, syncedRig, syncWith, type Rig } from './device-hub.ts';

let rig: Rig;
const ACCOUNT = 'acc-0003';

beforeEach(async () => {
  rig = await syncedRig();
});

afterEach(async () => {
  await rig.close();
});

const refresh = () => readOnline(rig, ACCOUNT);
const pay = (amountMinor: number) => payCash(rig, ACCOUNT, amountMinor);

async function shownBalance(): Promise<number | undefined> {
  return (await accountView(rig.db, ACCOUNT))?.balanceMinor;
}

describe('the customer read from the hub on opening', () => {
  it('takes the hub’s balance at once when nothing of this tablet waits, and keeps the details sealed', async () => {
    const refreshed = await refresh();
    expect(refreshed).toMatchObject({ ok: true, value: { balance: 'fresh' } });
    expect(await shownBalance()).toBe(await hubBalance(rig.store, ACCOUNT));
    const raw = new Dexie(rig.db.name, { indexedDB, IDBKeyRange });
    await raw.open();
    const stored = JSON.stringify(await raw.table('details').toArray());
    raw.close();
    expect(stored).not.toContain('Awasi');
    expect((await rig.db.details.get(ACCOUNT))?.detail.account.id).toBe(ACCOUNT);
  });

  it('keeps its own balance while a payment of this tablet waits for the hub’s answer, whatever the hub already holds', async () => {
    const hubBefore = await hubBalance(rig.store, ACCOUNT);
    // The payment reaches the hub, but its answer is lost: the tablet has no ack for it.
    rig.faults.push('drop-reply');
    expect((await pay(12_000)).ok).toBe(true);
    await syncWith(rig);
    expect(await hubBalance(rig.store, ACCOUNT)).toBe(hubBefore - 12_000);
    const refreshed = await refresh();
    expect(refreshed).toMatchObject({ ok: true, value: { balance: 'waits-sync' } });
    // Counted once: the held snapshot plus the tablet's own payment.
    expect(await shownBalance()).toBe(hubBefore - 12_000);
    await syncWith(rig);
    expect((await refresh()).ok).toBe(true);
    expect(await shownBalance()).toBe(hubBefore - 12_000);
  });

  it('writes no account, and takes no lock a payment waits for, when the snapshot held is the hub’s own', async () => {
    const written: string[] = [];
    const note = (parts: Record<string, unknown>) => {
      for (const key of Object.keys(parts))
        if (key.startsWith(`idb://${rig.db.name}/`)) written.push(key.split('/')[3] ?? key);
    };
    Dexie.on('storagemutated', note);
    try {
      expect(await refresh()).toMatchObject({ ok: true, value: { balance: 'fresh' } });
      expect(new Set(written)).toEqual(new Set(['details']));
      // Another tablet's payment moves the hub on: then the snapshot is replaced.
      await enrolTablet(rig.store, TABLET_B, new Date());
      await rig.store.transaction((trx) =>
        recordAgentOnDevice(trx, TABLET_B, 'user-amina', new Date()),
      );
      const other = new DeviceChain(TABLET_B, 'user-amina');
      other.payment({ accountId: ACCOUNT, amountMinor: minor(1_000) });
      await ingestPush(rig.store, await pushBody(TABLET_B, other.facts), new Date());
      written.length = 0;
      expect(await refresh()).toMatchObject({ ok: true, value: { balance: 'fresh' } });
      expect(written).toContain('accounts');
      expect(await shownBalance()).toBe(await hubBalance(rig.store, ACCOUNT));
    } finally {
      Dexie.on('storagemutated').unsubscribe(note);
    }
  });

  it('shows a payment another tablet took, with the balance it left, before any sync', async () => {
    const hubBefore = await hubBalance(rig.store, ACCOUNT);
    await enrolTablet(rig.store, TABLET_B, new Date());
    await rig.store.transaction((trx) =>
      recordAgentOnDevice(trx, TABLET_B, 'user-amina', new Date()),
    );
    const other = new DeviceChain(TABLET_B, 'user-amina');
    const payment = other.payment({ accountId: ACCOUNT, amountMinor: minor(30_000) });
    await ingestPush(rig.store, await pushBody(TABLET_B, other.facts), new Date());
    const refreshed = await refresh();
    expect(refreshed.ok && refreshed.value.detail.payments[0]?.factId).toBe(payment.id);
    expect(await shownBalance()).toBe(hubBefore - 30_000);
  });
});
