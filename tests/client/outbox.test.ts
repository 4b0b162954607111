/**
 * Goal: a sync round finds every pending fact from the outbox's start (client/sync/outbox.ts)
 * and never below it: the start moves forward only over what a read found and the hub
 * answered, moves back wherever facts are made pending again, and a read from before such a
 * move cannot carry the start past the facts it reopened.
 *
 * Method: the outbox's functions on a device database in fake-indexeddb, its facts written
 * directly with distinct seqs and states; then a device against the real in-process hub, whose
 * kept start is dropped (a tablet updated from before it was kept) while payments wait.
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GridtallyDatabase, type StoredFact } from '../../client/db/database.ts';
import { Vault } from '../../client/db/vault.ts';
import {
  closeOutbox,
  outboxCount,
  outboxStart,
  pendingFacts,
  reopenOutbox,
} from '../../client/sync/outbox.ts';
import type { Fact } from '../../shared/facts.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';
import { enrolAndSignIn, hubBalance, openRig, payCash, syncWith } from './device-hub.ts';

/** A stored fact of this seq and state; its body only needs to be sealed and read back. */
function stored(seq: number, status: StoredFact['status']): StoredFact {
  return {
    seq,
    id: `fact-${seq}`,
    kind: 'payment',
    accountId: `acc-${seq}`,
    amountMinor: minor(100 + seq),
    balanceDeltaMinor: -(100 + seq),
    fact: { recordedAt: `2026-12-07T08:00:${String(seq).padStart(2, '0')}.000Z` } as Fact,
    status,
    ...(status === 'acked' ? { ackChangeSeq: 500 + seq, outcome: 'accepted' as const } : {}),
  };
}

const inWrite = <T>(db: GridtallyDatabase, work: () => Promise<T>) =>
  db.transaction('rw', db.facts, db.settings, work);

describe('the outbox’s start', () => {
  let db: GridtallyDatabase;

  beforeEach(() => {
    const vault = testVault();
    vault.unlock(Vault.newMaster());
    db = new GridtallyDatabase(`outbox-${uuidv7()}`, { indexedDB, IDBKeyRange }, vault);
  });

  afterEach(() => db.close());

  it('is worked out once from the status index, then kept', async () => {
    await db.facts.bulkPut([stored(1, 'acked'), stored(2, 'acked'), stored(3, 'pending')]);
    expect(await outboxStart(db)).toEqual({ key: 'outbox', pendingFrom: 3, reopened: 0 });
    // Kept: a fact acknowledged outside the sync does not move it.
    await db.facts.put(stored(3, 'acked'));
    expect((await outboxStart(db)).pendingFrom).toBe(3);
  });

  it('starts after the chain’s head when nothing is pending', async () => {
    await db.settings.put({
      key: 'device',
      deviceId: 'd-1',
      headSeq: 7,
      headHash: GENESIS_HASH,
      hlc: '',
    });
    expect((await outboxStart(db)).pendingFrom).toBe(8);
  });

  it('a read passes facts acknowledged above the start and covers them', async () => {
    await db.facts.bulkPut([1, 2, 3, 4].map((seq) => stored(seq, 'acked')));
    await db.facts.bulkPut([stored(5, 'pending'), stored(6, 'acked'), stored(7, 'pending')]);
    const { facts, read } = await pendingFacts(db, 1, 2, 0);
    expect(facts.map((fact) => fact.seq)).toEqual([5]);
    expect(read).toEqual({ from: 1, through: 6, reopened: 0 });
    const nothing = await pendingFacts(db, 8, 2, 0);
    expect(nothing).toEqual({ facts: [], read: { from: 8, through: 7, reopened: 0 } });
  });

  it('closes over a read only when it starts within it and nothing was reopened since', async () => {
    await db.facts.bulkPut([1, 2, 3].map((seq) => stored(seq, 'pending')));
    await outboxStart(db);
    await inWrite(db, () => closeOutbox(db, { from: 2, through: 3, reopened: 0 }));
    expect((await outboxStart(db)).pendingFrom).toBe(1);
    await inWrite(db, () => closeOutbox(db, { from: 1, through: 2, reopened: 0 }));
    expect((await outboxStart(db)).pendingFrom).toBe(3);
    // A read made before a reopening closes nothing, wherever the start is then.
    await inWrite(db, () => reopenOutbox(db, 4));
    expect(await outboxStart(db)).toMatchObject({ pendingFrom: 3, reopened: 1 });
    await inWrite(db, () => closeOutbox(db, { from: 3, through: 3, reopened: 0 }));
    expect((await outboxStart(db)).pendingFrom).toBe(3);
    await inWrite(db, () => reopenOutbox(db, 2));
    expect(await outboxStart(db)).toMatchObject({ pendingFrom: 2, reopened: 2 });
  });

  it('counts nothing pending with no fact from the start on, else what the status index holds', async () => {
    await db.facts.bulkPut([stored(1, 'acked'), stored(2, 'pending'), stored(3, 'pending')]);
    expect(await outboxCount(db)).toBe(2);
    await db.facts.bulkPut([stored(2, 'acked'), stored(3, 'acked')]);
    await inWrite(db, () => closeOutbox(db, { from: 2, through: 3, reopened: 0 }));
    expect(await outboxCount(db)).toBe(0);
  });
});

describe('a tablet updated from before the outbox’s start was kept', () => {
  it('works it out at its next round and pushes every payment that waited', async () => {
    const rig = await openRig();
    try {
      await enrolAndSignIn(rig);
      await syncWith(rig);
      const before = await hubBalance(rig.store, 'acc-0017');
      await payCash(rig, 'acc-0017', 1_300);
      await syncWith(rig);
      await payCash(rig, 'acc-0017', 1_700);
      await payCash(rig, 'acc-0017', 1_900);
      await rig.db.settings.delete('outbox');
      const report = await syncWith(rig);
      expect(report).toMatchObject({ state: 'synced', pushed: 2, pending: 0 });
      expect(await hubBalance(rig.store, 'acc-0017')).toBe(before - 1_300 - 1_700 - 1_900);
    } finally {
      await rig.close();
    }
  });
});
