/**
 * Goal: push keeps its promises. Sending the same facts again changes nothing and answers the
 * same; a payment lowers the balance by exactly its amount and pays the oldest bill first; a
 * payment that breaks a rule is stored and flagged, never dropped; a batch that is malformed,
 * unsigned-in, from another device or not a valid extension of the device's chain is refused
 * whole with a named reason and writes nothing.
 *
 * Method: the hub app is called in-process with app.request() on a real SQLite store (in
 * memory) seeded with the demo deployment, under a stepping clock. Facts are built as a
 * device builds them (tests/hub/harness.ts). "Nothing written" is checked by comparing a dump
 * of every table a push can write before and after.
 */
import { flagsResponseSchema } from '../../shared/api.ts';
import { describe, expect, test } from 'vitest';
import { sealFact, withoutHash, type Fact } from '../../shared/facts.ts';
import { MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { pushResponseSchema, type PushResponse } from '../../shared/protocol.ts';
import {
  accountState,
  accountWithOpenBills,
  amina,
  baraka,
  DeviceChain,
  openHub,
  openOf,
  pushBody,
  signInSupervisor,
  request,
  rowCounts,
  signInAgent,
  storeDump,
  TABLET_A,
  TABLET_B,
  type Hub,
} from './harness.ts';

interface Scene {
  readonly hub: Hub;
  readonly token: string;
  readonly chain: DeviceChain;
  push(facts: readonly Fact[], device?: string): Promise<Response>;
}

/** A seeded hub with Amina signed in on tablet A, and tablet A's empty chain. */
async function scene(): Promise<Scene> {
  const hub = await openHub();
  const { token } = await signInAgent(hub.app, amina, TABLET_A);
  return {
    hub,
    token,
    chain: new DeviceChain(TABLET_A, 'user-amina'),
    push: async (facts, device = TABLET_A) =>
      request(hub.app, 'POST', '/api/sync/push', await pushBody(device, facts), token),
  };
}

async function okBody(response: Response): Promise<PushResponse> {
  expect(response.status).toBe(200);
  return pushResponseSchema.parse(await response.json());
}

async function refusal(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: unknown; message: unknown };
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
}

async function balancesTotal(hub: Hub): Promise<number> {
  const row = await hub.store.db
    .selectFrom('accounts')
    .select((eb) => eb.fn.sum<number>('balance_minor').as('total'))
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

describe('idempotent push', () => {
  test('sending the same push twice changes nothing and answers the same', async () => {
    const { hub, chain, push } = await scene();
    const paid = await accountWithOpenBills(hub.store, 'route-nyando', 3);
    const miscounted = await accountWithOpenBills(hub.store, 'route-kabondo', 1);
    chain.payment({
      accountId: paid,
      amountMinor: minor(150_000),
      tenderedMinor: minor(160_000),
      changeMinor: minor(10_000),
    });
    chain.payment({ accountId: 'acc-9999', amountMinor: minor(4_321) });
    chain.payment({
      accountId: miscounted,
      amountMinor: minor(27_500),
      tenderedMinor: minor(30_000),
      changeMinor: minor(2_000),
    });

    const first = await okBody(await push(chain.facts));
    const dumpAfterFirst = await storeDump(hub.store);
    const countsAfterFirst = await rowCounts(hub.store);
    const balanceAfterFirst = (await accountState(hub.store, paid)).balanceMinor;

    hub.advanceClock(3 * 3600 * 1000);
    const second = await okBody(await push(chain.facts));

    expect(second).toEqual(first);
    expect(await rowCounts(hub.store)).toEqual(countsAfterFirst);
    expect((await accountState(hub.store, paid)).balanceMinor).toBe(balanceAfterFirst);
    expect(await storeDump(hub.store)).toEqual(dumpAfterFirst);
  });

  test('the same facts sent again in another order answer the same, in sequence order', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 2);
    chain.payment({ accountId: account, amountMinor: minor(11_111) });
    chain.payment({ accountId: account, amountMinor: minor(22_222) });
    chain.payment({ accountId: account, amountMinor: minor(33_333) });
    const first = await okBody(await push(chain.facts));
    const dump = await storeDump(hub.store);
    const second = await okBody(await push([...chain.facts].reverse()));
    expect(second).toEqual(first);
    expect(second.results.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await storeDump(hub.store)).toEqual(dump);
  });

  test('a batch of facts already stored and new ones answers the stored outcomes and applies only the new', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 3);
    const stored = [
      chain.payment({ accountId: account, amountMinor: minor(5_050) }),
      chain.payment({ accountId: 'acc-7777', amountMinor: minor(6_060) }),
    ];
    const first = await okBody(await push(stored));
    const balanceBetween = (await accountState(hub.store, account)).balanceMinor;
    const countsBetween = await rowCounts(hub.store);

    const fresh = [
      chain.payment({ accountId: account, amountMinor: minor(7_070) }),
      chain.payment({ accountId: account, amountMinor: minor(8_080) }),
    ];
    const second = await okBody(await push([...stored, ...fresh]));

    expect(second.ackedSeq).toBe(4);
    expect(second.results.slice(0, 2)).toEqual(first.results);
    expect(second.results.slice(2).map((r) => [r.id, r.seq, r.outcome])).toEqual([
      [fresh[0]?.id, 3, 'accepted'],
      [fresh[1]?.id, 4, 'accepted'],
    ]);
    const lastChange = Math.max(...first.results.map((r) => r.changeSeq));
    for (const result of second.results.slice(2))
      expect(result.changeSeq).toBeGreaterThan(lastChange);
    expect((await accountState(hub.store, account)).balanceMinor).toBe(
      balanceBetween - 7_070 - 8_080,
    );
    const counts = await rowCounts(hub.store);
    expect(counts.facts).toBe((countsBetween.facts ?? 0) + 2);
    expect(counts.payments).toBe((countsBetween.payments ?? 0) + 2);
  });

  test('the same push sent twice at once stores the facts once and answers both the same', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-kabondo', 2);
    const before = await accountState(hub.store, account);
    chain.payment({ accountId: account, amountMinor: minor(14_141) });
    chain.payment({ accountId: account, amountMinor: minor(15_151) });
    const [one, two] = await Promise.all([push(chain.facts), push(chain.facts)]);
    expect(await okBody(two)).toEqual(await okBody(one));
    expect((await rowCounts(hub.store)).payments).toBe(2);
    expect((await accountState(hub.store, account)).balanceMinor).toBe(
      before.balanceMinor - 14_141 - 15_151,
    );
  });

  test('facts sent out of order are applied in sequence order', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 1);
    chain.payment({ accountId: account, amountMinor: minor(1_357) });
    chain.payment({ accountId: account, amountMinor: minor(2_468) });
    const body = await okBody(await push([...chain.facts].reverse()));
    expect(body.ackedSeq).toBe(2);
    expect(body.results.map((r) => r.seq)).toEqual([1, 2]);
    expect(body.results[0]?.changeSeq).toBeLessThan(body.results[1]?.changeSeq ?? 0);
  });

  test('two devices keep separate chains, each starting at seq 1', async () => {
    const { hub, chain, push } = await scene();
    const other = await signInAgent(hub.app, baraka, TABLET_B);
    const otherChain = new DeviceChain(TABLET_B, 'user-baraka');
    const mine = chain.payment({ accountId: 'acc-0001', amountMinor: minor(3_030) });
    const theirs = otherChain.payment({ accountId: 'acc-0002', amountMinor: minor(4_040) });
    const mineBody = await okBody(await push([mine]));
    const theirsBody = await okBody(
      await request(
        hub.app,
        'POST',
        '/api/sync/push',
        await pushBody(TABLET_B, [theirs]),
        other.token,
      ),
    );
    expect(mineBody.ackedSeq).toBe(1);
    expect(theirsBody.ackedSeq).toBe(1);
    expect(theirsBody.results[0]?.changeSeq).toBeGreaterThan(
      mineBody.results[0]?.changeSeq ?? Infinity,
    );
  });
});

describe('how a payment lands', () => {
  test('the hub balance drops by exactly the amount paid and the oldest open bill is paid first', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 3);
    const before = await accountState(hub.store, account);
    const [oldest, next, youngest] = openOf(before);
    if (!oldest || !next || !youngest)
      throw new Error('the seeded account should have three open bills');
    const intoNext = Math.floor(next.outstandingMinor / 3);
    const amount = oldest.outstandingMinor + intoNext;
    const fact = chain.payment({
      accountId: account,
      amountMinor: minor(amount),
      tenderedMinor: minor(amount + 650),
      changeMinor: minor(650),
    });

    const body = await okBody(await push([fact]));

    expect(body.results).toEqual([
      { id: fact.id, seq: 1, outcome: 'accepted', changeSeq: body.results[0]?.changeSeq },
    ]);
    const after = await accountState(hub.store, account);
    expect(after.balanceMinor).toBe(before.balanceMinor - amount);
    expect(after.changeSeq).toBe(body.results[0]?.changeSeq);
    const paidAfter = new Map(after.bills.map((bill) => [bill.id, bill.paidMinor]));
    expect(paidAfter.get(oldest.id)).toBe(oldest.paidMinor + oldest.outstandingMinor);
    expect(paidAfter.get(next.id)).toBe(next.paidMinor + intoNext);
    expect(paidAfter.get(youngest.id)).toBe(youngest.paidMinor);
    for (const bill of before.bills.filter((b) => b.paidMinor === b.amountMinor))
      expect(paidAfter.get(bill.id)).toBe(bill.paidMinor);
    const allocations = await hub.store.db
      .selectFrom('allocations')
      .select(['bill_id', 'amount_minor'])
      .where('payment_fact_id', '=', fact.id)
      .orderBy('bill_id')
      .execute();
    expect(allocations.map((a) => [a.bill_id, Number(a.amount_minor)])).toEqual([
      [oldest.id, oldest.outstandingMinor],
      [next.id, intoNext],
    ]);
  });

  test('a payment larger than all that is owed pays every open bill and leaves credit as a negative balance', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-kabondo', 2);
    const before = await accountState(hub.store, account);
    const owed = openOf(before).reduce((total, bill) => total + bill.outstandingMinor, 0);
    expect(before.balanceMinor).toBe(owed);
    const amount = owed + 98_765;
    await okBody(await push([chain.payment({ accountId: account, amountMinor: minor(amount) })]));
    const after = await accountState(hub.store, account);
    expect(after.balanceMinor).toBe(-98_765);
    for (const bill of after.bills) expect(bill.paidMinor).toBe(bill.amountMinor);
  });

  test('a payment on an unknown account is stored and flagged account-not-found, not dropped', async () => {
    const { hub, chain, push } = await scene();
    const totalBefore = await balancesTotal(hub);
    const fact = chain.payment({ accountId: 'acc-0404', amountMinor: minor(31_400) });

    const body = await okBody(await push([fact]));

    expect(body.ackedSeq).toBe(1);
    expect(body.results).toEqual([
      {
        id: fact.id,
        seq: 1,
        outcome: 'flagged',
        reason: 'account-not-found',
        changeSeq: body.results[0]?.changeSeq,
      },
    ]);
    const payment = await hub.store.db
      .selectFrom('payments')
      .selectAll()
      .where('fact_id', '=', fact.id)
      .executeTakeFirst();
    expect(payment).toMatchObject({
      account_id: 'acc-0404',
      status: 'flagged',
      flag_reason: 'account-not-found',
      receipt_number: fact.body.receiptNumber,
    });
    expect(Number(payment?.amount_minor)).toBe(31_400);
    const stored = await hub.store.db
      .selectFrom('facts')
      .select(['outcome', 'flag_reason'])
      .where('id', '=', fact.id)
      .executeTakeFirst();
    expect(stored).toEqual({ outcome: 'flagged', flag_reason: 'account-not-found' });
    expect((await rowCounts(hub.store)).allocations).toBe(0);
    expect(await balancesTotal(hub)).toBe(totalBefore);
  });

  test('the chain goes on after a flagged fact: the next payment is accepted', async () => {
    const { hub, chain, push } = await scene();
    await okBody(await push([chain.payment({ accountId: 'acc-0505', amountMinor: minor(1_111) })]));
    const body = await okBody(
      await push([chain.payment({ accountId: 'acc-0003', amountMinor: minor(2_222) })]),
    );
    expect(body.results.map((r) => [r.seq, r.outcome])).toEqual([[2, 'accepted']]);
    expect((await rowCounts(hub.store)).payments).toBe(2);
  });

  test('a payment with the wrong change is flagged change-mismatch and still counts against the balance', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 1);
    const before = await accountState(hub.store, account);
    const fact = chain.payment({
      accountId: account,
      amountMinor: minor(23_456),
      tenderedMinor: minor(30_000),
      changeMinor: minor(5_000),
    });

    const body = await okBody(await push([fact]));

    expect(body.results[0]).toMatchObject({ outcome: 'flagged', reason: 'change-mismatch' });
    expect((await accountState(hub.store, account)).balanceMinor).toBe(
      before.balanceMinor - 23_456,
    );
    const allocated = await hub.store.db
      .selectFrom('allocations')
      .select('amount_minor')
      .where('payment_fact_id', '=', fact.id)
      .execute();
    expect(allocated.reduce((total, row) => total + Number(row.amount_minor), 0)).toBe(23_456);
  });

  test('a payment in another currency than the account’s is flagged currency-mismatch and does not count', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 1);
    const before = await accountState(hub.store, account);
    const body = await okBody(
      await push([
        chain.payment({ accountId: account, amountMinor: minor(8_800), currency: 'USD' }),
      ]),
    );
    expect(body.results[0]).toMatchObject({ outcome: 'flagged', reason: 'currency-mismatch' });
    // Balance and bills untouched; only the change number moves, so devices pull the account
    // again and stop counting the payment themselves.
    expect(await accountState(hub.store, account)).toEqual({
      ...before,
      changeSeq: body.results[0]?.changeSeq,
    });
    expect((await rowCounts(hub.store)).payments).toBe(1);
  });

  test('a payment of nothing is flagged amount-must-be-positive, stored, and does not count', async () => {
    const { hub, chain, push } = await scene();
    const account = await accountWithOpenBills(hub.store, 'route-nyando', 1);
    const before = await accountState(hub.store, account);
    const body = await okBody(
      await push([
        chain.payment({ accountId: account, amountMinor: minor(0), tenderedMinor: minor(0) }),
      ]),
    );
    expect(body.results[0]).toMatchObject({
      outcome: 'flagged',
      reason: 'amount-must-be-positive',
    });
    expect(await accountState(hub.store, account)).toEqual({
      ...before,
      changeSeq: body.results[0]?.changeSeq,
    });
    expect((await rowCounts(hub.store)).payments).toBe(1);
  });

  test('payments that would carry a balance past the money range are still stored, not refused with internal-error', async () => {
    // Each amount is valid on its own; only their sum leaves the range of money. The design
    // says money that was taken is never refused, so the hub must keep both facts.
    const { hub, chain, push } = await scene();
    chain.payment({ accountId: 'acc-0039', amountMinor: minor(MAX_ABS_MINOR) });
    chain.payment({ accountId: 'acc-0039', amountMinor: minor(MAX_ABS_MINOR - 39) });
    const body = await okBody(await push(chain.facts));
    expect(body.ackedSeq).toBe(2);
    expect((await rowCounts(hub.store)).payments).toBe(2);
  });
});

describe('device clocks', () => {
  test('a device clock a week fast is tolerated: its facts are accepted and the skew is shown to supervisors', async () => {
    const { hub, chain, token } = await scene();
    chain.payment({ accountId: 'acc-0049', amountMinor: minor(49_049) });
    const weekMs = 7 * 86_400_000;
    const unsigned = await pushBody(TABLET_A, chain.facts);
    const signed = await pushBody(
      TABLET_A,
      chain.facts,
      TABLET_A,
      hub.peekClock().getTime() + weekMs,
    );
    expect(signed.signature).not.toBe(unsigned.signature);
    const response = await request(hub.app, 'POST', '/api/sync/push', signed, token);
    expect(response.status).toBe(200);
    expect((await response.json()) as unknown).toMatchObject({
      results: [{ outcome: 'accepted' }],
    });
    const supervisor = await signInSupervisor(hub.app);
    const devices = (await (
      await request(hub.app, 'GET', '/api/devices', undefined, supervisor.token)
    ).json()) as {
      devices: { id: string; clockSkewMs: number | null }[];
    };
    const skew = devices.devices.find((device) => device.id === TABLET_A)?.clockSkewMs ?? 0;
    expect(Math.abs(skew - weekMs)).toBeLessThan(60_000);
  });

  test('the send time is signed: changing it after signing fails the signature', async () => {
    const { hub, chain, token } = await scene();
    chain.payment({ accountId: 'acc-0051', amountMinor: minor(51_051) });
    const signed = await pushBody(TABLET_A, chain.facts, TABLET_A, hub.peekClock().getTime());
    await refusal(
      await request(hub.app, 'POST', '/api/sync/push', { ...signed, sentAtMs: 1 }, token),
      401,
      'signature-invalid',
    );
  });
});

describe('two payments on one bill', () => {
  test('both are kept; the second becomes credit and, looking like the first taken twice, is answered duplicate', async () => {
    const { hub, chain, push } = await scene();
    const accountId = await accountWithOpenBills(hub.store, 'route-nyando', 1);
    const owed = (await accountState(hub.store, accountId)).balanceMinor;
    expect(owed).toBeGreaterThan(0);
    chain.payment({ accountId, amountMinor: minor(owed) });
    chain.payment({ accountId, amountMinor: minor(owed) });
    const body = await okBody(await push(chain.facts));
    expect(body.results.map((result) => [result.outcome, result.reason])).toEqual([
      ['accepted', undefined],
      ['duplicate', 'possible-duplicate'],
    ]);
    expect((await accountState(hub.store, accountId)).balanceMinor).toBe(-owed);
    const again = await okBody(await push(chain.facts));
    expect(again).toEqual(body);
  });

  test('a second payment of a clearly different amount is kept as credit and not flagged', async () => {
    const { hub, chain, push } = await scene();
    const owed = (await accountState(hub.store, 'acc-0047')).balanceMinor;
    chain.payment({ accountId: 'acc-0047', amountMinor: minor(owed) });
    chain.payment({ accountId: 'acc-0047', amountMinor: minor(owed + 50_000) });
    const body = await okBody(await push(chain.facts));
    expect(body.results.map((result) => result.outcome)).toEqual(['accepted', 'accepted']);
  });
});

describe('a batch refused whole', () => {
  test('a batch with a gap is refused with 409 chain-gap, nothing is written, and the full batch goes through later', async () => {
    const { hub, chain, push } = await scene();
    const [first, second, third] = [
      chain.payment({ accountId: 'acc-0001', amountMinor: minor(1_001) }),
      chain.payment({ accountId: 'acc-0003', amountMinor: minor(2_002) }),
      chain.payment({ accountId: 'acc-0005', amountMinor: minor(3_003) }),
    ];
    const before = await storeDump(hub.store);

    await refusal(await push([first, third]), 409, 'chain-gap');

    expect(await storeDump(hub.store)).toEqual(before);
    const body = await okBody(await push([first, second, third]));
    expect(body.ackedSeq).toBe(3);
  });

  test('a batch that skips past what the hub holds is refused with 409 chain-gap', async () => {
    const { hub, chain, push } = await scene();
    const first = chain.payment({ accountId: 'acc-0007', amountMinor: minor(7_007) });
    chain.payment({ accountId: 'acc-0009', amountMinor: minor(9_009) });
    const third = chain.payment({ accountId: 'acc-0011', amountMinor: minor(11_011) });
    await okBody(await push([first]));
    const before = await storeDump(hub.store);
    const response = await push([third]);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      error: 'chain-gap',
      details: { seq: 3, expectedSeq: 2 },
    });
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a fact whose content was changed after sealing is refused with 409 fact-hash-mismatch, and its valid neighbours are not stored', async () => {
    const { hub, chain, push } = await scene();
    const first = chain.payment({ accountId: 'acc-0013', amountMinor: minor(13_013) });
    const second = chain.payment({ accountId: 'acc-0015', amountMinor: minor(15_015) });
    const tampered: Fact = { ...second, body: { ...second.body, amountMinor: minor(1_515) } };
    const before = await storeDump(hub.store);
    await refusal(await push([first, tampered]), 409, 'fact-hash-mismatch');
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a correctly sealed fact linked to the wrong previous hash is refused with 409 chain-broken', async () => {
    const { hub, chain, push } = await scene();
    const first = chain.payment({ accountId: 'acc-0017', amountMinor: minor(17_017) });
    const second = chain.payment({ accountId: 'acc-0019', amountMinor: minor(19_019) });
    const relinked = sealFact({ ...withoutHash(second), prevHash: 'f0'.repeat(32) });
    const before = await storeDump(hub.store);
    await refusal(await push([first, relinked]), 409, 'chain-broken');
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a batch carrying a fact sealed by another device is refused whole with device-mismatch', async () => {
    const { hub, chain, push } = await scene();
    const first = chain.payment({ accountId: 'acc-0035', amountMinor: minor(35_353) });
    const foreign = new DeviceChain(TABLET_B, 'user-amina').payment({
      accountId: 'acc-0037',
      amountMinor: minor(37_373),
    });
    const disguised = sealFact({ ...withoutHash(foreign), seq: 2, prevHash: first.hash });
    const before = await storeDump(hub.store);
    const response = await push([first, disguised]);
    // The protocol document lists device-mismatch under 403 (session on another device); the
    // chain check answers it as a refused batch, 409. Either way the whole batch is refused.
    expect([403, 409]).toContain(response.status);
    expect(await response.json()).toMatchObject({ error: 'device-mismatch' });
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('the same seq with other content is refused with 409 fact-conflict, audited, and the stored fact is kept', async () => {
    const { hub, chain, push } = await scene();
    const original = chain.payment({ accountId: 'acc-0021', amountMinor: minor(21_021) });
    const first = await okBody(await push([original]));
    const rewritten = new DeviceChain(TABLET_A, 'user-amina').payment({
      accountId: 'acc-0021',
      amountMinor: minor(12_012),
    });
    expect(rewritten.seq).toBe(original.seq);
    const before = await storeDump(hub.store);

    await refusal(await push([rewritten]), 409, 'fact-conflict');

    const after = await storeDump(hub.store);
    expect({ ...after, audit: [] }).toEqual({ ...before, audit: [] });
    // The first push is an entry (facts received); the refusal is the one after it.
    const audit = await hub.store.db.selectFrom('audit').selectAll().orderBy('id').execute();
    expect(audit.map((entry) => entry.action)).toEqual([
      'facts-received',
      'push-refused-fact-conflict',
    ]);
    expect(audit[1]).toMatchObject({
      actor: `device:${TABLET_A}`,
      action: 'push-refused-fact-conflict',
    });
    expect(audit[1]?.detail).toContain(rewritten.hash);
    expect(await okBody(await push([original]))).toEqual(first);
  });

  test('a new fact that reuses a stored fact’s id is refused with 409 fact-conflict and audited', async () => {
    const { hub, chain, push } = await scene();
    const first = chain.payment({ accountId: 'acc-0023', amountMinor: minor(23_023) });
    const second = chain.payment({ accountId: 'acc-0025', amountMinor: minor(25_025) });
    await okBody(await push([first]));
    const reusing = sealFact({ ...withoutHash(second), id: first.id });
    const countsBefore = await rowCounts(hub.store);
    await refusal(await push([reusing]), 409, 'fact-conflict');
    expect(await rowCounts(hub.store)).toEqual({
      ...countsBefore,
      audit: (countsBefore.audit ?? 0) + 1,
    });
  });

  test('a batch that names the same fact twice is refused whole with 400 fact-conflict and applies nothing', async () => {
    const { hub, chain, push } = await scene();
    const first = chain.payment({ accountId: 'acc-0027', amountMinor: minor(27_027) });
    const before = await storeDump(hub.store);
    await refusal(await push([first, first]), 400, 'fact-conflict');
    expect({ ...(await storeDump(hub.store)), audit: [] }).toEqual({ ...before, audit: [] });
  });

  test.each<[string, (fact: Fact) => unknown]>([
    ['no facts at all', () => ({ formatVersion: 1, deviceId: TABLET_A, facts: [] })],
    ['another format version', (fact) => ({ formatVersion: 2, deviceId: TABLET_A, facts: [fact] })],
    ['no device id', (fact) => ({ formatVersion: 1, facts: [fact] })],
    [
      'an amount with a fraction of a minor unit',
      (fact) => ({
        formatVersion: 1,
        deviceId: TABLET_A,
        facts: [{ ...fact, body: { ...fact.body, amountMinor: 12.5 } }],
      }),
    ],
    [
      'an amount as a string',
      (fact) => ({
        formatVersion: 1,
        deviceId: TABLET_A,
        facts: [{ ...fact, body: { ...fact.body, amountMinor: '1250' } }],
      }),
    ],
    [
      'an upper-case fact id',
      (fact) => ({
        formatVersion: 1,
        deviceId: TABLET_A,
        facts: [{ ...fact, id: fact.id.toUpperCase() }],
      }),
    ],
    [
      'an unknown currency',
      (fact) => ({
        formatVersion: 1,
        deviceId: TABLET_A,
        facts: [{ ...fact, body: { ...fact.body, currency: 'EUR' } }],
      }),
    ],
    [
      'an unknown kind of fact',
      (fact) => ({ formatVersion: 1, deviceId: TABLET_A, facts: [{ ...fact, kind: 'refund' }] }),
    ],
    [
      'a seq of zero',
      (fact) => ({ formatVersion: 1, deviceId: TABLET_A, facts: [{ ...fact, seq: 0 }] }),
    ],
  ])(
    'a push with %s is refused with 400 invalid-request and changes nothing',
    async (_case, build) => {
      const { hub, chain, token } = await scene();
      const fact = chain.payment({ accountId: 'acc-0029', amountMinor: minor(29_029) });
      const before = await storeDump(hub.store);
      const response = await request(hub.app, 'POST', '/api/sync/push', build(fact), token);
      await refusal(response, 400, 'invalid-request');
      expect(await storeDump(hub.store)).toEqual(before);
    },
  );

  test('a push whose body is not JSON is refused with 400 invalid-request', async () => {
    const { hub, token } = await scene();
    const before = await storeDump(hub.store);
    const response = await hub.app.request('/api/sync/push', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"formatVersion": 1, "facts": [',
    });
    await refusal(response, 400, 'invalid-request');
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a push sent without a JSON content type is refused as a client error with an error body', async () => {
    const { hub, chain, token } = await scene();
    chain.payment({ accountId: 'acc-0031', amountMinor: minor(31_031) });
    const response = await hub.app.request('/api/sync/push', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: JSON.stringify(await pushBody(TABLET_A, chain.facts)),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).not.toBe('internal-error');
    expect(typeof body.message).toBe('string');
    expect((await rowCounts(hub.store)).facts).toBe(0);
  });

  test('a push needs no session: the device signature alone authenticates it, as after weeks offline', async () => {
    const { hub, chain } = await scene();
    chain.payment({ accountId: 'acc-0033', amountMinor: minor(33_033) });
    const response = await request(
      hub.app,
      'POST',
      '/api/sync/push',
      await pushBody(TABLET_A, chain.facts),
    );
    expect(response.status).toBe(200);
    expect((await rowCounts(hub.store)).payments).toBe(1);
  });

  test('a push signed by another device’s key is refused with 401 signature-invalid and nothing is written', async () => {
    const { hub, chain, token } = await scene();
    chain.payment({ accountId: 'acc-0035', amountMinor: minor(35_035) });
    const before = await storeDump(hub.store);
    const forged = await pushBody(TABLET_A, chain.facts, TABLET_B);
    await refusal(
      await request(hub.app, 'POST', '/api/sync/push', forged, token),
      401,
      'signature-invalid',
    );
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a signed push whose facts were changed afterwards fails its signature, and nothing is written', async () => {
    const { hub, chain, token } = await scene();
    chain.payment({ accountId: 'acc-0037', amountMinor: minor(37_037) });
    const signed = await pushBody(TABLET_A, chain.facts);
    const other = new DeviceChain(TABLET_A, 'user-amina');
    other.payment({ accountId: 'acc-0037', amountMinor: minor(99_999) });
    const before = await storeDump(hub.store);
    await refusal(
      await request(hub.app, 'POST', '/api/sync/push', { ...signed, facts: other.facts }, token),
      401,
      'signature-invalid',
    );
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a push naming another device, signed with this device’s key, is refused with 401 signature-invalid', async () => {
    const { hub, token } = await scene();
    const otherChain = new DeviceChain(TABLET_B, 'user-baraka');
    otherChain.payment({ accountId: 'acc-0002', amountMinor: minor(35_035) });
    const before = await storeDump(hub.store);
    const body = await pushBody(TABLET_B, otherChain.facts, TABLET_A);
    await refusal(
      await request(hub.app, 'POST', '/api/sync/push', body, token),
      401,
      'signature-invalid',
    );
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('a revoked device’s new pushes are refused; what it delivered before stays as decided and is listed for review', async () => {
    const { hub, chain, push } = await scene();
    const paid = chain.payment({ accountId: 'acc-0041', amountMinor: minor(41_041) });
    expect((await push(chain.facts)).status).toBe(200);
    const supervisor = await signInSupervisor(hub.app);
    const revoked = await request(
      hub.app,
      'POST',
      `/api/devices/${TABLET_A}/revoke`,
      undefined,
      supervisor.token,
    );
    expect(revoked.status).toBe(200);
    const stored = await hub.store.db
      .selectFrom('payments')
      .select(['status', 'flag_reason'])
      .execute();
    expect(stored).toEqual([{ status: 'accepted', flag_reason: null }]);
    const review = await request(hub.app, 'GET', '/api/flags', undefined, supervisor.token);
    expect(
      flagsResponseSchema.parse(await review.json()).flags.map((f) => [f.factId, f.reason]),
    ).toEqual([[paid.id, 'device-revoked']]);
    chain.payment({ accountId: 'acc-0043', amountMinor: minor(43_043) });
    const before = await storeDump(hub.store);
    await refusal(await push(chain.facts), 403, 'device-revoked');
    expect(await storeDump(hub.store)).toEqual(before);
    await refusal(
      await request(hub.app, 'POST', '/api/auth/agent', {
        username: amina.username,
        pin: amina.pin,
        deviceId: TABLET_A,
      }),
      403,
      'device-revoked',
    );
  });
});
