import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { POSTGRES_REQUIRED, postgresMissing } from './tests/support/postgres.ts';

// Unit and integration tests (pure domain, hub in-process on real SQLite, Dexie logic on
// fake-indexeddb). End-to-end tests in Chromium run under Playwright, from tests/e2e.
//
// The hub's in-process tests (tests/hub) run twice: on SQLite, and again on PostgreSQL
// (GRIDTALLY_TEST_STORE=postgres makes tests/hub/harness.ts open each hub on a fresh database
// of the run's throw-away cluster), so that every behaviour they pin down holds on both engines.
//
// How long each part takes, and what `npm run test:long` adds: docs/performance.md.
// Timeouts only catch a test that hangs. Two files run at once beside the simulation's threads,
// so a test may get a quarter of a core for a while: generous limits keep a busy machine from
// failing a test that is merely slow.
const shared = { testTimeout: 120_000, hookTimeout: 120_000 };

// Two test files at a time on this two-core machine (Vitest's default is one fewer than the
// cores): much of the suite waits on something else, a PostgreSQL server, a hub process
// restarting, a simulated outage, and a second file fills those waits.
const FILES_AT_ONCE = 2;

// The files that take minutes start first, whatever Vitest remembers of earlier runs (a fresh
// clone remembers nothing, and would start the small simulation file last): the rest of the
// suite then runs beside them instead of after them.
const LONGEST_FIRST = [
  'tests/sim/simulation.test.ts',
  'tests/faults/hub-kill.test.ts',
  'tests/fuzz/hostile.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    // Array sort is stable: the rest keep Vitest's order (slowest last time first).
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

const missing = postgresMissing();
if (missing && !POSTGRES_REQUIRED)
  console.warn(`[vitest] the hub suite on PostgreSQL is skipped: ${missing}`);
const onPostgres = !missing || POSTGRES_REQUIRED;

export default defineConfig({
  test: {
    maxWorkers: FILES_AT_ONCE,
    sequence: { sequencer: LongestFirst },
    // A scratch folder for test stores, and one PostgreSQL cluster for every test file that
    // needs one, made and removed around the whole run (tests/support/vitest-setup.ts).
    globalSetup: ['tests/support/vitest-setup.ts'],
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
