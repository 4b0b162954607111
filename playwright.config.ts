import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium.ts';

// End-to-end tests in Debian's Chromium (browsers cannot be downloaded here). Hub processes run
// on free ports with their own data folders (tests/e2e/hub-process.ts): tests that leave the hub
// running share one per worker, and tests that stop, restart or count everything on a hub get
// their own. Two workers, each with its own shared hub: most of a test's time is waiting (on a
// hub, a page, a timer), and two at once took the run from 4.1 to 3.4 minutes on this two-core
// machine (docs/performance.md); timeouts are generous guards against hangs, not a pace.
export default defineConfig({
  testDir: 'tests/e2e',
  globalSetup: './tests/e2e/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 2,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    viewport: { width: 800, height: 1000 },
    trace: 'retain-on-failure',
  },
});
