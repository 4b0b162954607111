import { defineConfig } from 'vitest/config';

// Unit and integration tests (pure domain, hub in-process on real SQLite, Dexie logic on
// fake-indexeddb). End-to-end tests in Chromium run under Playwright, from tests/e2e.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
