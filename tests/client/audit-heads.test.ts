/**
 * Goal: a tablet holds the hub to the history it signed. Heads signed by the hub's key that
 * move forward are kept; a head further back, or the same entry with another hash, or a head
 * not signed by the kept key, or another key, raises an alarm that stays, and the page it came
 * with is not applied. A restore (a new epoch) is no alarm.
 *
 * Method: `checkAuditHead` on a Dexie database in fake-indexeddb with heads signed by keys made
 * here, as the hub signs them; then a real in-process hub whose audit log is cut back after a
 * sync, and the tablet's next sync.
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { uuidv7 } from 'uuidv7';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { checkAuditHead, lastKeptHead } from '../../client/sync/audit-heads.ts';
import { auditHeadSigningText, type AuditHead } from '../../shared/audit-head.ts';
import { base64url, ECDSA_KEY, ECDSA_SIGNING, type PublicKeyJwk } from '../../shared/devices.ts';
import { recordCashPayment } from '../../client/db/facts.ts';
import { minor } from '../../shared/money.ts';
import { agentOf, enrolAndSignIn, openRig, syncWith, type Rig } from './device-hub.ts';

const NOW = new Date('2026-12-07T08:00:00.000Z');
const EPOCH = 'epoch-one';

async function hubKeys() {
  const pair = await crypto.subtle.generateKey(ECDSA_KEY, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const publicKey: PublicKeyJwk = { kty: 'EC', crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' };
  const sign = async (seq: number, hash: string, epoch = EPOCH): Promise<AuditHead> => {
    const head = { epoch, seq, hash };
    const signature = await crypto.subtle.sign(
      ECDSA_SIGNING,
      pair.privateKey,
      new TextEncoder().encode(auditHeadSigningText(head)),
    );
    return { ...head, signature: base64url(signature) };
  };
  return { publicKey, sign };
}

const hash = (n: number) => n.toString(16).padStart(64, '0');

/** A pull answer's head, checked as the sync engine checks it: against the last head kept. */
async function check(db: GridtallyDatabase, head: AuditHead, key: PublicKeyJwk) {
  return checkAuditHead(db, head, key, await lastKeptHead(db), NOW);
}

describe('checkAuditHead', () => {
  let db: GridtallyDatabase;
  beforeEach(() => {
    db = new GridtallyDatabase(`audit-${uuidv7()}`, { indexedDB, IDBKeyRange }, testVault());
  });
  afterEach(() => db.close());

  it('keeps heads that move forward, and a restore’s new epoch', async () => {
    const hub = await hubKeys();
    expect(await check(db, await hub.sign(5, hash(5)), hub.publicKey)).toBe('ok');
    expect(await check(db, await hub.sign(5, hash(5)), hub.publicKey)).toBe('ok');
    expect(await check(db, await hub.sign(9, hash(9)), hub.publicKey)).toBe('ok');
    const restored = await hub.sign(2, hash(2), 'epoch-two');
    expect(await check(db, restored, hub.publicKey)).toBe('ok');
    const record = await db.settings.get('audit');
    expect(record?.key === 'audit' ? record.heads.map((head) => head.seq) : []).toEqual([5, 9, 2]);
  });

  it('takes the newest kept head shown again, signature and all, without a check; the same entry signed otherwise is checked', async () => {
    const hub = await hubKeys();
    const impostor = await hubKeys();
    const head = await hub.sign(6, hash(6));
    expect(await check(db, head, hub.publicKey)).toBe('ok');
    const kept = await db.settings.get('audit');
    expect(await check(db, { ...head }, hub.publicKey)).toBe('ok');
    expect(await db.settings.get('audit')).toEqual(kept);
    const forged = { ...head, signature: (await impostor.sign(6, hash(6))).signature };
    expect(await check(db, forged, hub.publicKey)).toBe('audit-head-forged');
  });

  it('takes a late answer with an older head than one kept since the request left', async () => {
    const hub = await hubKeys();
    await checkAuditHead(db, await hub.sign(5, hash(5)), hub.publicKey, undefined, NOW);
    const askedAfter = await lastKeptHead(db);
    // Another tab pulls meanwhile and keeps a newer head.
    await checkAuditHead(db, await hub.sign(9, hash(9)), hub.publicKey, askedAfter, NOW);
    // The first tab's answer, sent after head 5, arrives with head 7: late, not rewritten.
    expect(
      await checkAuditHead(db, await hub.sign(7, hash(7)), hub.publicKey, askedAfter, NOW),
    ).toBe('ok');
    expect((await lastKeptHead(db))?.seq).toBe(9);
  });

  it.each([
    ['a head further back', 7, hash(7), 'hub-history-rewritten'],
    ['the same entry with another hash', 9, hash(99), 'hub-history-rewritten'],
  ] as const)('%s raises an alarm that stays', async (_name, seq, text, alarm) => {
    const hub = await hubKeys();
    await check(db, await hub.sign(9, hash(9)), hub.publicKey);
    expect(await check(db, await hub.sign(seq, text), hub.publicKey)).toBe(alarm);
    // Even a head that would follow is refused now: the alarm is for a person to clear.
    expect(await check(db, await hub.sign(20, hash(20)), hub.publicKey)).toBe(alarm);
    const record = await db.settings.get('audit');
    expect(
      record?.key === 'audit' ? [record.alarm?.kept?.seq, record.alarm?.shown.seq] : [],
    ).toEqual([9, seq]);
  });

  it('a head signed by another key than the kept one, or carrying another key, is refused', async () => {
    const hub = await hubKeys();
    const impostor = await hubKeys();
    await check(db, await hub.sign(3, hash(3)), hub.publicKey);
    expect(await check(db, await impostor.sign(4, hash(4)), hub.publicKey)).toBe(
      'audit-head-forged',
    );
    const other = new GridtallyDatabase(
      `audit-${uuidv7()}`,
      { indexedDB, IDBKeyRange },
      testVault(),
    );
    await check(other, await hub.sign(3, hash(3)), hub.publicKey);
    expect(await check(other, await impostor.sign(4, hash(4)), impostor.publicKey)).toBe(
      'hub-key-changed',
    );
    other.close();
  });
});

describe('a tablet against a hub whose history was cut back', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await openRig();
    await enrolAndSignIn(rig);
  });
  afterEach(() => rig.close());

  it('refuses the next page, keeps its cursor and says so', async () => {
    const paid = await recordCashPayment(
      rig.db,
      {
        accountId: 'acc-0015',
        currency: 'KES',
        amountMinor: minor(31_700),
        tenderedMinor: minor(31_700),
        agent: await agentOf(rig.db),
        duplicateConfirmed: true,
      },
      rig.deps,
    );
    expect(paid.ok).toBe(true);
    // The push is an audit entry; the pull after it carries the head that includes it.
    expect((await syncWith(rig)).error).toBeUndefined();
    const before = await rig.db.settings.get('cursor');
    // History cut back to before the push's entry, which the head the device kept includes
    // (entries after it, such as the prepaid leases granted after the pull, go too).
    const last = await rig.store.db
      .selectFrom('audit')
      .select('id')
      .where('action', '=', 'facts-received')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    await rig.store.db.deleteFrom('audit').where('id', '>=', last.id).execute();
    const report = await syncWith(rig);
    expect(report.error).toBe('hub-history-rewritten');
    expect(report.state).toBe('refused');
    expect(await rig.db.settings.get('cursor')).toEqual(before);
  });
});
