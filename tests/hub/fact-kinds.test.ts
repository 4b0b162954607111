/**
 * Goal: the fact kinds beyond payments keep their promises at the hub. A void reverses exactly
 * what its payment did and nothing else, waits for a payment it arrived before, and is flagged
 * when it names the payment wrongly or twice; a contact field shows the edit that saw the most,
 * then the latest by hybrid clock, whatever order edits arrive in, and a clock from next month
 * does not win; every meter reading is kept and the one that fits the meter's history worse is
 * flagged; a bill printed at the door is issued as printed, recomputed, and any difference
 * carried to the next bill exactly once; supervisors alone publish tariff versions and see the
 * review list. Sending any push again answers the same and changes nothing.
 *
 * Method: the hub app is called in-process with app.request() on a real SQLite store (in
 * memory) seeded with the demo deployment, under a stepping clock; facts are built as a device
 * builds them (tests/hub/harness.ts) and pulls are made with an agent's session, as a device
 * makes them. Money is checked against amounts worked out here from the seeded bills or by the
 * tariff engine (computeBill), never copied from the hub's answers. "Changes nothing" is
 * checked by comparing the ledger (balances, bills, payments, allocations, reversals, carried
 * differences, contact fields) or a dump of every table, before and after.
 */
import { describe, expect, test } from 'vitest';
import { demoTariff, demoTariffDocument } from '../../hub/demo/tariff.ts';
import type { Store } from '../../hub/store/store.ts';
import { collectionsResponseSchema } from '../../shared/api.ts';
import type { FactOf } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { Tariff, TariffDocument } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import {
  accountState,
  accountWithOpenBills,
  amina,
  baraka,
  DeviceChain,
  openOf,
  request,
  TABLET_A,
  TABLET_B,
  TABLET_C,
  type Hub,
} from './harness.ts';
import {
  at,
  factRow,
  flags,
  flagsAs,
  fullDump,
  ledger,
  pull,
  push,
  readAndBill,
  result,
  scene,
  snapshotOf,
  type Agent,
} from './scene.ts';

// --- voids ------------------------------------------------------------------------------------

async function allocationsOf(
  store: Store,
  paymentId: string,
): Promise<{ billId: string; amountMinor: number }[]> {
  const rows = await store.db
    .selectFrom('allocations')
    .select(['bill_id', 'amount_minor'])
    .where('payment_fact_id', '=', paymentId)
    .orderBy('bill_id')
    .execute();
  return rows.map((row) => ({ billId: row.bill_id, amountMinor: Number(row.amount_minor) }));
}

async function reversalsOf(
  store: Store,
  voidId: string,
): Promise<{ billId: string; amountMinor: number }[]> {
  const rows = await store.db
    .selectFrom('reversals')
    .select(['bill_id', 'amount_minor'])
    .where('void_fact_id', '=', voidId)
    .orderBy('bill_id')
    .execute();
  return rows.map((row) => ({ billId: row.bill_id, amountMinor: Number(row.amount_minor) }));
}

async function voidedBy(store: Store, paymentId: string): Promise<string | null> {
  const row = await store.db
    .selectFrom('payments')
    .select('voided_by')
    .where('fact_id', '=', paymentId)
    .executeTakeFirstOrThrow();
  return row.voided_by;
}

/**
 * A Kabondo account (Baraka's route) with two open bills, and a payment amount that pays the
 * first in full and 1,234 of the second, so a void must undo two allocations of known size.
 */
async function twoBillPayment(
  hub: Hub,
): Promise<{ accountId: string; amountMinor: number; expected: [string, number][] }> {
  const accountId = await accountWithOpenBills(hub.store, 'route-kabondo', 2);
  const open = openOf(await accountState(hub.store, accountId));
  const first = at(open, 0);
  const second = at(open, 1);
  expect(second.outstandingMinor).toBeGreaterThan(1_234);
  return {
    accountId,
    amountMinor: first.outstandingMinor + 1_234,
    expected: [
      [first.id, first.outstandingMinor],
      [second.id, 1_234],
    ],
  };
}

describe('voids', () => {
  test('a void of a synced payment reverses exactly its allocations, keeps the payment marked voided and leaves it out of the totals', async () => {
    const { hub, amy, supervisor } = await scene();
    const { accountId, amountMinor, expected } = await twoBillPayment(hub);
    const before = await accountState(hub.store, accountId);
    const payment = amy.chain.payment({ accountId, amountMinor: minor(amountMinor) });
    const other = amy.chain.payment({ accountId: 'acc-0003', amountMinor: minor(31_415) });
    await push(hub, amy, [payment, other]);
    const allocations = expected.map(([billId, amount]) => ({ billId, amountMinor: amount }));
    expect(await allocationsOf(hub.store, payment.id)).toEqual(
      [...allocations].sort((a, b) => (a.billId < b.billId ? -1 : 1)),
    );
    expect((await accountState(hub.store, accountId)).balanceMinor).toBe(
      before.balanceMinor - amountMinor,
    );

    const voidFact = amy.chain.voidOf(payment);
    const answer = await push(hub, amy, [voidFact]);

    const changeSeq = at(answer.results, 0).changeSeq;
    expect(answer.results).toEqual([result(voidFact, 'accepted', changeSeq)]);
    const after = await accountState(hub.store, accountId);
    expect(after.balanceMinor).toBe(before.balanceMinor);
    expect(after.bills).toEqual(before.bills);
    expect(after.changeSeq).toBe(changeSeq);
    expect(await reversalsOf(hub.store, voidFact.id)).toEqual(
      await allocationsOf(hub.store, payment.id),
    );
    expect(await voidedBy(hub.store, payment.id)).toBe(voidFact.id);
    expect(await voidedBy(hub.store, other.id)).toBeNull();

    const response = await request(hub.app, 'GET', '/api/collections', undefined, supervisor);
    const collections = collectionsResponseSchema.parse(await response.json());
    expect(
      collections.collections
        .map((c) => [c.factId, c.standing, c.voidedBy?.factId ?? null, c.voidedBy?.reversedMinor])
        .sort(),
    ).toEqual(
      [
        [payment.id, 'voided', voidFact.id, amountMinor],
        [other.id, 'applied', null, undefined],
      ].sort(),
    );
    // The voided payment counted until its void gave it back: the net is the other payment.
    expect(collections.totals).toEqual([
      {
        currency: 'KES',
        byStanding: [
          { standing: 'applied', count: 1, amountMinor: '31415' },
          { standing: 'voided', count: 1, amountMinor: String(amountMinor) },
        ],
        appliedMinor: String(31_415 + amountMinor),
        reversedMinor: String(amountMinor),
        netMinor: '31415',
      },
    ]);
  });

  test('a void that arrives before its payment is held and changes nothing, then applied when the payment arrives, and its device’s pull acknowledges the new outcome', async () => {
    const { hub, amy, bob } = await scene();
    const { accountId, amountMinor, expected } = await twoBillPayment(hub);
    const before = await accountState(hub.store, accountId);
    const payment = amy.chain.payment({ accountId, amountMinor: minor(amountMinor) });
    const voidFact = bob.chain.voidOf(payment, { reason: 'entered-twice' });
    const { cursor: start } = await pull(hub, bob, 0);
    const ledgerBefore = await ledger(hub.store);

    const held = await push(hub, bob, [voidFact]);

    const heldSeq = at(held.results, 0).changeSeq;
    expect(held.results).toEqual([result(voidFact, 'held', heldSeq)]);
    expect(await ledger(hub.store)).toEqual(ledgerBefore);
    const whileHeld = await pull(hub, bob, start);
    expect(whileHeld.acks).toEqual([result(voidFact, 'held', heldSeq)]);

    const paid = await push(hub, amy, [payment]);

    const paymentSeq = at(paid.results, 0).changeSeq;
    expect(paid.results).toEqual([result(payment, 'accepted', paymentSeq)]);
    expect(paymentSeq).toBeGreaterThan(heldSeq);
    const after = await accountState(hub.store, accountId);
    expect(after.balanceMinor).toBe(before.balanceMinor);
    expect(after.bills).toEqual(before.bills);
    const allocations = expected
      .map(([billId, amount]) => ({ billId, amountMinor: amount }))
      .sort((a, b) => (a.billId < b.billId ? -1 : 1));
    expect(await allocationsOf(hub.store, payment.id)).toEqual(allocations);
    expect(await reversalsOf(hub.store, voidFact.id)).toEqual(allocations);
    expect(await voidedBy(hub.store, payment.id)).toBe(voidFact.id);
    expect(await factRow(hub.store, voidFact.id)).toEqual({
      outcome: 'accepted',
      flag_reason: null,
      change_seq: paymentSeq,
    });

    const released = await pull(hub, bob, whileHeld.cursor);
    expect(released.acks).toEqual([result(voidFact, 'accepted', paymentSeq)]);
    expect(released.accounts.map((a) => [a.id, a.balanceMinor, a.changeSeq])).toEqual([
      [accountId, before.balanceMinor, paymentSeq],
    ]);
    // The void's stored answer is now the applied one, for ever.
    const replay = await push(hub, bob, [voidFact]);
    expect(replay.results).toEqual([result(voidFact, 'accepted', paymentSeq)]);
  });

  test('a second void of the same payment is flagged already-voided and changes nothing', async () => {
    const { hub, amy, bob } = await scene();
    const { accountId, amountMinor } = await twoBillPayment(hub);
    const before = await accountState(hub.store, accountId);
    const payment = amy.chain.payment({ accountId, amountMinor: minor(amountMinor) });
    const firstVoid = amy.chain.voidOf(payment);
    await push(hub, amy, [payment, firstVoid]);
    const ledgerBetween = await ledger(hub.store);

    const sameDevice = amy.chain.voidOf(payment, { reason: 'entered-twice' });
    const otherDevice = bob.chain.voidOf(payment, { reason: 'customer-refunded' });
    const mine = await push(hub, amy, [sameDevice]);
    const theirs = await push(hub, bob, [otherDevice]);

    expect(mine.results).toEqual([
      result(sameDevice, 'flagged', at(mine.results, 0).changeSeq, 'already-voided'),
    ]);
    expect(theirs.results).toEqual([
      result(otherDevice, 'flagged', at(theirs.results, 0).changeSeq, 'already-voided'),
    ]);
    expect(await ledger(hub.store)).toEqual(ledgerBetween);
    expect((await accountState(hub.store, accountId)).balanceMinor).toBe(before.balanceMinor);
    expect(await voidedBy(hub.store, payment.id)).toBe(firstVoid.id);
    expect(await reversalsOf(hub.store, sameDevice.id)).toEqual([]);
    expect(await reversalsOf(hub.store, otherDevice.id)).toEqual([]);
  });

  test('a void naming the wrong amount or the wrong account is flagged and changes nothing; the payment can still be voided', async () => {
    const { hub, amy } = await scene();
    const { accountId, amountMinor } = await twoBillPayment(hub);
    const before = await accountState(hub.store, accountId);
    const payment = amy.chain.payment({ accountId, amountMinor: minor(amountMinor) });
    await push(hub, amy, [payment]);
    const ledgerPaid = await ledger(hub.store);

    const wrongAmount = amy.chain.voidOf(payment, { amountMinor: minor(amountMinor + 100) });
    const wrongAccount = amy.chain.voidOf(payment, { accountId: 'acc-0004' });
    const answer = await push(hub, amy, [wrongAmount, wrongAccount]);

    expect(answer.results).toEqual([
      result(wrongAmount, 'flagged', at(answer.results, 0).changeSeq, 'void-amount-mismatch'),
      result(wrongAccount, 'flagged', at(answer.results, 1).changeSeq, 'void-account-mismatch'),
    ]);
    expect(await ledger(hub.store)).toEqual(ledgerPaid);
    expect(await voidedBy(hub.store, payment.id)).toBeNull();

    const rightVoid = amy.chain.voidOf(payment);
    const right = await push(hub, amy, [rightVoid]);
    expect(at(right.results, 0).outcome).toBe('accepted');
    expect((await accountState(hub.store, accountId)).balanceMinor).toBe(before.balanceMinor);
  });

  test('a held void naming the wrong amount is flagged when its payment arrives, which then counts in full', async () => {
    const { hub, amy, bob } = await scene();
    const { accountId, amountMinor } = await twoBillPayment(hub);
    const before = await accountState(hub.store, accountId);
    const payment = amy.chain.payment({ accountId, amountMinor: minor(amountMinor) });
    const wrong = bob.chain.voidOf(payment, { amountMinor: minor(amountMinor - 500) });
    await push(hub, bob, [wrong]);

    const paid = await push(hub, amy, [payment]);

    const paymentSeq = at(paid.results, 0).changeSeq;
    expect(await factRow(hub.store, wrong.id)).toEqual({
      outcome: 'flagged',
      flag_reason: 'void-amount-mismatch',
      change_seq: paymentSeq,
    });
    expect((await accountState(hub.store, accountId)).balanceMinor).toBe(
      before.balanceMinor - amountMinor,
    );
    expect(await voidedBy(hub.store, payment.id)).toBeNull();
    expect(await reversalsOf(hub.store, wrong.id)).toEqual([]);
  });

  test('a held void naming another account than its payment’s is flagged when the payment arrives, and its device’s next snapshot of that account reaches the new ack', async () => {
    const { hub, amy, bob } = await scene();
    const { accountId, amountMinor } = await twoBillPayment(hub);
    const named = accountId === 'acc-0004' ? 'acc-0006' : 'acc-0004';
    const before = await accountState(hub.store, accountId);
    const namedBefore = await accountState(hub.store, named);
    const payment = amy.chain.payment({ accountId, amountMinor: minor(amountMinor) });
    const wrong = bob.chain.voidOf(payment, { accountId: named });
    const { cursor: start } = await pull(hub, bob, 0);
    await push(hub, bob, [wrong]);
    const whileHeld = await pull(hub, bob, start);
    expect(whileHeld.accounts.map((a) => a.id)).toEqual([named]);

    const paid = await push(hub, amy, [payment]);

    const paymentSeq = at(paid.results, 0).changeSeq;
    const released = await pull(hub, bob, whileHeld.cursor);
    const ack = at(released.acks, 0);
    expect(released.acks).toEqual([
      result(wrong, 'flagged', ack.changeSeq, 'void-account-mismatch'),
    ]);
    expect(ack.changeSeq).toBeGreaterThan(paymentSeq);
    // The device counts its void until a snapshot of the account it names is at least as new
    // as the ack (pendingEffects in shared/protocol.ts), so that account must come again.
    expect(released.accounts.map((a) => [a.id, a.balanceMinor, a.changeSeq])).toEqual([
      [accountId, before.balanceMinor - amountMinor, paymentSeq],
      [named, namedBefore.balanceMinor, ack.changeSeq],
    ]);
    expect(await voidedBy(hub.store, payment.id)).toBeNull();
  });
});

// --- contact edits ----------------------------------------------------------------------------

async function contactOf(
  store: Store,
  accountId: string,
): Promise<{ name: string; phone: string; address: string }> {
  return store.db
    .selectFrom('accounts')
    .select(['name', 'phone', 'address'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
}

async function editsOf(store: Store, accountId: string): Promise<[string, string, string][]> {
  const rows = await store.db
    .selectFrom('contact_edits')
    .select(['fact_id', 'value', 'flag_reason'])
    .where('account_id', '=', accountId)
    .orderBy('fact_id')
    .execute();
  return rows.map((row) => [row.fact_id, row.value, row.flag_reason ?? 'none']);
}

describe('contact edits', () => {
  test('an edit shows in the field and in the next pull', async () => {
    const { hub, amy } = await scene();
    const { cursor } = await pull(hub, amy, 0);
    const accountId = 'acc-0007';
    const old = await contactOf(hub.store, accountId);
    const edit = amy.chain.contact({
      accountId,
      field: 'phone',
      value: '+254700111222',
      previous: old.phone,
      baseChangeSeq: (await accountState(hub.store, accountId)).changeSeq,
    });
    const answer = await push(hub, amy, [edit]);
    expect(answer.results).toEqual([result(edit, 'accepted', at(answer.results, 0).changeSeq)]);
    expect(await contactOf(hub.store, accountId)).toEqual({ ...old, phone: '+254700111222' });
    const next = await pull(hub, amy, cursor);
    expect(snapshotOf(next, accountId)).toMatchObject({
      phone: '+254700111222',
      name: old.name,
      address: old.address,
    });
  });

  test('an edit made after seeing another wins over it even with an older clock stamp', async () => {
    const { hub, amy, bob } = await scene();
    const accountId = 'acc-0009';
    const old = await contactOf(hub.store, accountId);
    const base = (await accountState(hub.store, accountId)).changeSeq;
    // Tablet A's clock runs three hours ahead of tablet B's.
    const seen = amy.chain.append(
      'contact',
      { accountId, field: 'name', value: 'Akinyi Ouma', previous: old.name, baseChangeSeq: base },
      Date.UTC(2026, 10, 19, 10, 30),
    );
    const seenAnswer = await push(hub, amy, [seen]);
    const seenSeq = at(seenAnswer.results, 0).changeSeq;
    expect((await contactOf(hub.store, accountId)).name).toBe('Akinyi Ouma');

    const after = bob.chain.append(
      'contact',
      {
        accountId,
        field: 'name',
        value: 'Akinyi Ouma Were',
        previous: 'Akinyi Ouma',
        baseChangeSeq: seenSeq,
      },
      Date.UTC(2026, 10, 19, 7, 45),
    );
    expect(after.hlc < seen.hlc).toBe(true);
    const answer = await push(hub, bob, [after]);

    expect(answer.results).toEqual([result(after, 'accepted', at(answer.results, 0).changeSeq)]);
    expect((await contactOf(hub.store, accountId)).name).toBe('Akinyi Ouma Were');
    expect((await editsOf(hub.store, accountId)).length).toBe(2);
  });

  test('two concurrent edits are both kept, the later arrival is flagged, and the later clock stamp wins whichever arrives first', async () => {
    const accountId = 'acc-0011';
    const outcomes: { field: string; edits: [string, string, string][] }[] = [];
    for (const order of ['earlier-stamp-first', 'later-stamp-first'] as const) {
      const { hub, amy, bob } = await scene();
      const old = await contactOf(hub.store, accountId);
      const base = (await accountState(hub.store, accountId)).changeSeq;
      const later = amy.chain.append(
        'contact',
        {
          accountId,
          field: 'address',
          value: 'Ahero, plot 17',
          previous: old.address,
          baseChangeSeq: base,
        },
        Date.UTC(2026, 10, 19, 8, 5),
      );
      const earlier = bob.chain.append(
        'contact',
        {
          accountId,
          field: 'address',
          value: 'Awasi, plot 203',
          previous: old.address,
          baseChangeSeq: base,
        },
        Date.UTC(2026, 10, 19, 8, 1),
      );
      const arrivals: [Agent, FactOf<'contact'>][] =
        order === 'earlier-stamp-first'
          ? [
              [bob, earlier],
              [amy, later],
            ]
          : [
              [amy, later],
              [bob, earlier],
            ];
      const [firstAgent, firstFact] = at(arrivals, 0);
      const [secondAgent, secondFact] = at(arrivals, 1);
      const first = await push(hub, firstAgent, [firstFact]);
      const second = await push(hub, secondAgent, [secondFact]);
      expect(first.results).toEqual([
        result(firstFact, 'accepted', at(first.results, 0).changeSeq),
      ]);
      expect(second.results).toEqual([
        result(secondFact, 'flagged', at(second.results, 0).changeSeq, 'concurrent-edit'),
      ]);
      const field = (await contactOf(hub.store, accountId)).address;
      const edits = await editsOf(hub.store, accountId);
      expect(edits).toEqual(
        [
          [firstFact.id, firstFact.body.value, 'none'],
          [secondFact.id, secondFact.body.value, 'concurrent-edit'],
        ].sort(),
      );
      outcomes.push({ field, edits });
    }
    expect(outcomes.map((o) => o.field)).toEqual(['Ahero, plot 17', 'Ahero, plot 17']);
  });

  test('an edit stamped far in the future does not win against a concurrent one stamped at its receipt', async () => {
    const { hub, amy, bob } = await scene();
    const accountId = 'acc-0013';
    const old = await contactOf(hub.store, accountId);
    const base = (await accountState(hub.store, accountId)).changeSeq;
    const thirtyDays = 30 * 86_400_000;
    const future = amy.chain.append(
      'contact',
      {
        accountId,
        field: 'phone',
        value: '+254711000013',
        previous: old.phone,
        baseChangeSeq: base,
      },
      hub.peekClock().getTime() + thirtyDays,
    );
    await push(hub, amy, [future]);
    expect((await contactOf(hub.store, accountId)).phone).toBe('+254711000013');

    hub.advanceClock(60 * 60 * 1000);
    const honest = bob.chain.append(
      'contact',
      {
        accountId,
        field: 'phone',
        value: '+254722000013',
        previous: old.phone,
        baseChangeSeq: base,
      },
      hub.peekClock().getTime(),
    );
    const answer = await push(hub, bob, [honest]);

    expect(answer.results).toEqual([
      result(honest, 'flagged', at(answer.results, 0).changeSeq, 'concurrent-edit'),
    ]);
    expect((await contactOf(hub.store, accountId)).phone).toBe('+254722000013');
    expect((await editsOf(hub.store, accountId)).map(([, value]) => value).sort()).toEqual([
      '+254711000013',
      '+254722000013',
    ]);
  });
});

// --- meter readings ---------------------------------------------------------------------------

interface MeterHistory {
  readonly accountId: string;
  readonly meterNumber: string;
  /** The last seeded reading (the 1st of the hub's month) and the one a month before it. */
  readonly last: { readOn: string; registerKwh: number };
  readonly before: { readOn: string; registerKwh: number };
}

async function meterHistory(store: Store, accountId: string): Promise<MeterHistory> {
  const account = await store.db
    .selectFrom('accounts')
    .select('meter_number')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const rows = await store.db
    .selectFrom('readings')
    .select(['read_on', 'register_kwh'])
    .where('account_id', '=', accountId)
    .orderBy('read_on', 'desc')
    .limit(2)
    .execute();
  const [last, before] = rows.map((r) => ({ readOn: r.read_on, registerKwh: r.register_kwh }));
  if (!last || !before) throw new Error(`${accountId} has fewer than two readings`);
  return { accountId, meterNumber: account.meter_number, last, before };
}

/** The register the meter's last month predicts for `readOn`, rounded to whole kWh. */
function predicted(history: MeterHistory, readOn: string): number {
  const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
  const rate =
    (history.last.registerKwh - history.before.registerKwh) /
    (day(history.last.readOn) - day(history.before.readOn));
  return Math.round(history.last.registerKwh + rate * (day(readOn) - day(history.last.readOn)));
}

async function readingRow(
  store: Store,
  id: string,
): Promise<{ status: string; flag_reason: string | null }> {
  return store.db
    .selectFrom('readings')
    .select(['status', 'flag_reason'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

describe('meter readings', () => {
  test('a competing reading on the same day far from the meter’s trend is flagged, both are kept, and neither moves where the next bill starts', async () => {
    const { hub, amy, bob } = await scene();
    const history = await meterHistory(hub.store, 'acc-0015');
    const { cursor } = await pull(hub, amy, 0);
    const fits = predicted(history, '2026-11-19');
    const good = amy.chain.reading({
      accountId: history.accountId,
      meterNumber: history.meterNumber,
      registerKwh: fits + 1,
      readOn: '2026-11-19',
    });
    const odd = bob.chain.reading({
      accountId: history.accountId,
      meterNumber: history.meterNumber,
      registerKwh: fits + 480,
      readOn: '2026-11-19',
    });
    const goodAnswer = await push(hub, amy, [good]);
    const oddAnswer = await push(hub, bob, [odd]);

    expect(goodAnswer.results).toEqual([
      result(good, 'accepted', at(goodAnswer.results, 0).changeSeq),
    ]);
    expect(oddAnswer.results).toEqual([
      result(odd, 'flagged', at(oddAnswer.results, 0).changeSeq, 'competing-reading'),
    ]);
    expect(await readingRow(hub.store, good.id)).toEqual({ status: 'accepted', flag_reason: null });
    expect(await readingRow(hub.store, odd.id)).toEqual({
      status: 'flagged',
      flag_reason: 'competing-reading',
    });
    // Neither reading was billed: the next bill still starts where the last bill ended.
    expect(snapshotOf(await pull(hub, amy, cursor), history.accountId).lastReading).toEqual(
      history.last,
    );
  });

  test('when the odd reading arrived first, the fitting one that follows flags it, and the review list shows it', async () => {
    const { hub, amy, bob, supervisor } = await scene();
    const history = await meterHistory(hub.store, 'acc-0017');
    const { cursor } = await pull(hub, amy, 0);
    const fits = predicted(history, '2026-11-17');
    const odd = bob.chain.reading({
      accountId: history.accountId,
      meterNumber: history.meterNumber,
      registerKwh: predicted(history, '2026-11-18') + 350,
      readOn: '2026-11-18',
    });
    const good = amy.chain.reading({
      accountId: history.accountId,
      meterNumber: history.meterNumber,
      registerKwh: fits,
      readOn: '2026-11-17',
    });
    const oddAnswer = await push(hub, bob, [odd]);
    expect(oddAnswer.results).toEqual([
      result(odd, 'accepted', at(oddAnswer.results, 0).changeSeq),
    ]);
    const goodAnswer = await push(hub, amy, [good]);

    expect(goodAnswer.results).toEqual([
      result(good, 'accepted', at(goodAnswer.results, 0).changeSeq),
    ]);
    expect(await readingRow(hub.store, odd.id)).toEqual({
      status: 'flagged',
      flag_reason: 'competing-reading',
    });
    // The odd reading's own answer never changes; the review list carries the later flag.
    expect(await factRow(hub.store, odd.id)).toMatchObject({ outcome: 'accepted' });
    const listed = (await flags(hub, supervisor)).filter((f) => f.factId === odd.id);
    expect(listed).toEqual([
      expect.objectContaining({
        factId: odd.id,
        kind: 'reading',
        reason: 'competing-reading',
        accountId: history.accountId,
        body: odd.body,
      }),
    ]);
    expect(snapshotOf(await pull(hub, amy, cursor), history.accountId).lastReading).toEqual(
      history.last,
    );
  });

  test('a reading below the meter’s previous one went backwards, one with another meter number is a mismatch, and no unbilled reading moves where the next bill starts', async () => {
    const { hub, amy } = await scene();
    const history = await meterHistory(hub.store, 'acc-0019');
    const { cursor } = await pull(hub, amy, 0);
    const kept = amy.chain.reading({
      accountId: history.accountId,
      meterNumber: history.meterNumber,
      registerKwh: history.last.registerKwh + 60,
      readOn: '2026-11-12',
    });
    const backwards = amy.chain.reading({
      accountId: history.accountId,
      meterNumber: history.meterNumber,
      registerKwh: history.last.registerKwh + 40,
      readOn: '2026-11-19',
    });
    const wrongMeter = amy.chain.reading({
      accountId: history.accountId,
      meterNumber: '54999999999',
      registerKwh: history.last.registerKwh + 90,
      readOn: '2026-11-20',
    });
    const answer = await push(hub, amy, [kept, backwards, wrongMeter]);

    expect(answer.results).toEqual([
      result(kept, 'accepted', at(answer.results, 0).changeSeq),
      result(backwards, 'flagged', at(answer.results, 1).changeSeq, 'reading-went-backwards'),
      result(wrongMeter, 'flagged', at(answer.results, 2).changeSeq, 'meter-mismatch'),
    ]);
    const count = await hub.store.db
      .selectFrom('readings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('fact_id', 'in', [kept.id, backwards.id, wrongMeter.id])
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(3);
    expect(snapshotOf(await pull(hub, amy, cursor), history.accountId).lastReading).toEqual(
      history.last,
    );
  });
});

// --- spot bills -------------------------------------------------------------------------------

/** Version 2 of the demo tariff: dearer energy and fuel from 10 November 2026. */
const demoVersion2: TariffDocument = {
  ...demoTariffDocument,
  version: 2,
  effectiveFrom: '2026-11-10',
  energy: [
    {
      kind: 'blocks',
      period: 'month',
      blocks: [
        { upToKwh: 30, rate: '13.90' },
        { upToKwh: null, rate: '18.25' },
      ],
    },
  ],
  charges: (demoTariffDocument.charges ?? []).map((charge) =>
    charge.kind === 'per-kwh' && charge.id === 'fuel' ? { ...charge, rate: '4.15' } : charge,
  ),
};

function tariffOf(document: TariffDocument): Tariff {
  const parsed = parseTariff(document);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.value;
}

/** The bill's own amount by the tariff engine: the independent model of what the hub computes. */
function engineAmount(
  versions: readonly Tariff[],
  period: { from: string; to: string },
  kwh: number,
): number {
  const bill = computeBill(versions, { period, kwh });
  if (!bill.ok) throw new Error(JSON.stringify(bill.error));
  return bill.value.totalMinor;
}

async function publish(hub: Hub, token: string, document: unknown): Promise<Response> {
  return request(hub.app, 'POST', '/api/tariffs/demo-domestic/versions', document, token);
}

async function billRow(
  store: Store,
  id: string,
): Promise<{ period: string; kwh: number; amountMinor: number; paidMinor: number } | undefined> {
  const row = await store.db
    .selectFrom('bills')
    .select(['period_from', 'period_to', 'kwh', 'amount_minor', 'paid_minor'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row
    ? {
        period: `${row.period_from}/${row.period_to}`,
        kwh: row.kwh,
        amountMinor: Number(row.amount_minor),
        paidMinor: Number(row.paid_minor),
      }
    : undefined;
}

describe('spot bills', () => {
  test('a bill computed with the current tariff is accepted, issued at the printed total and raises the balance', async () => {
    const { hub, amy } = await scene();
    const first = await pull(hub, amy, 0);
    const snapshot = snapshotOf(first, 'acc-0021');
    const last = snapshot.lastReading;
    expect(last?.readOn).toBe('2026-11-01');
    const { reading, bill } = readAndBill(amy, snapshot, '2026-11-19', 137, [demoTariff], 'SB-1');
    const expected = engineAmount([demoTariff], { from: '2026-11-01', to: '2026-11-19' }, 137);
    expect(bill.body.totalMinor).toBe(expected);
    const before = await accountState(hub.store, snapshot.id);

    const answer = await push(hub, amy, [reading, bill]);

    expect(answer.results).toEqual([
      result(reading, 'accepted', at(answer.results, 0).changeSeq),
      result(bill, 'accepted', at(answer.results, 1).changeSeq),
    ]);
    expect(await billRow(hub.store, bill.id)).toEqual({
      period: '2026-11-01/2026-11-19',
      kwh: 137,
      amountMinor: expected,
      paidMinor: 0,
    });
    expect((await accountState(hub.store, snapshot.id)).balanceMinor).toBe(
      before.balanceMinor + expected,
    );
    const next = snapshotOf(await pull(hub, amy, first.cursor), snapshot.id);
    expect(next.balanceMinor).toBe(before.balanceMinor + expected);
    expect(next.carried).toEqual([]);
    expect(next.openBills.map((b) => [b.id, b.amountMinor])).toContainEqual([bill.id, expected]);
    expect(next.lastReading).toEqual({
      readOn: '2026-11-19',
      registerKwh: (last?.registerKwh ?? 0) + 137,
    });
  });

  test('a bill printed with the version before a newly published one is flagged stale-tariff, issued as printed, and the difference is carried once to the next bill', async () => {
    const { hub, amy, admin } = await scene();
    const first = await pull(hub, amy, 0);
    const snapshot = snapshotOf(first, 'acc-0023');
    const published = await publish(hub, admin, demoVersion2);
    expect(published.status).toBe(201);
    const version2 = tariffOf(demoVersion2);
    const period = { from: '2026-11-01', to: '2026-11-19' };
    const printed = engineAmount([demoTariff], period, 152);
    const hubAmount = engineAmount([demoTariff, version2], period, 152);
    expect(hubAmount).not.toBe(printed);
    const before = await accountState(hub.store, snapshot.id);

    // The device has not pulled since: it prints with version 1 only.
    const stale = readAndBill(amy, snapshot, '2026-11-19', 152, [demoTariff], 'SB-2');
    expect(stale.bill.body).toMatchObject({ tariffVersion: 1, totalMinor: printed });
    const answer = await push(hub, amy, [stale.reading, stale.bill]);

    expect(at(answer.results, 1)).toEqual(
      result(stale.bill, 'flagged', at(answer.results, 1).changeSeq, 'stale-tariff'),
    );
    expect((await billRow(hub.store, stale.bill.id))?.amountMinor).toBe(printed);
    expect((await accountState(hub.store, snapshot.id)).balanceMinor).toBe(
      before.balanceMinor + printed,
    );
    const afterStale = await pull(hub, amy, first.cursor);
    expect(afterStale.tariffs.map((t) => [t.tariffId, t.version])).toEqual([['demo-domestic', 2]]);
    const carriedSnapshot = snapshotOf(afterStale, snapshot.id);
    expect(carriedSnapshot.carried).toEqual([
      { sourceId: stale.bill.id, amountMinor: hubAmount - printed },
    ]);

    // Now holding both versions, the device bills the next week with the carried difference.
    const next = readAndBill(
      amy,
      carriedSnapshot,
      '2026-11-26',
      41,
      [demoTariff, version2],
      'SB-3',
    );
    const nextAmount = engineAmount(
      [demoTariff, version2],
      { from: '2026-11-19', to: '2026-11-26' },
      41,
    );
    expect(next.bill.body).toMatchObject({
      tariffVersion: 2,
      amountMinor: nextAmount,
      totalMinor: nextAmount + hubAmount - printed,
    });
    // The next week comes: a reading dated after the hub's today would be flagged as in the future.
    hub.advanceClock(7 * 86_400_000);
    const nextAnswer = await push(hub, amy, [next.reading, next.bill]);

    expect(at(nextAnswer.results, 1)).toEqual(
      result(next.bill, 'accepted', at(nextAnswer.results, 1).changeSeq),
    );
    expect((await billRow(hub.store, next.bill.id))?.amountMinor).toBe(
      nextAmount + hubAmount - printed,
    );
    expect((await accountState(hub.store, snapshot.id)).balanceMinor).toBe(
      before.balanceMinor + printed + nextAmount + hubAmount - printed,
    );
    const billed = await hub.store.db
      .selectFrom('carried')
      .select(['id', 'billed_by'])
      .where('account_id', '=', snapshot.id)
      .execute();
    expect(billed).toEqual([{ id: stale.bill.id, billed_by: next.bill.id }]);
    const afterNext = await pull(hub, amy, afterStale.cursor);
    expect(snapshotOf(afterNext, snapshot.id).carried).toEqual([]);
  });

  test('a bill carrying an item the hub does not hold is flagged carried-mismatch, issued as printed, and the item is carried back', async () => {
    const { hub, amy } = await scene();
    const first = await pull(hub, amy, 0);
    const snapshot = snapshotOf(first, 'acc-0025');
    const made = readAndBill(
      amy,
      { ...snapshot, carried: [{ sourceId: 'made-up-difference', amountMinor: minor(2_345) }] },
      '2026-11-19',
      88,
      [demoTariff],
      'SB-4',
    );
    const amount = engineAmount([demoTariff], { from: '2026-11-01', to: '2026-11-19' }, 88);
    expect(made.bill.body.totalMinor).toBe(amount + 2_345);
    const before = await accountState(hub.store, snapshot.id);

    const answer = await push(hub, amy, [made.reading, made.bill]);

    expect(at(answer.results, 1)).toEqual(
      result(made.bill, 'flagged', at(answer.results, 1).changeSeq, 'carried-mismatch'),
    );
    expect((await billRow(hub.store, made.bill.id))?.amountMinor).toBe(amount + 2_345);
    expect((await accountState(hub.store, snapshot.id)).balanceMinor).toBe(
      before.balanceMinor + amount + 2_345,
    );
    expect(snapshotOf(await pull(hub, amy, first.cursor), snapshot.id).carried).toEqual([
      { sourceId: `${made.bill.id}/0`, amountMinor: -2_345 },
    ]);
  });

  test('a second bill for an overlapping period is flagged period-already-billed and changes nothing', async () => {
    const { hub, amy, bob } = await scene();
    const first = await pull(hub, amy, 0);
    const snapshot = snapshotOf(first, 'acc-0027');
    const billed = readAndBill(amy, snapshot, '2026-11-19', 120, [demoTariff], 'SB-5');
    await push(hub, amy, [billed.reading, billed.bill]);
    const ledgerBetween = await ledger(hub.store);

    // Tablet B still holds the snapshot from before the first bill and bills the same days.
    const again = readAndBill(bob, snapshot, '2026-11-25', 131, [demoTariff], 'SB-6');
    const answer = await push(hub, bob, [again.reading, again.bill]);

    expect(at(answer.results, 1)).toEqual(
      result(again.bill, 'flagged', at(answer.results, 1).changeSeq, 'period-already-billed'),
    );
    expect(await ledger(hub.store)).toEqual(ledgerBetween);
    expect(await billRow(hub.store, again.bill.id)).toBeUndefined();
  });

  test('a bill the hub cannot recompute, for want of a tariff version in effect, is flagged tariff-not-found and changes nothing', async () => {
    const { hub, amy } = await scene();
    const snapshot = snapshotOf(await pull(hub, amy, 0), 'acc-0037');
    const { reading, bill } = readAndBill(amy, snapshot, '2026-11-19', 73, [demoTariff], 'SB-8');
    await push(hub, amy, [reading]);
    // The hub's copy of the tariff is gone (a botched import, say): nothing to recompute with.
    await hub.store.db
      .deleteFrom('tariff_versions')
      .where('tariff_id', '=', 'demo-domestic')
      .execute();
    const ledgerBefore = await ledger(hub.store);

    const answer = await push(hub, amy, [bill]);

    expect(answer.results).toEqual([
      result(bill, 'flagged', at(answer.results, 0).changeSeq, 'tariff-not-found'),
    ]);
    // Not among flagsThatStillApply: stored for a supervisor, no bill issued.
    expect(await ledger(hub.store)).toEqual(ledgerBefore);
    expect(await billRow(hub.store, bill.id)).toBeUndefined();
  });

  test('a bill naming another tariff than the account’s is recomputed with the account’s, and a difference is bill-differs, never stale-tariff', async () => {
    const { hub, amy } = await scene();
    const snapshot = snapshotOf(await pull(hub, amy, 0), 'acc-0039');
    const foreign = tariffOf({
      ...demoTariffDocument,
      id: 'demo-commercial',
      version: 1,
      energy: [
        {
          kind: 'blocks',
          period: 'month',
          blocks: [
            { upToKwh: 30, rate: '10.00' },
            { upToKwh: null, rate: '12.00' },
          ],
        },
      ],
    });
    const { reading, bill } = readAndBill(
      amy,
      { ...snapshot, tariffId: 'demo-commercial' },
      '2026-11-19',
      73,
      [foreign],
      'SB-9',
    );
    const period = { from: snapshot.lastReading?.readOn ?? '', to: '2026-11-19' };
    const hubWay = computeBill(demoTariff, { period, kwh: 73 });
    const printed = computeBill(foreign, { period, kwh: 73 });
    if (!hubWay.ok || !printed.ok) throw new Error('bills');
    expect(hubWay.value.totalMinor).not.toBe(printed.value.totalMinor);
    await push(hub, amy, [reading]);

    const answer = await push(hub, amy, [bill]);

    expect(answer.results).toEqual([
      result(bill, 'flagged', at(answer.results, 0).changeSeq, 'bill-differs'),
    ]);
    expect((await billRow(hub.store, bill.id))?.amountMinor).toBe(printed.value.totalMinor);
  });

  test('each hub recomputes a bill with its own tariff versions, not those another hub in the same process holds', async () => {
    const rates = ['13.90', '14.40'] as const;
    for (const rate of rates) {
      const { hub, amy, admin } = await scene();
      const document: TariffDocument = {
        ...demoVersion2,
        energy: [
          {
            kind: 'blocks',
            period: 'month',
            blocks: [
              { upToKwh: 30, rate },
              { upToKwh: null, rate: '18.25' },
            ],
          },
        ],
      };
      expect((await publish(hub, admin, document)).status).toBe(201);
      const snapshot = snapshotOf(await pull(hub, amy, 0), 'acc-0035');
      const versions = [demoTariff, tariffOf(document)];
      const { reading, bill } = readAndBill(amy, snapshot, '2026-11-19', 96, versions, 'SB-7');
      expect(bill.body.amountMinor).toBe(
        engineAmount(versions, { from: '2026-11-01', to: '2026-11-19' }, 96),
      );
      const answer = await push(hub, amy, [reading, bill]);
      expect(at(answer.results, 1)).toEqual(
        result(bill, 'accepted', at(answer.results, 1).changeSeq),
      );
    }
  });
});

// --- tariff publishing ------------------------------------------------------------------------

describe('publishing a tariff version', () => {
  test('only an admin may publish: not an agent, not a region’s supervisor', async () => {
    const { hub, amy, supervisor } = await scene();
    const before = await fullDump(hub.store);
    for (const token of [amy.token, supervisor]) {
      const refused = await publish(hub, token, demoVersion2);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'not-allowed' });
    }
    const anonymous = await request(
      hub.app,
      'POST',
      '/api/tariffs/demo-domestic/versions',
      demoVersion2,
    );
    expect(anonymous.status).toBe(401);
    expect(await fullDump(hub.store)).toEqual(before);
  });

  test('a version number other than the next one, or one taking effect no later than the last, is refused with 409 tariff-version-conflict', async () => {
    const { hub, admin } = await scene();
    const before = await fullDump(hub.store);
    for (const version of [1, 3]) {
      const response = await publish(hub, admin, { ...demoVersion2, version });
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({
        error: 'tariff-version-conflict',
        details: { expectedVersion: 2 },
      });
    }
    const notLater = await publish(hub, admin, {
      ...demoVersion2,
      effectiveFrom: '2025-01-01',
    });
    expect(notLater.status).toBe(409);
    expect(await notLater.json()).toMatchObject({ error: 'tariff-version-conflict' });
    expect(await fullDump(hub.store)).toEqual(before);
  });

  test('an invalid tariff document is refused with 400 invalid-tariff', async () => {
    const { hub, admin } = await scene();
    const before = await fullDump(hub.store);
    const invalid = [
      { ...demoVersion2, energy: [] },
      {
        ...demoVersion2,
        energy: [{ kind: 'blocks', period: 'month', blocks: [{ upToKwh: null, rate: 'twelve' }] }],
      },
      { ...demoVersion2, id: 'another-tariff' },
    ];
    for (const document of invalid) {
      const response = await publish(hub, admin, document);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid-tariff' });
    }
    expect(await fullDump(hub.store)).toEqual(before);
  });

  test('a published version reaches the next pull of a device past cursor 0, and a pull from 0 gets every version', async () => {
    const { hub, amy, admin } = await scene();
    const first = await pull(hub, amy, 0);
    expect(first.tariffs).toEqual([
      {
        tariffId: 'demo-domestic',
        version: 1,
        effectiveFrom: '2025-01-01',
        document: demoTariffDocument,
      },
    ]);
    expect(first.cursor).toBeGreaterThan(0);

    const response = await publish(hub, admin, demoVersion2);
    expect(response.status).toBe(201);
    const published = (await response.json()) as { changeSeq: number };
    expect(published).toMatchObject({ tariffId: 'demo-domestic', version: 2 });

    const version2 = {
      tariffId: 'demo-domestic',
      version: 2,
      effectiveFrom: '2026-11-10',
      document: demoVersion2,
    };
    const next = await pull(hub, amy, first.cursor);
    expect(next.tariffs).toEqual([version2]);
    expect(next.accounts).toEqual([]);
    expect(next.cursor).toBe(published.changeSeq);
    expect((await pull(hub, amy, next.cursor)).tariffs).toEqual([]);
    expect((await pull(hub, amy, 0)).tariffs).toEqual([
      {
        tariffId: 'demo-domestic',
        version: 1,
        effectiveFrom: '2025-01-01',
        document: demoTariffDocument,
      },
      version2,
    ]);
  });
});

// --- the review list --------------------------------------------------------------------------

describe('the review list', () => {
  test('only a supervisor may read it', async () => {
    const { hub, amy } = await scene();
    const asAgent = await flagsAs(hub, amy.token);
    expect(asAgent.status).toBe(403);
    expect(await asAgent.json()).toMatchObject({ error: 'not-allowed' });
    expect((await flagsAs(hub, undefined)).status).toBe(401);
  });

  test('every flagged or held fact is listed, newest first, with its reason and body; accepted ones are not', async () => {
    const { hub, amy, bob, supervisor } = await scene();
    expect(await flags(hub, supervisor)).toEqual([]);
    // A payment still on a tablet that has not synced: its void, from tablet B, waits for it.
    const unpaid = new DeviceChain(TABLET_C, 'user-amina').payment({
      accountId: 'acc-0029',
      amountMinor: minor(7_100),
    });
    const held = bob.chain.voidOf(unpaid, { reason: 'wrong-amount' });
    const unknown = amy.chain.payment({ accountId: 'acc-9931', amountMinor: minor(9_931) });
    const history = await meterHistory(hub.store, 'acc-0031');
    const wrongMeter = amy.chain.reading({
      accountId: 'acc-0031',
      meterNumber: '54000000031',
      registerKwh: history.last.registerKwh + 12,
      readOn: '2026-11-18',
    });
    const fine = amy.chain.payment({ accountId: 'acc-0033', amountMinor: minor(3_333) });
    await push(hub, bob, [held]);
    await push(hub, amy, [unknown]);
    await push(hub, amy, [wrongMeter, fine]);

    const listed = await flags(hub, supervisor);

    expect(
      listed.map((f) => ({
        factId: f.factId,
        kind: f.kind,
        outcome: f.outcome,
        reason: f.reason,
        accountId: f.accountId,
        deviceId: f.deviceId,
        agentName: f.agentName,
        body: f.body,
      })),
    ).toEqual([
      {
        factId: wrongMeter.id,
        kind: 'reading',
        outcome: 'flagged',
        reason: 'meter-mismatch',
        accountId: 'acc-0031',
        deviceId: TABLET_A,
        agentName: amina.displayName,
        body: wrongMeter.body,
      },
      {
        factId: unknown.id,
        kind: 'payment',
        outcome: 'flagged',
        reason: 'account-not-found',
        accountId: 'acc-9931',
        deviceId: TABLET_A,
        agentName: amina.displayName,
        body: unknown.body,
      },
      {
        factId: held.id,
        kind: 'void',
        outcome: 'held',
        reason: null,
        accountId: 'acc-0029',
        deviceId: TABLET_B,
        agentName: baraka.displayName,
        body: held.body,
      },
    ]);
    expect(listed.find((f) => f.accountId === 'acc-0031')).toMatchObject({
      accountNumber: 'GT-10031',
      customerName: (await contactOf(hub.store, 'acc-0031')).name,
    });
  });
});
