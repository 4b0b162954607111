/**
 * Goal: every way to pay reaches the hub whole (issue 13): cash, mobile money, a card on a
 * separate terminal, a bank transfer. Each moves the balance by its amount and keeps its
 * details beside it; mobile money stays on the review list as unconfirmed until the provider
 * confirms it (issue 16); a card payment can hold nothing of a card but its last four digits;
 * details that are not as printed are stored flagged and move nothing.
 *
 * Method: the hub in-process on the seeded store (tests/hub/scene.ts), payments signed by a
 * tablet's chain, read back from the store, the collections and the review list.
 */
import { describe, expect, test } from 'vitest';
import { collectionsResponseSchema } from '../../shared/api.ts';
import { minor } from '../../shared/money.ts';
import { hubBalance } from '../client/device-hub.ts';
import { request } from './harness.ts';
import { at, flags, pushOnce, scene } from './scene.ts';

describe('every way to pay', () => {
  test('each method moves the balance by its amount and keeps its details; mobile money waits for its confirmation on the review list', async () => {
    const { hub, amy, supervisor } = await scene();
    const before = await hubBalance(hub.store, 'acc-0001');
    const mobile = amy.chain.paymentBy(
      { accountId: 'acc-0001', amountMinor: minor(10_000) },
      {
        method: 'mobile-money',
        provider: 'mpesa',
        reference: 'QGH7K2L9XZ',
        payerPhone: '+254712345678',
      },
    );
    const card = amy.chain.paymentBy(
      { accountId: 'acc-0001', amountMinor: minor(20_000) },
      { method: 'card', brand: 'visa', last4: '4242', approvalCode: 'A1B2C3' },
    );
    const bank = amy.chain.paymentBy(
      { accountId: 'acc-0001', amountMinor: minor(30_000) },
      { method: 'bank-transfer', reference: 'FT-2026-000123' },
    );
    const cash = amy.chain.payment({ accountId: 'acc-0001', amountMinor: minor(40_000) });
    const answer = await pushOnce(hub, amy, [mobile, card, bank, cash]);
    expect(answer.results.map((result) => [result.outcome, result.reason ?? null])).toEqual([
      ['flagged', 'mobile-money-unconfirmed'],
      ['accepted', null],
      ['accepted', null],
      ['accepted', null],
    ]);
    expect(await hubBalance(hub.store, 'acc-0001')).toBe(before - 100_000);

    const rows = await hub.store.db
      .selectFrom('payments')
      .select([
        'fact_id',
        'method',
        'provider',
        'reference',
        'payer_phone',
        'card_brand',
        'card_last4',
      ])
      .where('fact_id', 'in', [mobile.id, card.id, bank.id, cash.id])
      .execute();
    const byId = new Map(rows.map((row) => [row.fact_id, row]));
    expect(byId.get(mobile.id)).toMatchObject({
      method: 'mobile-money',
      provider: 'mpesa',
      reference: 'QGH7K2L9XZ',
      payer_phone: '+254712345678',
    });
    expect(byId.get(card.id)).toMatchObject({
      method: 'card',
      reference: 'A1B2C3',
      card_brand: 'visa',
      card_last4: '4242',
    });
    expect(byId.get(bank.id)).toMatchObject({
      method: 'bank-transfer',
      reference: 'FT-2026-000123',
    });
    expect(byId.get(cash.id)).toMatchObject({ method: 'cash', reference: null, card_last4: null });

    const listed = collectionsResponseSchema.parse(
      await (await request(hub.app, 'GET', '/api/collections', undefined, supervisor)).json(),
    ).collections;
    const shown = new Map(listed.map((row) => [row.factId, row]));
    expect(shown.get(mobile.id)).toMatchObject({
      method: 'mobile-money',
      reference: 'mpesa QGH7K2L9XZ',
      standing: 'applied-flagged',
      flagReason: 'mobile-money-unconfirmed',
    });
    expect(shown.get(card.id)).toMatchObject({
      method: 'card',
      reference: 'A1B2C3',
      standing: 'applied',
    });
    expect(shown.get(bank.id)).toMatchObject({ method: 'bank-transfer', standing: 'applied' });
    expect(shown.get(cash.id)).toMatchObject({ method: 'cash', reference: null });

    const review = await flags(hub, supervisor);
    expect(review.map((flag) => [flag.factId, flag.reason])).toContainEqual([
      mobile.id,
      'mobile-money-unconfirmed',
    ]);
  });

  test('details not as printed are stored flagged and move nothing, and no card number fits anywhere', async () => {
    const { hub, amy } = await scene();
    const before = await hubBalance(hub.store, 'acc-0003');
    const odd = [
      { method: 'card', brand: 'visa', last4: '4111111111111111', approvalCode: 'A1B2C3' },
      { method: 'card', brand: 'visa', last4: '4242', approvalCode: '4111111111111111' },
      {
        method: 'mobile-money',
        provider: 'mpesa',
        reference: 'QGH7 K2L9',
        payerPhone: '0712345678',
      },
      { method: 'bank-transfer', reference: '' },
      { method: 'cheque', reference: 'CHQ-000123' },
    ] as const;
    const facts = odd.map((details) =>
      amy.chain.paymentBy(
        { accountId: 'acc-0003', amountMinor: minor(5_000) },
        details as unknown as Parameters<typeof amy.chain.paymentBy>[1],
      ),
    );
    const answer = await pushOnce(hub, amy, facts);
    expect(answer.results.map((result) => result.reason)).toEqual(odd.map(() => 'body-invalid'));
    expect(await hubBalance(hub.store, 'acc-0003')).toBe(before);
    const stored = await hub.store.db
      .selectFrom('payments')
      .select('fact_id')
      .where(
        'fact_id',
        'in',
        facts.map((fact) => fact.id),
      )
      .execute();
    expect(stored).toEqual([]);
    expect(at(answer.results, 0).outcome).toBe('flagged');
  });

  test('a payment of nothing is refused by any method', async () => {
    const { hub, amy } = await scene();
    const fact = amy.chain.paymentBy(
      { accountId: 'acc-0005', amountMinor: minor(0) },
      { method: 'bank-transfer', reference: 'FT-0000' },
    );
    const answer = await pushOnce(hub, amy, [fact]);
    expect(at(answer.results, 0)).toMatchObject({
      outcome: 'flagged',
      reason: 'amount-must-be-positive',
    });
  });
});
