import { defineConfig } from 'vitest/config';
import { POSTGRES_REQUIRED, postgresMissing } from './tests/support/postgres.ts';

// Unit and integration tests (pure domain, hub in-process on real SQLite, Dexie logic on
// fake-indexeddb). End-to-end tests in Chromium run under Playwright, from tests/e2e.
//
// The hub's in-process tests (tests/hub) run twice: on SQLite, and again on PostgreSQL
// (GRIDTALLY_TEST_STORE=postgres makes tests/hub/harness.ts open each hub on a fresh database
// of a throw-away cluster), so that every behaviour they pin down holds on both engines.
const shared = { testTimeout: 30_000, hookTimeout: 60_000 };
const missing = postgresMissing();
if (missing && !POSTGRES_REQUIRED)
  console.warn(`[vitest] the hub suite on PostgreSQL is skipped: ${missing}`);
const onPostgres = !missing || POSTGRES_REQUIRED;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/e2e/**', 'node_modules/**'],
          ...shared,
        },
      },
      ...(onPostgres
        ? [
            {
              test: {
                name: 'hub-on-postgres',
                include: ['tests/hub/**/*.test.ts'],
                env: { GRIDTALLY_TEST_STORE: 'postgres' },
                ...shared,
              },
            },
          ]
        : []),
    ],
  },
});
