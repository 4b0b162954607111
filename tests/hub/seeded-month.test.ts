/**
 * Goal: a supervisor's figures agree with the balances. Over a month of mixed field work (the
 * demo's: payments on both routes, some taken twice and flagged, some of those voided, change
 * given), the collections list every payment in one standing, the totals by standing are the
 * sums of the rows listed, and the net collected equals what payments and voids moved on the
 * balances, to the minor unit; the integrity check finds nothing.
 *
 * Method: the demo deployment and its month (hub/demo/month.ts), pushed through the hub's own
 * ingest by two enrolled tablets, then the collections read as a supervisor reads them. The
 * balance movements are summed from the accounts themselves (balance now less the opening
 * balance), not from the collections code.
 */
import { describe, expect, test } from 'vitest';
import { seedDemoMonth } from '../../hub/demo/month.ts';
import { checkIntegrity } from '../../hub/ops/integrity.ts';
import { collectionsResponseSchema } from '../../shared/api.ts';
import { HUB_START, openHub, request, signInSupervisor } from './harness.ts';

describe('a seeded month of field work', () => {
  test('the net collected equals the balance movements, and each standing’s total is the sum of its rows', async () => {
    const hub = await openHub();
    const opening = new Map(
      (
        await hub.store.db
          .selectFrom('ledger')
          .select(['account_id', 'delta_minor'])
          .where('source', '=', 'opening')
          .execute()
      ).map((row) => [row.account_id, row.delta_minor]),
    );
    await seedDemoMonth(hub.store, HUB_START, 200);
    const { token } = await signInSupervisor(hub.app);
    const response = await request(hub.app, 'GET', '/api/collections?limit=1000', undefined, token);
    expect(response.status).toBe(200);
    const body = collectionsResponseSchema.parse(await response.json());

    const accounts = await hub.store.db
      .selectFrom('accounts')
      .select(['id', 'balance_minor'])
      .execute();
    const moved = accounts.reduce((sum, a) => sum + a.balance_minor - (opening.get(a.id) ?? 0), 0);
    const [kes, ...others] = body.totals;
    expect(others).toEqual([]);
    if (!kes) throw new Error('no totals');
    expect(Number(kes.netMinor)).toBe(-moved);
    expect(Number(kes.appliedMinor) - Number(kes.reversedMinor)).toBe(Number(kes.netMinor));

    const standings = new Map(kes.byStanding.map((entry) => [entry.standing, entry]));
    expect([...standings.keys()].sort()).toEqual(['applied', 'applied-flagged', 'voided']);
    expect(body.collections.length).toBe(kes.byStanding.reduce((n, entry) => n + entry.count, 0));
    for (const [standing, total] of standings) {
      const rows = body.collections.filter((row) => row.standing === standing);
      expect(rows.length, standing).toBe(total.count);
      expect(
        rows.reduce((sum, row) => sum + row.amountMinor, 0),
        standing,
      ).toBe(Number(total.amountMinor));
    }
    expect(await checkIntegrity(hub.store)).toEqual([]);
  }, 60_000);
});
