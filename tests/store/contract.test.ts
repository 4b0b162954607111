/**
 * Goal: the store keeps one contract on every engine, so the hub's code runs unchanged on the
 * embedded SQLite and on PostgreSQL.
 *
 * Method: the same tests run on a fresh SQLite database and on a fresh database of a real
 * PostgreSQL (started from the machine's binaries by tests/support/postgres.ts, or
 * DATABASE_URL's server). They go through the hub's own app and store code: migrations, the
 * demo seed, pushes and pulls with their replays, transactions that fail half-way, counters
 * taken concurrently, and a newer schema the hub must refuse.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPostgresStore } from '../../hub/store/postgres.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import { nextCounter, SchemaTooNewError, type Store } from '../../hub/store/store.ts';
import { minor } from '../../shared/money.ts';
import {
  pullResponseSchema,
  pushResponseSchema,
  type PullResponse,
} from '../../shared/protocol.ts';
import {
  amina,
  DeviceChain,
  openHub,
  pullBody,
  pushBody,
  request,
  signInAgent,
  storeDump,
  TABLET_A,
  type Hub,
} from '../hub/harness.ts';
import {
  POSTGRES_REQUIRED,
  postgresMissing,
  startPostgres,
  type PostgresServer,
} from '../support/postgres.ts';

interface Engine {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty store; `url` names the same database again when the engine has one. */
  open(): Promise<{ store: Store; reopen: () => Promise<Store> }>;
}

let server: PostgresServer | undefined;
const missing = postgresMissing();
if (missing && !POSTGRES_REQUIRED)
  console.warn(`[store contract] PostgreSQL tests skipped: ${missing}`);

beforeAll(async () => {
  if (!missing || POSTGRES_REQUIRED) server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const engines: Engine[] = [
  {
    name: 'sqlite',
    async open() {
      const store = await openSqliteStore(':memory:');
      return { store, reopen: async () => store };
    },
  },
  {
    name: 'postgres',
    async open() {
      if (!server) throw new Error('PostgreSQL did not start');
      const url = await server.newDatabase();
      return { store: await openPostgresStore(url), reopen: () => openPostgresStore(url) };
    },
  },
];

async function pullAll(hub: Hub, token: string, cursor = 0): Promise<PullResponse[]> {
  const pages: PullResponse[] = [];
  for (;;) {
    const response = await request(
      hub.app,
      'POST',
      '/api/sync/pull',
      pullBody(TABLET_A, cursor, 40),
      token,
    );
    expect(response.status).toBe(200);
    const page = pullResponseSchema.parse(await response.json());
    pages.push(page);
    cursor = page.cursor;
    if (!page.hasMore) return pages;
  }
}

describe.each(engines)('the store on $name', (engine) => {
  const skip = engine.name === 'postgres' && missing !== undefined && !POSTGRES_REQUIRED;

  test.skipIf(skip)(
    'migrates a new database, seeds the demo, and answers a push and its replay the same',
    async () => {
      const { store } = await engine.open();
      const hub = await openHub(store);
      try {
        const chain = new DeviceChain(TABLET_A, 'user-amina');
        const before = Number(
          (
            await store.db
              .selectFrom('accounts')
              .select('balance_minor')
              .where('id', '=', 'acc-0003')
              .executeTakeFirstOrThrow()
          ).balance_minor,
        );
        const facts = [
          chain.payment({ accountId: 'acc-0003', amountMinor: minor(25_000) }),
          chain.payment({ accountId: 'acc-9999', amountMinor: minor(1_000) }),
        ];
        const body = await pushBody(TABLET_A, facts);
        const first = await request(hub.app, 'POST', '/api/sync/push', body);
        expect(first.status).toBe(200);
        const answer = pushResponseSchema.parse(await first.json());
        expect(answer.results.map((r) => r.outcome)).toEqual(['accepted', 'flagged']);
        const dump = await storeDump(store);
        const again = await request(hub.app, 'POST', '/api/sync/push', body);
        expect(pushResponseSchema.parse(await again.json())).toEqual(answer);
        expect(await storeDump(store)).toEqual(dump);
        const after = await store.db
          .selectFrom('accounts')
          .select('balance_minor')
          .where('id', '=', 'acc-0003')
          .executeTakeFirstOrThrow();
        // 64-bit columns come back as numbers on every engine.
        expect(after.balance_minor).toBe(before - 25_000);
      } finally {
        await store.close();
      }
    },
  );

  test.skipIf(skip)(
    'a pull in pages returns every account of the route once, in change order, and the acks',
    async () => {
      const { store } = await engine.open();
      const hub = await openHub(store);
      try {
        const { token, user } = await signInAgent(hub.app, amina, TABLET_A);
        const chain = new DeviceChain(TABLET_A, user.id);
        const payment = chain.payment({ accountId: 'acc-0005', amountMinor: minor(5_000) });
        await request(hub.app, 'POST', '/api/sync/push', await pushBody(TABLET_A, [payment]));
        const pages = await pullAll(hub, token);
        const ids = pages.flatMap((page) => page.accounts.map((a) => a.id));
        const route = await store.db
          .selectFrom('accounts')
          .select('id')
          .where('route_id', '=', 'route-nyando')
          .execute();
        expect([...ids].sort()).toEqual(route.map((r) => r.id).sort());
        const seqs = pages.flatMap((page) => page.accounts.map((a) => a.changeSeq));
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(pages.flatMap((page) => page.acks.map((ack) => ack.id))).toEqual([payment.id]);
        expect(pages.at(-1)?.tariffs ?? pages[0]?.tariffs).toBeDefined();
        expect(pages[0]?.tariffs.map((t) => t.tariffId)).toEqual(['demo-domestic']);
      } finally {
        await store.close();
      }
    },
  );

  test.skipIf(skip)('a transaction that fails half-way leaves nothing behind', async () => {
    const { store } = await engine.open();
    try {
      await openHub(store);
      const before = await storeDump(store);
      await expect(
        store.transaction(async (trx) => {
          await nextCounter(trx, 'change');
          await trx
            .updateTable('accounts')
            .set({ balance_minor: minor(1) })
            .where('id', '=', 'acc-0001')
            .execute();
          throw new Error('disk full, say');
        }),
      ).rejects.toThrow('disk full');
      expect(await storeDump(store)).toEqual(before);
    } finally {
      await store.close();
    }
  });

  test.skipIf(skip)(
    'counters taken by concurrent transactions are distinct and gap-free',
    async () => {
      const { store } = await engine.open();
      try {
        const taken = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.transaction(async (trx) => {
              const n = await nextCounter(trx, 'contract');
              // Work after taking the number, longer for some, so commits could overtake.
              await sql`select ${i}`.execute(trx);
              if (i % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
              return n;
            }),
          ),
        );
        expect([...taken].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
      } finally {
        await store.close();
      }
    },
  );

  test.skipIf(skip)(
    'no transaction takes a number while one holding the number before it has not committed',
    async () => {
      const { store } = await engine.open();
      try {
        let release = () => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        const events: string[] = [];
        const first = store.transaction(async (trx) => {
          const n = await nextCounter(trx, 'order');
          events.push(`first took ${n}`);
          await gate;
          events.push('first commits');
          return n;
        });
        while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        const second = store.transaction(async (trx) => {
          const n = await nextCounter(trx, 'order');
          events.push(`second took ${n}`);
          return n;
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(events).toEqual(['first took 1']);
        release();
        expect(await Promise.all([first, second])).toEqual([1, 2]);
        expect(events).toEqual(['first took 1', 'first commits', 'second took 2']);
      } finally {
        await store.close();
      }
    },
  );

  test.skipIf(skip)(
    'a database migrated by a newer hub is refused with a clear message',
    async () => {
      const { store, reopen } = await engine.open();
      if (engine.name === 'sqlite') {
        // The in-memory SQLite database lives as long as its store: check through the migrator.
        await store.db
          .insertInto('kysely_migration' as never)
          .values({ name: '9999-from-the-future', timestamp: new Date().toISOString() } as never)
          .execute();
        const { migrate } = await import('../../hub/store/store.ts');
        await expect(migrate(store.db, 'sqlite')).rejects.toThrow(SchemaTooNewError);
        await store.close();
        return;
      }
      await store.db
        .insertInto('kysely_migration' as never)
        .values({ name: '9999-from-the-future', timestamp: new Date().toISOString() } as never)
        .execute();
      await store.close();
      await expect(reopen()).rejects.toThrow(
        /migrations this hub does not know: 9999-from-the-future/,
      );
    },
  );
});
