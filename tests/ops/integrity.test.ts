/**
 * Goal: the integrity check finds a row changed behind the hub's back and names it, and finds
 * nothing in a store only the hub has written to.
 *
 * Method: on SQLite and on a real PostgreSQL, a seeded hub takes pushes of payments, a void, a
 * contact edit and a bill printed at the door, a tariff publication and a revocation (both
 * audited) through its own app; the check must then be clean. Then each test edits one row by
 * hand, as someone with database access might, and the check must name that row.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { checkIntegrity, type Problem } from '../../hub/ops/integrity.ts';
import { openPostgresStore } from '../../hub/store/postgres.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import type { Store } from '../../hub/store/store.ts';
import { minor } from '../../shared/money.ts';
import {
  DeviceChain,
  openHub,
  pushBody,
  request,
  signInSupervisor,
  TABLET_A,
  TABLET_B,
} from '../hub/harness.ts';
import {
  POSTGRES_REQUIRED,
  postgresMissing,
  startPostgres,
  type PostgresServer,
} from '../support/postgres.ts';

let server: PostgresServer | undefined;
const missing = postgresMissing();

beforeAll(async () => {
  if (!missing || POSTGRES_REQUIRED) server = await startPostgres();
}, 120_000);

const opened: Store[] = [];

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

afterAll(async () => {
  await server?.stop();
});

interface Scene {
  readonly store: Store;
  readonly paymentId: string;
  readonly voidedPaymentId: string;
}

async function scene(engine: 'sqlite' | 'postgres'): Promise<Scene> {
  const store =
    engine === 'sqlite'
      ? await openSqliteStore(':memory:')
      : await openPostgresStore(await (server as PostgresServer).newDatabase(), { poolSize: 2 });
  opened.push(store);
  const hub = await openHub(store);
  const a = new DeviceChain(TABLET_A, 'user-amina');
  const b = new DeviceChain(TABLET_B, 'user-baraka');
  const paid = a.payment({ accountId: 'acc-0003', amountMinor: minor(25_000) });
  const mistaken = a.payment({ accountId: 'acc-0005', amountMinor: minor(4_000) });
  const facts = [
    paid,
    mistaken,
    a.voidOf(mistaken),
    a.contact({
      accountId: 'acc-0007',
      field: 'phone',
      value: '+254700000007',
      previous: '',
      baseChangeSeq: 0,
    }),
    a.payment({ accountId: 'acc-9999', amountMinor: minor(1_000) }),
  ];
  for (const body of [
    await pushBody(TABLET_A, facts),
    await pushBody(TABLET_B, [b.payment({ accountId: 'acc-0004', amountMinor: minor(7_700) })]),
  ]) {
    const response = await request(hub.app, 'POST', '/api/sync/push', body);
    expect(response.status).toBe(200);
  }
  const { token } = await signInSupervisor(hub.app);
  const revoked = await request(hub.app, 'POST', `/api/devices/${TABLET_B}/revoke`, {}, token);
  expect(revoked.status).toBe(200);
  return { store, paymentId: paid.id, voidedPaymentId: mistaken.id };
}

function names(problems: readonly Problem[]): string[] {
  return problems.map((problem) => `${problem.where}: ${problem.what}`);
}

describe.each(['sqlite', 'postgres'] as const)('the integrity check on %s', (engine) => {
  const skip = engine === 'postgres' && missing !== undefined && !POSTGRES_REQUIRED;

  test.skipIf(skip)('finds nothing in a store only the hub wrote to', async () => {
    const { store } = await scene(engine);
    expect(names(await checkIntegrity(store))).toEqual([]);
  });

  test.skipIf(skip)('names an account whose balance was edited', async () => {
    const { store } = await scene(engine);
    await store.db
      .updateTable('accounts')
      .set({ balance_minor: sql`balance_minor - 100` as never })
      .where('id', '=', 'acc-0003')
      .execute();
    const found = names(await checkIntegrity(store));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^accounts acc-0003: its balance is -?\d+ but its ledger entries sum to -?\d+$/,
    );
  });

  test.skipIf(skip)(
    'names a fact whose signed document was edited, and the payment that no longer matches it',
    async () => {
      const { store, paymentId } = await scene(engine);
      const row = await store.db
        .selectFrom('facts')
        .select('document')
        .where('id', '=', paymentId)
        .executeTakeFirstOrThrow();
      const edited = row.document.replace('"amountMinor":25000', '"amountMinor":2500');
      expect(edited).not.toBe(row.document);
      await store.db
        .updateTable('facts')
        .set({ document: edited })
        .where('id', '=', paymentId)
        .execute();
      const found = names(await checkIntegrity(store));
      expect(found).toContainEqual(
        expect.stringMatching(
          new RegExp(`^facts ${paymentId} .*: its document does not hash to its own hash`),
        ),
      );
      expect(found).toContainEqual(
        `payments ${paymentId}: its amount, account, currency or clock stamp differ from the fact the device signed`,
      );
    },
  );

  test.skipIf(skip)('names a payment row whose amount was edited', async () => {
    const { store, paymentId } = await scene(engine);
    await store.db
      .updateTable('payments')
      .set({ amount_minor: minor(2_500) })
      .where('fact_id', '=', paymentId)
      .execute();
    // The signed fact is the truth: the ledger agrees with it, and the row that does not is named.
    expect(names(await checkIntegrity(store))).toEqual([
      `payments ${paymentId}: its amount, account, currency or clock stamp differ from the fact the device signed`,
    ]);
  });

  test.skipIf(skip)(
    'names the gap where a fact was deleted, and the ledger entry it leaves behind',
    async () => {
      const { store, voidedPaymentId } = await scene(engine);
      await store.db.deleteFrom('voids').where('payment_id', '=', voidedPaymentId).execute();
      await store.db.deleteFrom('reversals').execute();
      await store.db
        .updateTable('payments')
        .set({ voided_by: null })
        .where('fact_id', '=', voidedPaymentId)
        .execute();
      const voidFact = await store.db
        .selectFrom('facts')
        .select(['id', 'seq'])
        .where('device_id', '=', TABLET_A)
        .where('kind', '=', 'void')
        .executeTakeFirstOrThrow();
      await store.db.deleteFrom('facts').where('id', '=', voidFact.id).execute();
      const found = names(await checkIntegrity(store));
      expect(found).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^facts .* \\(device ${TABLET_A}, seq ${voidFact.seq + 1}\\): expected seq ${voidFact.seq}: facts are missing$`,
          ),
        ),
      );
      expect(found).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^ledger ${voidFact.id} \\(account acc-0005\\): an entry of 4000 that no fact accounts for$`,
          ),
        ),
      );
    },
  );

  test.skipIf(skip)('names the audit entry that was edited', async () => {
    const { store } = await scene(engine);
    const entry = await store.db
      .selectFrom('audit')
      .select('id')
      .where('action', '=', 'device-revoked')
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable('audit')
      .set({ actor: 'user:someone-else' })
      .where('id', '=', entry.id)
      .execute();
    expect(names(await checkIntegrity(store))).toEqual([
      `audit ${entry.id}: the audit chain is broken here: this entry or the one before was altered or removed`,
    ]);
  });
});
