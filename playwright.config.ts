import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium.ts';

// End-to-end tests in Debian's Chromium (browsers cannot be downloaded here). Each test starts
// its own hub process on a free port with its own data folder, so tests can stop and restart
// the hub as the field does. One worker: the machine has two cores and each test runs a hub.
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
