/**
 * Goal: the tablet takes every way to pay (issue 13) and counts only cash as cash in the
 * agent's hands: a card or mobile payment past the unsynced-cash cap is taken, cash is not; a
 * void of a card payment gives no cash back; details that are not as printed are refused on the
 * tablet with nothing written; what is taken reaches the hub with its details.
 *
 * Method: the device's real code on fake-indexeddb against the hub in-process (the rig).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordPayment, recordVoid, type PaymentInput } from '../../client/db/facts.ts';
import type { PaymentDetails } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { agentOf, enrolAndSignIn, hubBalance, openRig, syncWith, type Rig } from './device-hub.ts';

let rig: Rig;

beforeEach(async () => {
  rig = await openRig({
    deviceSettings: { maxUnsyncedCashMinor: 10_000, maxDaysOffline: 3, retentionDays: 30 },
  });
  await enrolAndSignIn(rig);
  await syncWith(rig);
});

afterEach(async () => {
  await rig.close();
});

async function pay(amountMinor: number, details: PaymentDetails) {
  const input: PaymentInput = {
    accountId: 'acc-0011',
    currency: 'KES',
    amountMinor: minor(amountMinor),
    details,
    agent: await agentOf(rig.db),
    duplicateConfirmed: true,
  };
  return recordPayment(rig.db, input, rig.deps);
}

describe('every way to pay, on the tablet', () => {
  it('only cash counts against the unsynced-cash cap, and a void of a card payment gives no cash back', async () => {
    const card = await pay(50_000, {
      method: 'card',
      brand: 'mastercard',
      last4: '5454',
      approvalCode: 'ZX81',
    });
    expect(card.ok).toBe(true);
    expect(
      await pay(40_000, {
        method: 'mobile-money',
        provider: 'airtel-money',
        reference: 'AM-99812',
        payerPhone: '+254733000111',
      }),
    ).toMatchObject({ ok: true });
    expect(await pay(20_000, { method: 'cash', tenderedMinor: minor(20_000) })).toEqual({
      ok: false,
      error: 'risk-cap-cash',
    });
    if (!card.ok) throw new Error('recorded above');
    expect(card.value.amountMinor).toBe(0);
    expect(card.value.balanceDeltaMinor).toBe(-50_000);
    const voided = await recordVoid(
      rig.db,
      {
        payment: { paymentId: card.value.id },
        reason: 'wrong-amount',
        agent: await agentOf(rig.db),
      },
      rig.deps,
    );
    expect(voided).toMatchObject({
      ok: true,
      value: { amountMinor: 0, balanceDeltaMinor: 50_000 },
    });
  });

  it('refuses details not as printed, writing nothing', async () => {
    const before = await rig.db.facts.count();
    for (const details of [
      { method: 'card', brand: 'visa', last4: '42', approvalCode: 'A1B2' },
      { method: 'card', brand: 'visa', last4: '4242', approvalCode: 'no spaces allowed' },
      { method: 'mobile-money', provider: 'mpesa', reference: 'QG', payerPhone: '+254712345678' },
      { method: 'mobile-money', provider: 'mpesa', reference: 'QGH7K2', payerPhone: '0712' },
      { method: 'bank-transfer', reference: 'ft 1' },
    ] as const)
      expect(await pay(1_000, details as PaymentDetails)).toEqual({
        ok: false,
        error: 'record-invalid',
      });
    expect(await rig.db.facts.count()).toBe(before);
  });

  it('what is taken reaches the hub with its details, and moves the balance there', async () => {
    const before = await hubBalance(rig.store, 'acc-0011');
    await pay(3_000, { method: 'bank-transfer', reference: 'FT-77' + '1234' });
    await pay(2_000, { method: 'card', brand: 'unionpay', last4: '6222', approvalCode: '00X1' });
    expect(await syncWith(rig)).toMatchObject({ pending: 0 });
    expect(await hubBalance(rig.store, 'acc-0011')).toBe(before - 5_000);
    const rows = await rig.store.db
      .selectFrom('payments')
      .select(['method', 'reference', 'card_brand', 'card_last4'])
      .where('account_id', '=', 'acc-0011')
      .where('method', '!=', 'cash')
      .orderBy('change_seq')
      .execute();
    expect(rows).toEqual([
      { method: 'bank-transfer', reference: 'FT-771234', card_brand: null, card_last4: null },
      { method: 'card', reference: '00X1', card_brand: 'unionpay', card_last4: '6222' },
    ]);
  });
});
