/**
 * Goal: POST /api/quote bills a usage with the same engine the tablet uses offline, for a
 * tariff given inline or by id, and refuses a malformed tariff or usage with an error naming
 * the field, changing nothing.
 *
 * Method: the hub app in-process on seeded in-memory SQLite; the demo tariff's stored bills
 * are compared with quotes for the same kWh.
 */
import { describe, expect, test } from 'vitest';
import { billResultSchema } from '../../shared/api.ts';
import { openHub, request, storeDump } from './harness.ts';

const period = { from: '2026-10-01', to: '2026-11-01' };
const flat = {
  id: 'flat-usd',
  version: 1,
  name: 'Flat',
  currency: 'USD',
  effectiveFrom: '2026-01-01',
  energy: [{ kind: 'flat', rate: '0.25' }],
  charges: [{ kind: 'fixed', id: 'service', amount: '5.00' }],
};

describe('POST /api/quote', () => {
  test('bills an inline tariff line by line', async () => {
    const hub = await openHub();
    const response = await request(hub.app, 'POST', '/api/quote', {
      tariff: flat,
      usage: { period, kwh: '123.4' },
    });
    expect(response.status).toBe(200);
    const body = billResultSchema.parse(await response.json());
    expect(body.lines.map((line) => [line.id, line.kwh, line.rate, line.amountMinor])).toEqual([
      ['energy-flat', '123.4', '0.25', 3085],
      ['service', undefined, undefined, 500],
    ]);
    expect(body.totalMinor).toBe(3585);
  });

  test('bills by tariff id with the stored versions, agreeing with the bills the demo issued', async () => {
    const hub = await openHub();
    const stored = await hub.store.db
      .selectFrom('bills')
      .select(['kwh', 'amount_minor', 'issued_on', 'period_from'])
      .where('account_id', '=', 'acc-0017')
      .orderBy('issued_on')
      .execute();
    expect(stored.length).toBe(12);
    for (const bill of stored.slice(0, 3)) {
      const usage = { period: { from: bill.period_from, to: bill.issued_on }, kwh: bill.kwh };
      const response = await request(hub.app, 'POST', '/api/quote', {
        tariffId: 'demo-domestic',
        usage,
      });
      const body = billResultSchema.parse(await response.json());
      expect(body.totalMinor).toBe(Number(bill.amount_minor));
    }
  });

  test('refuses a malformed tariff with invalid-tariff, every issue naming its field, and writes nothing', async () => {
    const hub = await openHub();
    const before = await storeDump(hub.store);
    const broken = {
      ...flat,
      currency: 'EUR',
      energy: [
        {
          kind: 'blocks',
          period: 'month',
          blocks: [
            { upToKwh: 50, rate: '1' },
            { upToKwh: 20, rate: '-1' },
            { upToKwh: null, rate: '2' },
          ],
        },
      ],
    };
    const response = await request(hub.app, 'POST', '/api/quote', {
      tariff: broken,
      usage: { period, kwh: 10 },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: string;
      message: string;
      details: { field: string }[];
    };
    expect(body.error).toBe('invalid-tariff');
    expect(body.details.map((issue) => issue.field).sort()).toEqual([
      'tariff.currency',
      'tariff.energy.0.blocks.1.rate',
      'tariff.energy.0.blocks.1.upToKwh',
    ]);
    expect(body.message).toContain('tariff.');
    expect(await storeDump(hub.store)).toEqual(before);
  });

  test('names which version is wrong when versions are given as a list', async () => {
    const hub = await openHub();
    const response = await request(hub.app, 'POST', '/api/quote', {
      tariff: [flat, { ...flat, version: 2, effectiveFrom: 'soon' }],
      usage: { period, kwh: 10 },
    });
    const body = (await response.json()) as { error: string; details: { field: string }[] };
    expect(body.error).toBe('invalid-tariff');
    expect(body.details.map((issue) => issue.field)).toEqual(['tariff.1.effectiveFrom']);
  });

  test('refuses annual tiers without the kWh billed earlier in the year, naming the field', async () => {
    const hub = await openHub();
    const annual = {
      ...flat,
      energy: [
        {
          kind: 'blocks',
          period: 'year',
          blocks: [
            { upToKwh: 2880, rate: '0.4883' },
            { upToKwh: null, rate: '0.5383' },
          ],
        },
      ],
    };
    const response = await request(hub.app, 'POST', '/api/quote', {
      tariff: annual,
      usage: { period, kwh: 10 },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'prior-usage-required',
      details: { field: 'priorKwhThisYear' },
    });
  });

  test('refuses an unknown tariff id with 404 and a body that is not a quote request with 400', async () => {
    const hub = await openHub();
    const unknown = await request(hub.app, 'POST', '/api/quote', {
      tariffId: 'no-such-tariff',
      usage: { period, kwh: 10 },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'tariff-not-found' });
    const both = await request(hub.app, 'POST', '/api/quote', {
      tariff: flat,
      tariffId: 'demo-domestic',
      usage: { period, kwh: 10 },
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: 'invalid-request' });
  });
});
