/**
 * Goal: refund and credit-transfer requests (issue 13, item 4) wait for a supervisor and move
 * no money. A request for credit the account has free is held and reserves it; one for more
 * than is free (counting other waiting requests), to an unknown account or to the same account
 * is flagged; a transfer finds its target by account number on any route; a push sent again
 * gets the same answers; tablets pull what waiting requests reserve; the supervisor's review
 * list shows every request.
 *
 * Method: the hub in-process on the seeded store, on SQLite and again on PostgreSQL; credit
 * made by a payment above what the account owes; pushes and pulls through the API.
 */
import { describe, expect, test } from 'vitest';
import { minor } from '../../shared/money.ts';
import { hubBalance } from '../client/device-hub.ts';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import { flags, pull, push, pushOnce, scene, snapshotOf } from './scene.ts';

const ACCOUNT = 'acc-0001';

describe('credit requests', () => {
  test('held while credit is free and reserved by waiting requests; flagged beyond it, to no account or the same one; no money moves', async () => {
    const { hub, amy, supervisor } = await scene();
    const owed = await hubBalance(hub.store, ACCOUNT);
    const overpay = amy.chain.payment({ accountId: ACCOUNT, amountMinor: minor(owed + 50_000) });
    await push(hub, amy, [overpay]);
    expect(await hubBalance(hub.store, ACCOUNT)).toBe(-50_000);

    const refund = amy.chain.append('refund-request', {
      accountId: ACCOUNT,
      currency: 'KES',
      amountMinor: minor(30_000),
      reason: 'overpaid',
      payTo: 'mobile-money',
      payToDetail: '+254712345678',
    });
    const tooMuch = amy.chain.append('refund-request', {
      accountId: ACCOUNT,
      currency: 'KES',
      amountMinor: minor(30_000),
      reason: 'overpaid',
      payTo: 'cash',
    });
    const transfer = amy.chain.append('transfer-request', {
      accountId: ACCOUNT,
      currency: 'KES',
      amountMinor: minor(20_000),
      toAccountNumber: 'GT-10002',
      reason: 'paid-wrong-account',
    });
    const toItself = amy.chain.append('transfer-request', {
      accountId: ACCOUNT,
      currency: 'KES',
      amountMinor: minor(1),
      toAccountNumber: 'GT-10001',
      reason: 'other',
    });
    const toNobody = amy.chain.append('transfer-request', {
      accountId: ACCOUNT,
      currency: 'KES',
      amountMinor: minor(1),
      toAccountNumber: 'GT-99999',
      reason: 'other',
    });
    const facts = [refund, tooMuch, transfer, toItself, toNobody];
    const answer = await push(hub, amy, facts);
    const expected = [
      { outcome: 'held' },
      { outcome: 'flagged', reason: 'credit-not-available' },
      { outcome: 'held' },
      { outcome: 'flagged', reason: 'transfer-to-same-account' },
      { outcome: 'flagged', reason: 'transfer-target-not-found' },
    ];
    expect(
      answer.results.map(({ outcome, reason }) => ({ outcome, ...(reason ? { reason } : {}) })),
    ).toEqual(expected);
    // Sent again (a lost answer), the same answers and nothing stored twice.
    const again = await pushOnce(hub, amy, facts);
    expect(again.results.map((r) => r.outcome)).toEqual(expected.map((e) => e.outcome));

    expect(await hubBalance(hub.store, ACCOUNT)).toBe(-50_000);
    const rows = await hub.store.db
      .selectFrom('credit_requests')
      .select(['fact_id', 'status', 'to_account_id'])
      .execute();
    expect(rows).toHaveLength(5);
    expect(rows.find((r) => r.fact_id === transfer.id)).toMatchObject({
      status: 'pending',
      to_account_id: 'acc-0002',
    });
    expect(snapshotOf(await pull(hub, amy, 0), ACCOUNT).creditRequestedMinor).toBe(50_000);
    const review = await flags(hub, supervisor);
    for (const fact of facts) expect(review.some((f) => f.factId === fact.id)).toBe(true);
    expect(await checkIntegrity(hub.store)).toEqual([]);
  });
});
