/**
 * Goal: a prepaid top-up is made on the tablet with no network (issue 13, item 2): the sync
 * fetches leases of the route's prepaid meters; offline, a top-up prices the money by the
 * tariff, makes tokens at the lease's next counts inside the transaction that records it, and
 * moves the balance by the money less the energy's cost; two top-ups never share a count; a
 * used-up lease refuses with nothing written until the next sync renews it; the lease and its
 * key are sealed at rest; the hub accepts what the tablet made, and both sides agree on the
 * balance.
 *
 * Method: the device's real code on fake-indexeddb against the hub in-process (the rig); the
 * network cut by the rig's faults; the stored records read under the vault and around it.
 */
import Dexie from 'dexie';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchLeases, topUpOf } from '../../client/db/prepaid.ts';
import { previewTopUp } from '../../client/db/pricing.ts';
import { pruneAcknowledged } from '../../client/sync/engine.ts';
import { minor } from '../../shared/money.ts';
import { deviceBalance } from '../../shared/protocol.ts';
import { tokensLeft } from '../../shared/topup.ts';
import { BASE_URL, hubBalance, payCash, syncedRig, syncWith, type Rig } from './device-hub.ts';

let rig: Rig;
const PREPAID = 'acc-0109';

beforeEach(async () => {
  rig = await syncedRig();
});

afterEach(async () => {
  await rig.close();
});

function topUp(amountMinor: number, accountId = PREPAID) {
  return payCash(rig, accountId, amountMinor, true);
}

describe('prepaid top-ups on the tablet', () => {
  it('tops up offline with tokens at the lease’s counts, and the hub accepts them', async () => {
    const leases = await rig.db.leases.toArray();
    // acc-0109, -0119, … -0199: the prepaid meters of Amina's route, one lease each, but for
    // the STS meters of 139 and 179 (their tokens come from the hub: docs/prepaid-tokens.md).
    expect(leases.map((l) => l.accountId).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `acc-0${109 + 10 * i}`).filter(
        (id) => id !== 'acc-0139' && id !== 'acc-0179',
      ),
    );
    const hubBefore = await hubBalance(rig.store, PREPAID);
    rig.faults.push(...Array<'drop-request'>(20).fill('drop-request'));

    const preview = await previewTopUp(rig.db, PREPAID, minor(50_000), rig.deps.nowMs());
    expect(preview.ok).toBe(true);
    const first = await topUp(50_000);
    const second = await topUp(12_345);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok || !preview.ok) return;
    const a = topUpOf(first.value);
    const b = topUpOf(second.value);
    expect(a?.energyWh).toBe(preview.value.energyWh);
    expect(a?.costMinor).toBeLessThanOrEqual(50_000);
    expect(a?.tokens.map((t) => t.count)).toEqual([2]);
    expect(b?.tokens.map((t) => t.count)).toEqual([4]);
    expect(first.value.balanceDeltaMinor).toBe(-50_000 + (a?.costMinor ?? 0));

    const account = await rig.db.accounts.get(PREPAID);
    const own = await rig.db.facts.where('accountId').equals(PREPAID).toArray();
    if (!account) throw new Error('no account');
    const shown = deviceBalance(account, own);

    rig.faults.length = 0;
    const report = await syncWith(rig);
    expect(report.state).toBe('synced');
    const outcomes = await rig.db.facts.where('accountId').equals(PREPAID).toArray();
    expect(outcomes.map((f) => [f.outcome, f.reason])).toEqual([
      ['accepted', undefined],
      ['accepted', undefined],
    ]);
    expect(await hubBalance(rig.store, PREPAID)).toBe(shown);
    expect(shown).toBe(hubBefore - 62_345 + (a?.costMinor ?? 0) + (b?.costMinor ?? 0));
    // The second purchase's tiers counted the first's energy, on the tablet as at the hub.
    const pulled = await rig.db.accounts.get(PREPAID);
    expect(pulled?.prepaid?.soldByMonth).toEqual([
      { month: '2026-11', energyWh: (a?.energyWh ?? 0) + (b?.energyWh ?? 0) },
    ]);
  });

  it('refuses a top-up with nothing written when the account is postpaid, the lease is gone or used up; the next sync renews it', async () => {
    const before = await rig.db.facts.count();
    expect(await topUp(10_000, 'acc-0001')).toEqual({ ok: false, error: 'not-prepaid' });
    await rig.db.leases.delete('acc-0119');
    expect(await topUp(10_000, 'acc-0119')).toEqual({ ok: false, error: 'no-lease' });
    expect(await rig.db.facts.count()).toBe(before);

    let amount = 5_000;
    let made = 0;
    for (;;) {
      const result = await topUp((amount += 500));
      if (!result.ok) {
        expect(result.error).toBe('lease-used-up');
        break;
      }
      made++;
    }
    expect(made).toBe(8);
    expect(await rig.db.facts.count()).toBe(before + 8);
    expect(await syncWith(rig)).toMatchObject({ state: 'synced' });
    const renewed = await rig.db.leases.get(PREPAID);
    expect(renewed).toMatchObject({ fromCount: 18, toCount: 34 });
    expect(renewed && tokensLeft(renewed, 16)).toBe(8);
    expect(await topUp(9_999)).toMatchObject({ ok: true });
  });

  it('never makes a count twice, even after the payments that carried its tokens are pruned', async () => {
    const first = await topUp(20_000);
    expect(first.ok).toBe(true);
    const firstCounts = topUpOf(first.ok ? first.value : undefined)?.tokens.map((t) => t.count);
    expect(await syncWith(rig)).toMatchObject({ state: 'synced' });
    // Long after, the acknowledged payment is pruned from the tablet; the lease is still held.
    const later = new Date(rig.deps.nowMs() + 400 * 86_400_000);
    expect(await pruneAcknowledged(rig.db, later)).toBeGreaterThan(0);
    expect(await rig.db.facts.where('accountId').equals(PREPAID).count()).toBe(0);
    // The hub answers the same lease again: what the tablet used of it stays used.
    const session = await rig.db.settings.get('session');
    const device = await rig.db.settings.get('device');
    if (session?.key !== 'session' || device?.key !== 'device') throw new Error('not signed in');
    const again = await fetchLeases(
      rig.db,
      { baseUrl: BASE_URL, token: session.token, deviceId: device.deviceId, fetch: rig.fetch },
      [PREPAID],
    );
    expect(again).toMatchObject({ ok: true, value: { granted: 1 } });
    const second = await topUp(45_000);
    const secondCounts = topUpOf(second.ok ? second.value : undefined)?.tokens.map((t) => t.count);
    expect(Math.min(...(secondCounts ?? []))).toBeGreaterThan(Math.max(...(firstCounts ?? [])));
    expect(await syncWith(rig)).toMatchObject({ state: 'synced' });
    const flagged = await rig.store.db
      .selectFrom('facts')
      .select('flag_reason')
      .where('flag_reason', 'is not', null)
      .execute();
    expect(flagged).toEqual([]);
  });

  it('keeps the lease and its meter key sealed at rest', async () => {
    const lease = await rig.db.leases.get(PREPAID);
    expect(lease?.meter.secretKeyHex).toMatch(/^[0-9a-f]{32}$/);
    const raw = new Dexie(rig.db.name, { indexedDB, IDBKeyRange });
    await raw.open();
    const stored = await raw.table('leases').get(PREPAID);
    raw.close();
    expect(JSON.stringify(stored)).not.toContain(lease?.meter.secretKeyHex);
    expect(JSON.stringify(stored)).toContain(PREPAID);
  });
});
