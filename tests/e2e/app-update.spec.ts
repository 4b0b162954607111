/**
 * Goal: a new version of the app never reloads the page over unsynced payments. While a
 * payment waits to sync, the update is announced but cannot be applied; once everything has
 * synced the agent may apply it, and only then does the page reload into the new version.
 *
 * Method: the hub serves a private copy of the built app; the test changes that copy's
 * service worker to publish "a new version", and blocks the push route in the browser to keep
 * a payment unsynced. A marker on `window` shows whether the page reloaded.
 */
import { cpSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { HubProcess } from './hub-process.ts';
import { AgentApp, SignInPage } from './pages.ts';

let hub: HubProcess;
let appCopy: string;

test.beforeEach(async () => {
  appCopy = mkdtempSync(join(tmpdir(), 'gridtally-app-'));
  cpSync('dist/client', appCopy, { recursive: true });
  hub = await HubProcess.create(appCopy);
  await hub.start();
});

test.afterEach(async () => {
  await hub.dispose();
  rmSync(appCopy, { recursive: true, force: true });
});

test('an app update waits until every payment has synced, then reloads only when asked', async ({
  page,
  context,
}) => {
  const agent = new AgentApp(page);
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('baraka', '5678');
  await agent.waitForRoute();
  await agent.waitForOfflineReady();

  await context.route('**/api/sync/push', (route) => route.abort('internetdisconnected'));
  await agent.search('GT-10004');
  await agent.openFirstResult();
  await agent.fillCashPayment('75', '100');
  await agent.recordPayment();
  await expect(page.getByTestId('pending-count')).toHaveText('1 unsynced');
  await page.evaluate(() => Object.assign(window, { gridtallyMarker: 'before-update' }));

  appendFileSync(join(appCopy, 'sw.js'), '\n// a new version of the app\n');
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
  });
  const banner = page.getByRole('status');
  await expect(banner).toContainText('It will install once every payment has synced.');
  await expect(banner.getByRole('button', { name: 'Update now' })).toHaveCount(0);
  await page.screenshot({ path: 'tests/artifacts/update-waits-for-sync.png', fullPage: true });
  // Give the sync timer several rounds: still blocked, still the same page.
  await page.waitForTimeout(7_000);
  await expect(page.getByTestId('pending-count')).toHaveText('1 unsynced');
  expect(await page.evaluate(() => (window as { gridtallyMarker?: string }).gridtallyMarker)).toBe(
    'before-update',
  );

  await context.unroute('**/api/sync/push');
  await expect(page.getByTestId('pending-count')).toHaveCount(0, { timeout: 30_000 });
  await banner.getByRole('button', { name: 'Update now' }).click();
  await page.waitForFunction(
    () => (window as { gridtallyMarker?: string }).gridtallyMarker === undefined,
  );
  // The new version opens with the tablet's data locked, as after any reload: the PIN opens it.
  await expect(page.getByTestId('data-locked')).toBeVisible();
  await new SignInPage(page).signInAgent('baraka', '5678');
  await expect(page.getByTestId('who')).toContainText('Baraka Mwangi');
  await expect(page.getByRole('status')).toHaveCount(0);
});
