import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium.ts';

// End-to-end tests in Debian's Chromium (browsers cannot be downloaded here). Hub processes run
// on free ports with their own data folders (tests/e2e/hub-process.ts): tests that leave the hub
// running share one per worker, and tests that stop, restart or count everything on a hub get
// their own. One worker: the machine has two cores, and Chromium and a hub fill them.
export default defineConfig({
  testDir: 'tests/e2e',
  globalSetup: './tests/e2e/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
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
