/**
 * Seeded stores made once and copied per test. Seeding the demo (scrypt hashes, 200 customers
 * with a year of bills) and enrolling devices costs a few hundred milliseconds on SQLite and
 * over a second on PostgreSQL; copying what it made costs a few milliseconds. A template is
 * made in the process that uses it, on first use, by the same `seed` a test would run, so its
 * content is exactly what seeding a fresh store gives (device keys made in this process
 * included).
 *
 * SQLite: the template is a file, and each test opens a copy of it with the hub's own
 * `openSqliteStore`, in a RAM-backed folder (/dev/shm where there is one) so that the hub's
 * durable writes cost what they cost in memory: under Vitest, inside the run's scratch folder
 * (SCRATCH_ENV, made and removed by vitest-setup.ts), elsewhere in one removed at exit.
 * PostgreSQL: the template is a database, and each test's database is `CREATE DATABASE …
 * TEMPLATE` of it, on a server the caller gives (and clears away).
 *
 * Each copy takes a new epoch, as a freshly migrated store does, so that two stores of one
 * test are never taken for one store's history.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore, type PostgresOptions } from '../../hub/store/postgres.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import type { Store } from '../../hub/store/store.ts';
import type { PostgresServer } from './postgres.ts';

/** What makes a template: seeds an empty, migrated store. */
export type Seed = (store: Store) => Promise<void>;

export interface StoreTemplate {
  /** A new store holding what `seed` wrote, independent of every other copy. */
  open(): Promise<Store>;
}

/** Names the test run's scratch folder, which whoever made it removes. */
export const SCRATCH_ENV = 'GRIDTALLY_TEST_SCRATCH';

/** A folder in RAM when the machine has one: test stores need no disk. */
export function ramRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** A new folder for this process's stores. */
function newFolder(): string {
  const run = process.env[SCRATCH_ENV];
  if (run) return mkdtempSync(join(run, 'stores-'));
  const folder = mkdtempSync(join(ramRoot(), 'gridtally-tests-'));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

async function newEpoch(store: Store): Promise<void> {
  await store.db
    .updateTable('hub_meta')
    .set({ value: randomUUID() })
    .where('key', '=', 'epoch')
    .execute();
}

/** Templates and copies on SQLite files; a copy's files go when it is closed. */
export function sqliteTemplate(seed: Seed): StoreTemplate {
  let folder: string | undefined;
  let made: Promise<string> | undefined;
  let copies = 0;
  const ensureFolder = (): string => (folder ??= newFolder());
  const makeTemplate = async (): Promise<string> => {
    const file = join(ensureFolder(), 'template.sqlite');
    const store = await openSqliteStore(file);
    await seed(store);
    // Closing the last connection checkpoints the WAL into the file and removes it.
    await store.close();
    if (existsSync(`${file}-wal`)) throw new Error(`the template kept a WAL: ${file}-wal`);
    return file;
  };
  return {
    async open() {
      made ??= makeTemplate();
      const template = await made;
      const file = join(ensureFolder(), `store-${++copies}.sqlite`);
      copyFileSync(template, file);
      const store = await openSqliteStore(file);
      await newEpoch(store);
      return {
        ...store,
        async close() {
          await store.close();
          for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
        },
      };
    },
  };
}

/** Templates and copies as databases on `server`. */
export function postgresTemplate(
  server: PostgresServer,
  seed: Seed,
  options: PostgresOptions,
): StoreTemplate {
  let made: Promise<string> | undefined;
  const makeTemplate = async (): Promise<string> => {
    const url = await server.newDatabase();
    const store = await openPostgresStore(url, options);
    await seed(store);
    // A database is a template only while nobody is connected to it.
    await store.close();
    return url;
  };
  return {
    async open() {
      made ??= makeTemplate();
      const store = await openPostgresStore(await server.newDatabase(await made), options);
      await newEpoch(store);
      return store;
    },
  };
}
