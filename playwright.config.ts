import { defineConfig } from '@playwright/test';

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
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
    viewport: { width: 800, height: 1000 },
    trace: 'retain-on-failure',
  },
});
