/**
 * Goal: a village agent's tablet (issue 13, item 5) holds her area and keeps a walk-in customer
 * from beyond it, opened through the hub, so that the next payment works offline; and the
 * tablet never forgets a payment the customer's snapshot does not hold yet: a walk-in's
 * snapshot is never pulled again, so its facts outlive the retention period until it is read
 * afresh (money: forgetting the fact would show the paid debt again).
 *
 * Method: the device's real code on fake-indexeddb against the hub in-process (the rig), signed
 * in as the demo's village agent; the hub's balances compared with the tablet's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountView } from '../../client/db/accounts.ts';
import { pruneAcknowledged } from '../../client/sync/engine.ts';
import { demoSignIns } from '../../hub/demo/seed.ts';
import {
  enrolAndSignIn,
  hubBalance,
  openRig,
  payCash,
  readOnline,
  SEED_DAY,
  syncWith,
  type Rig,
} from './device-hub.ts';

const DAY_MS = 86_400_000;
/** On Kabondo, beyond the area of Ahero (the Nyando route). */
const WALK_IN = 'acc-0002';
/** On Nyando, in the area. */
const NEIGHBOUR = 'acc-0011';

let rig: Rig;

beforeEach(async () => {
  rig = await openRig();
  await enrolAndSignIn(rig, rig.db, rig.deps, demoSignIns.villageAgent);
  await syncWith(rig);
});

afterEach(async () => {
  await rig.close();
});

const openOnline = (accountId: string) => readOnline(rig, accountId, SEED_DAY);

async function pay(accountId: string, amountMinor: number) {
  expect((await payCash(rig, accountId, amountMinor)).ok).toBe(true);
}

async function shown(accountId: string) {
  return (await accountView(rig.db, accountId))?.balanceMinor;
}

describe('a village agent’s tablet', () => {
  it('holds her area, and keeps a walk-in customer once opened through the hub', async () => {
    const held = await rig.db.accounts.toArray();
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((account) => account.routeId === 'route-nyando')).toBe(true);
    expect(await rig.db.accounts.get(WALK_IN)).toBeUndefined();
    const opened = await openOnline(WALK_IN);
    expect(opened.ok && opened.value.balance).toBe('fresh');
    expect(await rig.db.accounts.get(WALK_IN)).toMatchObject({
      routeId: 'route-kabondo',
      walkIn: true,
    });
    // The next payment is taken from what the tablet kept, with no call to the hub.
    const calls = rig.calls.length;
    await pay(WALK_IN, 10_000);
    expect(rig.calls.length).toBe(calls);
    expect(await shown(WALK_IN)).toBe((await hubBalance(rig.store, WALK_IN)) - 10_000);
    await syncWith(rig);
    expect(await shown(WALK_IN)).toBe(await hubBalance(rig.store, WALK_IN));
  });

  it('keeps a walk-in’s payment past the retention period until its snapshot holds it', async () => {
    await openOnline(WALK_IN);
    await pay(WALK_IN, 12_500);
    await pay(NEIGHBOUR, 7_500);
    await syncWith(rig);
    await syncWith(rig);
    const hubWalkIn = await hubBalance(rig.store, WALK_IN);
    expect(await shown(WALK_IN)).toBe(hubWalkIn);
    expect(await shown(NEIGHBOUR)).toBe(await hubBalance(rig.store, NEIGHBOUR));
    // Long after: the neighbour's payment is in its pulled snapshot and goes; the walk-in's
    // snapshot was read before the payment, so the payment stays, and so does the balance.
    const later = new Date(SEED_DAY.getTime() + 400 * DAY_MS);
    expect(await pruneAcknowledged(rig.db, later)).toBe(1);
    expect(await rig.db.facts.where('accountId').equals(NEIGHBOUR).count()).toBe(0);
    expect(await rig.db.facts.where('accountId').equals(WALK_IN).count()).toBe(1);
    expect(await shown(WALK_IN)).toBe(hubWalkIn);
    // Read afresh, its snapshot holds the payment: now it may go.
    expect((await openOnline(WALK_IN)).ok).toBe(true);
    expect(await pruneAcknowledged(rig.db, later)).toBe(1);
    expect(await shown(WALK_IN)).toBe(hubWalkIn);
  });
});
