/**
 * Goal: a payment stored on the device reaches the hub exactly once, whatever the network
 * does in between, and the device then shows the hub's balance.
 *
 * Method: the device's real code (Dexie on fake-indexeddb, the sync engine) against the hub's
 * real app on in-memory SQLite, joined by a fetch that can drop a request, drop a reply after
 * the hub committed, deliver a request twice, or answer 502. Specific cases first; then a
 * seeded simulation (fast-check) of random payments and faults, pushed in batches of 1 to 4, checked against an
 * independent model: the sum of what the device recorded, per account.
 */
import { testVault } from '../support/vault.ts';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountView } from '../../client/db/accounts.ts';
import { recordCashPayment } from '../../client/db/facts.ts';
import { enrolDevice } from '../../client/auth/enrol.ts';
import { signInAgent, signOut } from '../../client/auth/session.ts';
import { pruneAcknowledged, syncOnce } from '../../client/sync/engine.ts';
import { exportOutbox } from '../../client/sync/export.ts';
import { uploadResponseSchema } from '../../shared/protocol.ts';
import { GridtallyDatabase } from '../../client/db/database.ts';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import type { Sha256Hex } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';
import {
  BASE_URL,
  hubBalance,
  openRig,
  readOnline,
  SEED_DAY,
  type Fault,
  type Rig,
} from './device-hub.ts';

let rig: Rig;

async function signedInRig(): Promise<Rig> {
  const opened = await openRig();
  const enrolled = await enrolDevice(
    opened.db,
    BASE_URL,
    await opened.issueCode(),
    opened.deps,
    opened.fetch,
  );
  expect(enrolled.ok).toBe(true);
  const signedIn = await signInAgent(
    opened.db,
    BASE_URL,
    'amina',
    '1234',
    opened.deps,
    opened.fetch,
  );
  expect(signedIn.ok).toBe(true);
  return opened;
}

async function sync(target: Rig, pushBatch?: number) {
  return syncOnce(target.db, {
    baseUrl: BASE_URL,
    fetch: target.fetch,
    now: () => SEED_DAY,
    ...(pushBatch === undefined ? {} : { pushBatch }),
  });
}

async function pay(target: Rig, accountId: string, amount: number) {
  const session = await target.db.settings.get('session');
  if (session?.key !== 'session') throw new Error('not signed in');
  const result = await recordCashPayment(
    target.db,
    {
      accountId,
      currency: 'KES',
      amountMinor: minor(amount),
      tenderedMinor: minor(amount),
      agent: session.user,
      // These tests are about sync: the agent confirms any duplicate warning.
      duplicateConfirmed: true,
    },
    target.deps,
  );
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

async function hubPaymentCount(target: Rig): Promise<number> {
  const row = await target.store.db
    .selectFrom('payments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('device sync against the hub', () => {
  beforeEach(async () => {
    rig = await signedInRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  it('pulls the agent route and nothing else on the first sync', async () => {
    const report = await sync(rig);
    expect(report.state).toBe('synced');
    const accounts = await rig.db.accounts.toArray();
    expect(accounts).toHaveLength(100);
    expect(accounts.every((account) => account.routeId === 'route-nyando')).toBe(true);
  });

  it('a payment recorded offline reaches the hub once and the device then shows the hub balance', async () => {
    await sync(rig);
    const before = await hubBalance(rig.store, 'acc-0005');
    rig.faults.push('drop-request', 'drop-request');
    await pay(rig, 'acc-0005', 120_075);
    expect((await sync(rig)).state).toBe('offline');
    expect((await accountView(rig.db, 'acc-0005'))?.balanceMinor).toBe(before - 120_075);
    expect((await sync(rig)).state).toBe('offline');
    const report = await sync(rig);
    expect(report).toMatchObject({ state: 'synced', pending: 0 });
    expect(await hubBalance(rig.store, 'acc-0005')).toBe(before - 120_075);
    expect((await accountView(rig.db, 'acc-0005'))?.balanceMinor).toBe(before - 120_075);
    expect(await hubPaymentCount(rig)).toBe(1);
  });

  it('a reply lost after the hub committed: the retry changes nothing and the fact is acknowledged', async () => {
    await sync(rig);
    const before = await hubBalance(rig.store, 'acc-0007');
    await pay(rig, 'acc-0007', 4_410);
    rig.faults.push('drop-reply');
    expect((await sync(rig)).state).toBe('offline');
    expect(await hubPaymentCount(rig)).toBe(1);
    // The device did not hear the answer, so it still counts the payment itself; the hub's
    // snapshot it holds is older, so the balance shown is still right.
    expect((await accountView(rig.db, 'acc-0007'))?.balanceMinor).toBe(before - 4_410);
    expect((await sync(rig)).pending).toBe(0);
    expect(await hubPaymentCount(rig)).toBe(1);
    expect(await hubBalance(rig.store, 'acc-0007')).toBe(before - 4_410);
    expect((await accountView(rig.db, 'acc-0007'))?.balanceMinor).toBe(before - 4_410);
  });

  it('a payment the hub flags and does not apply stops counting on the device once synced', async () => {
    await sync(rig);
    const before = await hubBalance(rig.store, 'acc-0015');
    const session = await rig.db.settings.get('session');
    if (session?.key !== 'session') throw new Error('not signed in');
    // A KES account paid in USD: stored and flagged currency-mismatch, not applied.
    const wrong = await recordCashPayment(
      rig.db,
      {
        accountId: 'acc-0015',
        currency: 'USD',
        amountMinor: minor(1_425),
        tenderedMinor: minor(1_425),
        agent: session.user,
      },
      rig.deps,
    );
    expect(wrong.ok).toBe(true);
    expect((await accountView(rig.db, 'acc-0015'))?.balanceMinor).toBe(before - 1_425);
    expect((await sync(rig)).pending).toBe(0);
    expect(await hubBalance(rig.store, 'acc-0015')).toBe(before);
    expect((await accountView(rig.db, 'acc-0015'))?.balanceMinor).toBe(before);
    const stored = await rig.db.facts.toArray();
    expect(stored.map((fact) => [fact.outcome, fact.reason])).toEqual([
      ['flagged', 'currency-mismatch'],
    ]);
  });

  it('pushes a long outbox in batches, each sent once, oldest first', async () => {
    const paid = [];
    for (let n = 0; n < 10; n++) paid.push(await pay(rig, 'acc-0001', 1_000 + n));
    const pushed: number[][] = [];
    const report = await syncOnce(rig.db, {
      baseUrl: BASE_URL,
      now: () => SEED_DAY,
      pushBatch: 3,
      fetch: async (input, init) => {
        if (input.endsWith('/api/sync/push')) {
          const text = new TextDecoder().decode(
            await new Response(
              new Blob([init.body as BlobPart])
                .stream()
                .pipeThrough(new DecompressionStream('gzip')),
            ).arrayBuffer(),
          );
          pushed.push((JSON.parse(text) as { facts: { seq: number }[] }).facts.map((f) => f.seq));
        }
        return rig.fetch(input, init);
      },
    });
    expect(report).toMatchObject({ state: 'synced', pending: 0, pushed: 10 });
    const seqs = paid.map((stored) => stored.seq);
    expect(pushed).toEqual([seqs.slice(0, 3), seqs.slice(3, 6), seqs.slice(6, 9), seqs.slice(9)]);
    expect(await hubPaymentCount(rig)).toBe(10);
  });

  it('a request delivered twice is stored once', async () => {
    await sync(rig);
    const before = await hubBalance(rig.store, 'acc-0009');
    await pay(rig, 'acc-0009', 9_999);
    rig.faults.push('send-twice');
    expect((await sync(rig)).state).toBe('synced');
    expect(await hubPaymentCount(rig)).toBe(1);
    expect(await hubBalance(rig.store, 'acc-0009')).toBe(before - 9_999);
  });

  it('a pull page altered on the way is not applied, and the next round gets it whole', async () => {
    rig.faults.push('tamper-reply');
    const report = await sync(rig);
    expect(report).toMatchObject({ state: 'failed', error: 'pull-page-corrupt' });
    expect(await rig.db.accounts.count()).toBe(0);
    expect(await rig.db.settings.get('cursor')).toBeUndefined();
    expect((await sync(rig)).state).toBe('synced');
    const first = await rig.db.accounts.orderBy('changeSeq').first();
    if (!first) throw new Error('no accounts pulled');
    expect(first.balanceMinor).toBe(await hubBalance(rig.store, first.id));
  });

  it('a payment that breaks a cash rule is refused on the device and nothing is written', async () => {
    const session = await rig.db.settings.get('session');
    if (session?.key !== 'session') throw new Error('not signed in');
    const device = await rig.db.settings.get('device');
    const refused = await recordCashPayment(
      rig.db,
      {
        accountId: 'acc-0011',
        currency: 'KES',
        amountMinor: minor(5_000),
        tenderedMinor: minor(4_999),
        agent: session.user,
      },
      rig.deps,
    );
    expect(refused).toEqual({ ok: false, error: 'tendered-less-than-amount' });
    const zero = await recordCashPayment(
      rig.db,
      {
        accountId: 'acc-0011',
        currency: 'KES',
        amountMinor: minor(0),
        tenderedMinor: minor(0),
        agent: session.user,
      },
      rig.deps,
    );
    expect(zero).toEqual({ ok: false, error: 'amount-must-be-positive' });
    expect(await rig.db.facts.count()).toBe(0);
    expect(await rig.db.settings.get('device')).toEqual(device);
  });

  it('sign-out is refused while a payment waits to sync, and allowed after', async () => {
    await pay(rig, 'acc-0013', 2_500);
    expect(await signOut(rig.db)).toEqual({ ok: false, error: 'unsynced-facts' });
    await sync(rig);
    expect(await signOut(rig.db)).toEqual({ ok: true, value: null });
  });

  it('gives change as the difference between cash handed over and the amount', async () => {
    const session = await rig.db.settings.get('session');
    if (session?.key !== 'session') throw new Error('not signed in');
    const result = await recordCashPayment(
      rig.db,
      {
        accountId: 'acc-0015',
        currency: 'KES',
        amountMinor: minor(35_050),
        tenderedMinor: minor(50_000),
        agent: session.user,
      },
      rig.deps,
    );
    expect(result.ok && result.value.fact.body).toMatchObject({
      amountMinor: 35_050,
      tenderedMinor: 50_000,
      changeMinor: 14_950,
    });
  });
});

describe('offline sign-in', () => {
  beforeEach(async () => {
    rig = await signedInRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  it('lets an agent who signed in online sign in again with no network', async () => {
    rig.faults.push('drop-request');
    const result = await signInAgent(rig.db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch);
    expect(result.ok && result.value.username).toBe('amina');
    const session = await rig.db.settings.get('session');
    expect(session?.key === 'session' && session.signedInOffline).toBe(true);
  });

  it('refuses a wrong PIN offline', async () => {
    rig.faults.push('drop-request');
    expect(await signInAgent(rig.db, BASE_URL, 'amina', '4321', rig.deps, rig.fetch)).toEqual({
      ok: false,
      error: 'sign-in-failed',
    });
  });

  it('refuses an agent who never signed in online on this device', async () => {
    rig.faults.push('drop-request');
    expect(await signInAgent(rig.db, BASE_URL, 'baraka', '5678', rig.deps, rig.fetch)).toEqual({
      ok: false,
      error: 'offline-first-sign-in',
    });
  });

  it('reads a customer from the hub signed in offline, with the last online sign-in’s token; none once signed out', async () => {
    // The customer's screen reads the hub whenever it can (AccountScreen.tsx), not only after
    // an online sign-in: the offline session carries a token the hub still takes.
    rig.faults.push('drop-request');
    await signInAgent(rig.db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch);
    const read = await readOnline(rig, 'acc-0003');
    expect(read.ok && read.value.detail.account.id).toBe('acc-0003');
    // Signed out and in again offline, there is no token: the screen says to sign in online.
    expect(await signOut(rig.db)).toEqual({ ok: true, value: null });
    rig.faults.push('drop-request');
    await signInAgent(rig.db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch);
    const session = await rig.db.settings.get('session');
    expect(session?.key === 'session' && session.token).toBe('');
  });

  it('believes the hub when it answers that the PIN is wrong, with no offline fallback', async () => {
    expect(await signInAgent(rig.db, BASE_URL, 'amina', '9999', rig.deps, rig.fetch)).toEqual({
      ok: false,
      error: 'sign-in-failed',
    });
  });
});

describe('simulation: random payments under random network faults', () => {
  const accounts = ['acc-0001', 'acc-0003', 'acc-0021', 'acc-0057', 'acc-0099'];
  const action = fc.oneof(
    fc.record({
      kind: fc.constant('pay' as const),
      account: fc.constantFrom(...accounts),
      amount: fc.integer({ min: 1, max: 500_000 }),
    }),
    fc.record({
      kind: fc.constant('sync' as const),
      faults: fc.array(
        fc.constantFrom<Fault>('none', 'drop-request', 'drop-reply', 'send-twice', 'hub-error'),
        { maxLength: 4 },
      ),
    }),
  );

  it('every payment reaches the hub exactly once and every balance agrees with the model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 1, maxLength: 25 }),
        // Small batches: a sync makes several pushes, each read and signed while the hub works
        // on the one before, and a fault can cut any of them.
        fc.integer({ min: 1, max: 4 }),
        async (actions, pushBatch) => {
          const sim = await signedInRig();
          try {
            const initial = new Map<string, number>();
            for (const id of accounts) initial.set(id, await hubBalance(sim.store, id));
            const paid = new Map<string, number>();
            const recorded = new Set<string>();
            for (const step of actions) {
              if (step.kind === 'pay') {
                const stored = await pay(sim, step.account, step.amount);
                recorded.add(stored.id);
                paid.set(step.account, (paid.get(step.account) ?? 0) + step.amount);
              } else {
                sim.faults.splice(0, sim.faults.length, ...step.faults);
                await sync(sim, pushBatch);
              }
            }
            sim.faults.length = 0;
            const final = await sync(sim, pushBatch);
            expect(final).toMatchObject({ state: 'synced', pending: 0 });
            const stored = await sim.store.db.selectFrom('payments').select('fact_id').execute();
            expect(stored.map((row) => row.fact_id).sort()).toEqual([...recorded].sort());
            for (const id of accounts) {
              const expected = (initial.get(id) ?? 0) - (paid.get(id) ?? 0);
              expect(await hubBalance(sim.store, id)).toBe(expected);
              expect((await accountView(sim.db, id))?.balanceMinor).toBe(expected);
            }
          } finally {
            await sim.close();
          }
        },
      ),
      { numRuns: 25, seed: 20261126 },
    );
  }, 120_000);
});

describe('device enrolment', () => {
  it('a device that is not enrolled does not sync, and says why', async () => {
    const bare = await openRig();
    try {
      expect(
        await syncOnce(bare.db, { baseUrl: BASE_URL, fetch: bare.fetch, now: () => SEED_DAY }),
      ).toMatchObject({ state: 'not-enrolled' });
      expect(await signInAgent(bare.db, BASE_URL, 'amina', '1234', bare.deps, bare.fetch)).toEqual({
        ok: false,
        error: 'device-not-enrolled',
      });
    } finally {
      await bare.close();
    }
  });

  it('an enrolment code works once', async () => {
    const bare = await openRig();
    try {
      const code = await bare.issueCode();
      expect((await enrolDevice(bare.db, BASE_URL, code, bare.deps, bare.fetch)).ok).toBe(true);
      const second = new GridtallyDatabase(
        `second-device-${Date.now()}`,
        {
          indexedDB,
          IDBKeyRange,
        },
        testVault(),
      );
      expect(await enrolDevice(second, BASE_URL, code, bare.deps, bare.fetch)).toEqual({
        ok: false,
        error: 'enrolment-code-invalid',
      });
      second.close();
    } finally {
      await bare.close();
    }
  });

  it('payments still sync after the agent’s session expired: the device signature is enough', async () => {
    rig = await signedInRig();
    try {
      await sync(rig);
      await pay(rig, 'acc-0019', 7_700);
      await rig.store.db.deleteFrom('sessions').execute();
      const report = await sync(rig);
      expect(report).toMatchObject({ state: 'signed-out', pending: 0, pushed: 1 });
      expect(await hubPaymentCount(rig)).toBe(1);
    } finally {
      await rig.close();
    }
  });
});

describe('a hub that forgot acknowledged facts', () => {
  it('gets them again from the device, each stored once, when the device pushes its next fact', async () => {
    rig = await signedInRig();
    try {
      await sync(rig);
      const first = await pay(rig, 'acc-0023', 1_111);
      await pay(rig, 'acc-0025', 2_222);
      await pay(rig, 'acc-0027', 3_333);
      expect((await sync(rig)).pending).toBe(0);
      // As if the hub were restored from a backup taken after the first fact: it no longer
      // holds the second and third, though it acknowledged them.
      const forgotten = await rig.store.db
        .selectFrom('facts')
        .select('id')
        .where('seq', '>', 1)
        .execute();
      const ids = forgotten.map((row) => row.id);
      await rig.store.db.deleteFrom('allocations').where('payment_fact_id', 'in', ids).execute();
      await rig.store.db.deleteFrom('ledger').where('source', 'in', ids).execute();
      await rig.store.db.deleteFrom('payments').where('fact_id', 'in', ids).execute();
      await rig.store.db.deleteFrom('facts').where('id', 'in', ids).execute();
      await rig.store.db
        .updateTable('devices')
        .set({ head_seq: 1, head_hash: first.fact.hash as Sha256Hex })
        .execute();

      const fourth = await pay(rig, 'acc-0029', 4_444);
      const report = await sync(rig);
      expect(report).toMatchObject({ pending: 0 });
      const stored = await rig.store.db
        .selectFrom('facts')
        .select(['seq', 'id'])
        .orderBy('seq')
        .execute();
      expect(stored.map((row) => row.seq)).toEqual([1, 2, 3, 4]);
      expect(stored.at(-1)?.id).toBe(fourth.id);
      expect(await hubPaymentCount(rig)).toBe(4);
    } finally {
      await rig.close();
    }
  });
});

describe('sneakernet: an exported outbox file uploaded by a supervisor', () => {
  it('stores every fact once, and the later online push of the same facts changes nothing', async () => {
    rig = await signedInRig();
    try {
      await sync(rig);
      const recorded = [
        await pay(rig, 'acc-0031', 31_000),
        await pay(rig, 'acc-0033', 33_000),
        await pay(rig, 'acc-0035', 35_000),
      ];
      expect(await signOut(rig.db)).toEqual({ ok: false, error: 'unsynced-facts' });
      const exported = await exportOutbox(rig.db, SEED_DAY);
      if (!exported.ok) throw new Error(exported.error);
      expect(exported.file.pushes.flatMap((push) => push.facts.map((fact) => fact.id))).toEqual(
        recorded.map((stored) => stored.id),
      );
      // Exported: the agent may now sign out, though the facts are still pending here.
      expect(await signOut(rig.db)).toEqual({ ok: true, value: null });
      expect(await rig.db.facts.where('status').equals('pending').count()).toBe(3);

      const grace = await rig.fetch(`${BASE_URL}/api/auth/supervisor`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'grace', password: 'gridtally-demo' }),
      });
      const { token } = (await grace.json()) as { token: string };
      const uploaded = await rig.fetch(`${BASE_URL}/api/sync/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(exported.file),
      });
      const answer = uploadResponseSchema.parse(await uploaded.json());
      expect(answer.pushes.every((push) => push.ok)).toBe(true);
      expect(await hubPaymentCount(rig)).toBe(3);

      // Signed out, the device's data is sealed: it sends nothing until an agent opens it again.
      expect(await sync(rig)).toMatchObject({ state: 'signed-out', pending: 3, pushed: 0 });
      const again = await signInAgent(rig.db, BASE_URL, 'amina', '1234', rig.deps, rig.fetch);
      expect(again.ok).toBe(true);
      const report = await sync(rig);
      expect(report).toMatchObject({ pending: 0, pushed: 3 });
      expect(await hubPaymentCount(rig)).toBe(3);
      const first = answer.pushes[0];
      const acked = await rig.db.facts.toArray();
      expect(acked.map((stored) => stored.ackChangeSeq)).toEqual(
        first?.ok ? first.response.results.map((result) => result.changeSeq) : [],
      );
    } finally {
      await rig.close();
    }
  });
});

describe('risk caps and retention', () => {
  const tight = { maxUnsyncedCashMinor: 10_000, maxDaysOffline: 3, retentionDays: 30 };

  async function cappedRig(): Promise<Rig> {
    const opened = await openRig({ deviceSettings: tight });
    const enrolled = await enrolDevice(
      opened.db,
      BASE_URL,
      await opened.issueCode(),
      opened.deps,
      opened.fetch,
    );
    expect(enrolled.ok).toBe(true);
    expect(
      (await signInAgent(opened.db, BASE_URL, 'amina', '1234', opened.deps, opened.fetch)).ok,
    ).toBe(true);
    expect((await sync(opened)).state).toBe('synced');
    return opened;
  }

  it('refuses a collection past the unsynced cash cap, writes nothing, and takes it after a sync', async () => {
    rig = await cappedRig();
    try {
      rig.faults.push('drop-request');
      await pay(rig, 'acc-0041', 6_000);
      await sync(rig);
      const session = await rig.db.settings.get('session');
      if (session?.key !== 'session') throw new Error('not signed in');
      const input = {
        accountId: 'acc-0043',
        currency: 'KES' as const,
        amountMinor: minor(5_000),
        tenderedMinor: minor(5_000),
        agent: session.user,
      };
      const factsBefore = await rig.db.facts.count();
      expect(await recordCashPayment(rig.db, input, rig.deps)).toEqual({
        ok: false,
        error: 'risk-cap-cash',
      });
      expect(await rig.db.facts.count()).toBe(factsBefore);
      expect((await sync(rig)).pending).toBe(0);
      expect((await recordCashPayment(rig.db, input, rig.deps)).ok).toBe(true);
    } finally {
      await rig.close();
    }
  });

  it('refuses collections after too many days without a sync, and takes them again once synced', async () => {
    const opened = await cappedRig();
    rig = opened;
    try {
      const session = await rig.db.settings.get('session');
      if (session?.key !== 'session') throw new Error('not signed in');
      const input = {
        accountId: 'acc-0045',
        currency: 'KES' as const,
        amountMinor: minor(1_000),
        tenderedMinor: minor(1_000),
        agent: session.user,
      };
      const later = { ...rig.deps, nowMs: () => Date.now() + 5 * 86_400_000 };
      expect(await recordCashPayment(rig.db, input, later)).toEqual({
        ok: false,
        error: 'risk-cap-days-offline',
      });
      await syncOnce(rig.db, {
        baseUrl: BASE_URL,
        fetch: rig.fetch,
        now: () => new Date(later.nowMs()),
      });
      expect((await recordCashPayment(rig.db, input, later)).ok).toBe(true);
    } finally {
      await rig.close();
    }
  });

  it('keeps acknowledged facts for the retention period, then forgets them', async () => {
    rig = await cappedRig();
    try {
      const stored = await pay(rig, 'acc-0047', 2_000);
      await sync(rig);
      const recorded = Date.parse(stored.fact.recordedAt);
      expect(await pruneAcknowledged(rig.db, new Date(recorded + 29 * 86_400_000))).toBe(0);
      expect(await pruneAcknowledged(rig.db, new Date(recorded + 31 * 86_400_000))).toBe(1);
      expect(await rig.db.facts.count()).toBe(0);
      expect((await accountView(rig.db, 'acc-0047'))?.balanceMinor).toBe(
        await hubBalance(rig.store, 'acc-0047'),
      );
    } finally {
      await rig.close();
    }
  });
});
