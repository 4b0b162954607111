/**
 * Goal: the tablet's customers, payments and tokens are sealed at rest (client/db/vault.ts),
 * opened only with the hub's secret after an online sign-in or, for a bounded window, with the
 * PIN (client/auth/unlock.ts), and search still works with no plain text on disk.
 *
 * Method: the device's real code on fake-indexeddb against the real hub in-process (the rig);
 * what is on "disk" is read with plain IndexedDB calls under Dexie, the way a thief would; a
 * "reload" is a second database object on the same store with a fresh, locked vault.
 */
import { testVault } from '../support/vault.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import Dexie from 'dexie';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentSession, signInAgent, signOut } from '../../client/auth/session.ts';
import { MAX_OFFLINE_PIN_TRIES } from '../../client/auth/unlock.ts';
import { searchAccounts } from '../../client/db/accounts.ts';
import { NEAR, PAIR, queryWords } from '../../client/db/search-words.ts';
import { firstPendingSeq, pendingFacts } from '../../client/sync/outbox.ts';
import { openStored, storedFrom } from '../../client/sync/sealed-reads.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { recordCashPayment, recordContactEdit } from '../../client/db/facts.ts';
import { isVaultLocked, plainFieldsOf, updateSyncState, Vault } from '../../client/db/vault.ts';
import { minor } from '../../shared/money.ts';
import { agentOf, BASE_URL, enrolAndSignIn, openRig, syncWith, type Rig } from './device-hub.ts';

const CANARY_PHONE = '+254 799 314 159';

/** Every record of every object store, as stored, read without Dexie. */
async function onDisk(name: string): Promise<Record<string, unknown[]>> {
  const opened = indexedDB.open(name);
  const idb = await new Promise<IDBDatabase>((resolve, reject) => {
    opened.onsuccess = () => resolve(opened.result);
    opened.onerror = () => reject(opened.error ?? new Error('open failed'));
  });
  const out: Record<string, unknown[]> = {};
  for (const store of [...idb.objectStoreNames]) {
    const request = idb.transaction(store).objectStore(store).getAll();
    out[store] = await new Promise<unknown[]>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result as unknown[]);
      request.onerror = () => reject(request.error ?? new Error('read failed'));
    });
  }
  idb.close();
  return out;
}

/** The stored records as text: strings, and byte arrays as Latin-1 (what a scan of a file sees). */
function asText(records: readonly unknown[]): string {
  return JSON.stringify(records, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
  );
}

/** The same device database after a reload: same store, a vault that holds no key. */
function reopened(rig: Rig): GridtallyDatabase {
  return new GridtallyDatabase(rig.db.name, { indexedDB, IDBKeyRange }, testVault());
}

let rig: Rig;
const extra: GridtallyDatabase[] = [];

beforeEach(async () => {
  rig = await openRig();
  await enrolAndSignIn(rig);
  await syncWith(rig);
});

afterEach(async () => {
  for (const db of extra.splice(0)) db.close();
  await rig.close();
});

async function payCash(accountId: string, amountMinor: number): Promise<void> {
  const paid = await recordCashPayment(
    rig.db,
    {
      accountId,
      currency: 'KES',
      amountMinor: minor(amountMinor),
      tenderedMinor: minor(amountMinor),
      agent: await agentOf(rig.db),
    },
    rig.deps,
  );
  expect(paid.ok).toBe(true);
}

async function routeCustomers(): Promise<{ id: string; name: string; phone: string }[]> {
  return rig.store.db
    .selectFrom('accounts')
    .select(['id', 'name', 'phone'])
    .where('route_id', '=', (await agentOf(rig.db)).routeId)
    .execute();
}

describe('the tablet’s data at rest', () => {
  it('holds no customer name, phone, amount or token in the clear, and search still finds them', async () => {
    const agent = await agentOf(rig.db);
    const customers = await routeCustomers();
    const [first] = customers;
    if (!first) throw new Error('no customers on the route');
    expect(
      await recordContactEdit(
        rig.db,
        { accountId: first.id, field: 'phone', value: CANARY_PHONE, agent },
        rig.deps,
      ),
    ).toMatchObject({ ok: true });
    const paid = await recordCashPayment(
      rig.db,
      {
        accountId: first.id,
        currency: 'KES',
        amountMinor: minor(271_828),
        tenderedMinor: minor(271_828),
        agent,
      },
      rig.deps,
    );
    expect(paid.ok).toBe(true);

    const disk = await onDisk(rig.db.name);
    const text = asText(Object.values(disk).flat());
    // The scan can fail: what stays plain by design is there to be found.
    expect(text).toContain(first.id);
    const session = await currentSession(rig.db);
    if (!session) throw new Error('signed in above');
    for (const customer of customers) {
      expect(text).not.toContain(customer.name);
      expect(text).not.toContain(customer.phone);
    }
    expect(text).not.toContain(CANARY_PHONE);
    expect(text).not.toContain('271828');
    expect(text).not.toContain(session.token);

    // Look-up as you type: by a name's first letters, a whole word, and the phone's digits.
    const surname = first.name.split(' ')[1] ?? first.name;
    for (const query of [
      surname.slice(0, 3),
      first.name.toLowerCase(),
      first.phone.replace(/\D/g, '').slice(0, 9),
    ]) {
      const { found } = await searchAccounts(rig.db, query, { limit: 200 });
      expect(
        found.map(({ account }) => account.id),
        query,
      ).toContain(first.id);
      expect(
        found.every(
          ({ account, near }) =>
            near ||
            queryWords(query).every((word) =>
              account.searchWords.some((candidate) => candidate.startsWith(word)),
            ),
        ),
      ).toBe(true);
    }
  });

  it('a reload locks the data: nothing sealed is read or written until the PIN opens it', async () => {
    await payCash('acc-0011', 500);
    const db = reopened(rig);
    extra.push(db);
    expect(await currentSession(db)).toBeUndefined();
    await expect(db.facts.toArray()).rejects.toSatisfy(isVaultLocked);
    await expect(db.accounts.get('acc-0011')).rejects.toSatisfy(isVaultLocked);
    const account = await rig.db.accounts.get('acc-0011');
    if (!account) throw new Error('acc-0011 is on the route');
    const before = asText((await onDisk(db.name)).accounts ?? []);
    await expect(db.accounts.put({ ...account, name: 'Plain Text' })).rejects.toSatisfy(
      isVaultLocked,
    );
    const after = asText((await onDisk(db.name)).accounts ?? []);
    expect(after).toBe(before);
    expect(after).not.toContain('Plain Text');
    // Counting needs no key: the sync badge still shows how many facts wait.
    expect(await db.facts.count()).toBe(await rig.db.facts.count());

    // The hub is unreachable: the PIN alone opens it, within its window.
    const offline = await signInAgent(db, BASE_URL, 'amina', '1234', rig.deps, () =>
      Promise.reject(new TypeError('no network')),
    );
    expect(offline).toMatchObject({ ok: true });
    expect((await db.accounts.toArray()).length).toBeGreaterThan(0);
  });

  it('a sealed record opens only as itself, and only with its own key', async () => {
    const disk = await onDisk(rig.db.name);
    const [a, b] = (disk.accounts ?? []) as { id: string; sealed: Uint8Array }[];
    if (!a || !b) throw new Error('two accounts pulled');
    const vault = new Vault();
    vault.unlock(Vault.newMaster());
    expect(() => vault.open('accounts', a.id, a.sealed)).toThrow();
    const own = rig.db.vault;
    expect(own.open('accounts', a.id, a.sealed)).toMatchObject({ id: a.id });
    // A blob moved onto another record, or to another table, does not open.
    expect(() => own.open('accounts', b.id, a.sealed)).toThrow();
    expect(() => own.open('facts', a.id, a.sealed)).toThrow();
    const flipped = a.sealed.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(() => own.open('accounts', a.id, flipped)).toThrow();
  });

  it('wrong PINs offline erase the PIN’s wrap after five; then only the hub opens the data', async () => {
    const noNetwork = () => Promise.reject(new TypeError('no network'));
    const db = reopened(rig);
    extra.push(db);
    for (let i = 1; i < MAX_OFFLINE_PIN_TRIES; i += 1)
      expect(await signInAgent(db, BASE_URL, 'amina', '0000', rig.deps, noNetwork)).toEqual({
        ok: false,
        error: 'sign-in-failed',
      });
    expect(await signInAgent(db, BASE_URL, 'amina', '0000', rig.deps, noNetwork)).toEqual({
      ok: false,
      error: 'offline-pin-locked',
    });
    expect(await db.unlocks.count()).toBe(0);
    expect(await signInAgent(db, BASE_URL, 'amina', '1234', rig.deps, noNetwork)).toMatchObject({
      ok: false,
    });
    expect(db.vault.unlocked).toBe(false);
    // Back in reach of the hub, the right PIN opens everything that was there.
    expect(await signInAgent(db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch)).toMatchObject({
      ok: true,
    });
    expect(await db.accounts.count()).toBe(await rig.db.accounts.count());
  });

  it('the PIN alone opens the data only until the window the hub set', async () => {
    const noNetwork = () => Promise.reject(new TypeError('no network'));
    const [held] = await rig.db.unlocks.toArray();
    if (!held) throw new Error('a PIN wrap after an online sign-in');
    const windowMs = Date.parse(held.until) - rig.deps.nowMs();
    // The default window: 14 days (HUB_AGENT_OFFLINE_UNLOCK_DAYS).
    expect(windowMs).toBeGreaterThan(13.9 * 86_400_000);
    expect(windowMs).toBeLessThanOrEqual(14 * 86_400_000);
    rig.advance(windowMs + 60_000);
    const db = reopened(rig);
    extra.push(db);
    expect(await signInAgent(db, BASE_URL, 'amina', '1234', rig.deps, noNetwork)).toEqual({
      ok: false,
      error: 'offline-unlock-expired',
    });
    expect(await db.unlocks.count()).toBe(0);
  });

  it('the hub hands the device’s secret only to a signed-in agent on an active device, the same each time', async () => {
    const device = await rig.db.settings.get('device');
    if (device?.key !== 'device') throw new Error('enrolled');
    const signIn = async () => {
      const answer = await rig.fetch(`${BASE_URL}/api/auth/agent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'amina', pin: '1234', deviceId: device.deviceId }),
      });
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    const one = await signIn();
    const two = await signIn();
    expect(one.status).toBe(200);
    expect(one.body.unlock).toMatchObject({ secret: expect.stringMatching(/^[\w-]{43}$/) });
    expect((two.body.unlock as { secret: string }).secret).toBe(
      (one.body.unlock as { secret: string }).secret,
    );
    const wrong = await rig.fetch(`${BASE_URL}/api/auth/agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'amina', pin: '9999', deviceId: device.deviceId }),
    });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await wrong.json())).not.toContain('unlock');
    await rig.store.db
      .updateTable('devices')
      .set({ status: 'revoked' })
      .where('id', '=', device.deviceId)
      .execute();
    const revoked = await signIn();
    expect(revoked.status).toBe(403);
    expect(JSON.stringify(revoked.body)).not.toContain('unlock');
  });

  it('a fact’s sync state changes in the clear without new ciphertext, and its body keeps its own fields', async () => {
    await payCash('acc-0011', 900);
    const [pending] = (await onDisk(rig.db.name)).facts as { seq: number; sealed: Uint8Array }[];
    if (!pending) throw new Error('a fact');
    const stored = await rig.db.facts.get(pending.seq);
    if (!stored) throw new Error('readable');
    // A body field named like a state field stays in the blob: a void's reason is one.
    const withReason = {
      ...stored,
      fact: { ...stored.fact, body: { ...stored.fact.body, reason: 'wrong-amount' } },
    } as unknown as typeof stored;
    await rig.db.facts.put(withReason);
    const before = ((await onDisk(rig.db.name)).facts as { sealed: Uint8Array }[])[0]?.sealed;
    const read = await rig.db.facts.get(pending.seq);
    if (!read) throw new Error('readable');
    await rig.db.facts.put({
      ...read,
      status: 'acked',
      ackChangeSeq: 42,
      outcome: 'flagged',
      reason: 'possible-duplicate',
    });
    const after = (
      (await onDisk(rig.db.name)).facts as { sealed: Uint8Array; status: string }[]
    )[0];
    expect(after?.status).toBe('acked');
    expect(after?.sealed).toEqual(before);
    const again = await rig.db.facts.get(pending.seq);
    expect(again).toMatchObject({
      status: 'acked',
      ackChangeSeq: 42,
      outcome: 'flagged',
      reason: 'possible-duplicate',
    });
    expect((again?.fact.body as { reason?: string }).reason).toBe('wrong-amount');
    // A change to the sealed part is sealed anew.
    await rig.db.facts.put({ ...(again as typeof stored), amountMinor: minor(901) });
    expect(((await onDisk(rig.db.name)).facts as { sealed: Uint8Array }[])[0]?.sealed).not.toEqual(
      before,
    );
  });

  it('an acknowledgement rewrites only the sync state in the clear: no blob is opened or made', async () => {
    await payCash('acc-0013', 700);
    await payCash('acc-0015', 800);
    const before = (await onDisk(rig.db.name)).facts as { seq: number; sealed: Uint8Array }[];
    const [first, second] = before;
    if (!first || !second) throw new Error('two facts');
    // Locked, nothing could be opened or sealed: the state is written all the same.
    const master = rig.db.vault.master();
    if (!master) throw new Error('unlocked');
    rig.db.vault.lock();
    const written = await rig.db.transaction('rw', rig.db.facts, () =>
      updateSyncState(rig.db.facts, [first.seq, second.seq, 9_999], (plain) =>
        plain.seq === first.seq
          ? { status: 'acked', ackChangeSeq: 77, outcome: 'flagged', reason: 'possible-duplicate' }
          : undefined,
      ),
    );
    expect(written).toBe(1);
    const after = (await onDisk(rig.db.name)).facts as { seq: number; sealed: Uint8Array }[];
    expect(after.map((stored) => stored.sealed)).toEqual(before.map((stored) => stored.sealed));
    rig.db.vault.unlock(master);
    expect(await rig.db.facts.get(first.seq)).toMatchObject({
      status: 'acked',
      ackChangeSeq: 77,
      outcome: 'flagged',
      reason: 'possible-duplicate',
    });
    expect(await rig.db.facts.get(second.seq)).toMatchObject({ status: 'pending' });
    // A state without the reason removes it; a field of the sealed body cannot be written so.
    await rig.db.transaction('rw', rig.db.facts, () =>
      updateSyncState(rig.db.facts, [first.seq], () => ({ status: 'acked', ackChangeSeq: 78 })),
    );
    const cleared = await rig.db.facts.get(first.seq);
    expect(cleared).toMatchObject({ status: 'acked', ackChangeSeq: 78 });
    expect(cleared?.reason).toBeUndefined();
    expect(cleared?.outcome).toBeUndefined();
    await expect(
      rig.db.transaction('rw', rig.db.facts, () =>
        updateSyncState(rig.db.facts, [first.seq], () => ({ amountMinor: 1 })),
      ),
    ).rejects.toThrow(/not a sync state field/);
  });

  it('a held snapshot’s plain fields are read without opening it: its change number, no name', async () => {
    const held = await rig.db.accounts.get('acc-0011');
    if (!held) throw new Error('a held account');
    rig.db.vault.lock();
    const [plain, missing] = await rig.db.transaction('r', rig.db.accounts, () =>
      plainFieldsOf(rig.db.accounts, ['acc-0011', 'acc-9999']),
    );
    expect(plain).toMatchObject({ id: 'acc-0011', changeSeq: held.changeSeq });
    expect(JSON.stringify(plain)).not.toContain(held.name);
    expect(plain).not.toHaveProperty('sealed');
    expect(missing).toBeUndefined();
  });

  it('facts read for a push are opened in bulk by native AES-GCM: the same records, and a moved blob does not open', async () => {
    await payCash('acc-0011', 910);
    await payCash('acc-0013', 920);
    await payCash('acc-0015', 930);
    const all = await rig.db.facts.orderBy('seq').toArray();
    const [first, second] = all;
    if (!first || !second) throw new Error('facts');
    // The second is acknowledged: it is read past, not opened.
    await rig.db.facts.put({ ...second, status: 'acked' });
    const read = await pendingFacts(rig.db, first.seq, 10, 0);
    expect(read.facts.map((fact) => fact.seq)).toEqual(
      all.filter((fact) => fact.seq !== second.seq).map((fact) => fact.seq),
    );
    expect(read.facts).toEqual(await rig.db.facts.bulkGet(read.facts.map((fact) => fact.seq)));
    expect(read.read.through).toBe(all.at(-1)?.seq);
    // As stored, none opened: plain fields and the blob, no field of the fact in the clear; the
    // outbox's first pending seq is found by them.
    const stored = await storedFrom(rig.db.facts, first.seq, 10);
    expect(stored.map((fact) => [fact.seq, fact.status])).toEqual(
      all.map((fact) => [fact.seq, fact.seq === second.seq ? 'acked' : 'pending']),
    );
    expect(stored[0]?.sealed).toBeInstanceOf(Uint8Array);
    expect(stored[0]).not.toHaveProperty('fact.body');
    expect(await firstPendingSeq(rig.db, second.seq, 1)).toBe(all[2]?.seq);
    // Up to the limit, from a key on; opened, the same record.
    const one = await storedFrom(rig.db.facts, second.seq, 1);
    expect(one.map((fact) => [fact.seq, fact.status])).toEqual([[second.seq, 'acked']]);
    expect(await openStored(rig.db.facts, one)).toEqual([await rig.db.facts.get(second.seq)]);
    // A blob moved onto another fact's record is refused, as the synchronous cipher refuses it.
    const disk = (await onDisk(rig.db.name)).facts as { seq: number; sealed: Uint8Array }[];
    const moved = disk.find((stored) => stored.seq === first.seq)?.sealed;
    await rig.db.transaction('rw', rig.db.facts, () =>
      updateSyncState(rig.db.facts, [first.seq], () => ({ status: 'pending' })),
    );
    const raw = indexedDB.open(rig.db.name);
    const idb = await new Promise<IDBDatabase>(
      (resolve) => (raw.onsuccess = () => resolve(raw.result)),
    );
    const target = disk.find((stored) => stored.seq === all.at(-1)?.seq);
    await new Promise<void>((resolve, reject) => {
      const put = idb
        .transaction('facts', 'readwrite')
        .objectStore('facts')
        .put({ ...target, sealed: moved });
      put.onsuccess = () => resolve();
      put.onerror = () => reject(put.error ?? new Error('put failed'));
    });
    idb.close();
    await expect(pendingFacts(rig.db, first.seq, 10, 0)).rejects.toThrow('does not open');
    // Locked, nothing sealed is opened.
    rig.db.vault.lock();
    await expect(pendingFacts(rig.db, first.seq, 1, 0)).rejects.toSatisfy(isVaultLocked);
  });

  it('signing out locks the data in this database', async () => {
    expect(await signOut(rig.db)).toEqual({ ok: true, value: null });
    expect(rig.db.vault.unlocked).toBe(false);
    await expect(rig.db.accounts.toArray()).rejects.toSatisfy(isVaultLocked);
  });
});

describe('a tablet updated from before the vault', () => {
  it('keeps its facts and route, seals them at the first online sign-in, and syncs what waited', async () => {
    await payCash('acc-0011', 700);
    // The same device as the previous version kept it: schema 4, everything in the clear.
    const name = `${rig.db.name}-legacy`;
    const legacy = new Dexie(name, { indexedDB, IDBKeyRange });
    legacy.version(4).stores({
      facts: 'seq, &id, status, accountId, outcome, [status+fact.recordedAt]',
      accounts: 'id, accountNumber, *searchWords, changeSeq',
      credentials: 'username',
      settings: 'key',
      tariffs: '[tariffId+version], tariffId',
    });
    await legacy.open();
    await legacy.table('facts').bulkPut(await rig.db.facts.toArray());
    await legacy.table('accounts').bulkPut(await rig.db.accounts.toArray());
    await legacy.table('tariffs').bulkPut(await rig.db.tariffs.toArray());
    await legacy
      .table('settings')
      .bulkPut((await rig.db.settings.toArray()).filter((record) => record.key !== 'vault'));
    legacy.close();
    const customers = await routeCustomers();
    const plainBefore = asText(Object.values(await onDisk(name)).flat());
    expect(customers.some((customer) => plainBefore.includes(customer.name))).toBe(true);

    const db = new GridtallyDatabase(name, { indexedDB, IDBKeyRange }, testVault());
    extra.push(db);
    expect(await currentSession(db)).toBeUndefined();
    expect(await signInAgent(db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch)).toMatchObject({
      ok: true,
    });
    const sealed = asText(Object.values(await onDisk(name)).flat());
    for (const customer of customers) expect(sealed).not.toContain(customer.name);
    const [first] = customers;
    if (!first) throw new Error('no customers');
    const { found } = await searchAccounts(db, first.name.split(' ')[0] ?? '', { limit: 200 });
    expect(found.map(({ account }) => account.id)).toContain(first.id);
    expect(await db.facts.where('status').equals('pending').count()).toBe(1);
    expect(await syncWith(rig, db)).toMatchObject({ pending: 0 });
  });
});

describe('the PIN’s wrap', () => {
  it('is as hard to search as OWASP asks in the app; these tests lower it as the hub’s tests lower scrypt', () => {
    expect(new Vault().pinIterations).toBe(600_000);
    expect(rig.db.vault.pinIterations).toBeLessThan(600_000);
  });
});

describe('search tokens', () => {
  it('a record’s tokens hold the token of every prefix a query can start with', () => {
    const vault = new Vault();
    vault.unlock(Vault.newMaster());
    fc.assert(
      fc.property(
        // Words as search words are (client/db/search-words.ts): a deletion or pair key starts
        // with its mark and is tokenized whole; no folded word starts so.
        fc.array(
          fc
            .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
            .filter((word) => !word.startsWith(NEAR) && !word.startsWith(PAIR)),
          { minLength: 1, maxLength: 5 },
        ),
        fc.nat(),
        fc.nat(),
        (words, pick, cut) => {
          const word = words[pick % words.length] ?? '';
          const letters = [...word];
          const prefix = letters.slice(0, 1 + (cut % letters.length)).join('');
          expect(vault.searchTokens(words)).toContain(vault.searchToken(prefix));
        },
      ),
    );
  });

  it('tokens differ between devices: a token says nothing without the device’s key', () => {
    const one = new Vault();
    const two = new Vault();
    one.unlock(Vault.newMaster());
    two.unlock(Vault.newMaster());
    expect(one.searchToken('wanjiku')).not.toBe(two.searchToken('wanjiku'));
    // A word is looked up by its first TOKEN_PREFIX letters.
    expect(one.searchToken('wanjikuachieng')).toBe(one.searchToken('wanjikuach'));
    expect(one.searchToken('wanjiku')).not.toBe(one.searchToken('wanjik'));
  });

  it('keeps the tokens it made only while unlocked, under the key it was opened with', () => {
    const master = Vault.newMaster();
    const vault = new Vault();
    vault.unlock(master);
    const made = vault.searchToken('wanjiku');
    // Made again from the keyed hash, not kept: the same token.
    const fresh = new Vault();
    fresh.unlock(master);
    expect(fresh.searchToken('wanjiku')).toBe(made);
    expect(vault.searchToken('wanjiku')).toBe(made);
    // Locked: no token at all, kept or not; opened with another key: that key's tokens.
    vault.lock();
    expect(() => vault.searchToken('wanjiku')).toThrow(expect.toSatisfy(isVaultLocked));
    vault.unlock(Vault.newMaster());
    expect(vault.searchToken('wanjiku')).not.toBe(made);
  });
});
