/**
 * Goal: the walking skeleton's promise, end to end on the real stack. An agent loads the app
 * online and signs in; the hub dies; the app still starts (served by the service worker),
 * the agent signs in again offline, finds a customer, takes cash and sees the receipt; the hub
 * comes back and the payment reaches it with no user action; the supervisor sees it; and the
 * hub's balance for that customer moved by exactly the amount paid.
 *
 * Method: a real hub process (SQLite on disk) killed with SIGKILL and restarted on the same
 * port and data; Debian's Chromium through Playwright; the hub's database read directly to
 * check balances. Screenshots go to tests/artifacts/ and are looked at by a person.
 */
import { expect, test } from '@playwright/test';
import { HubProcess } from './hub-process.ts';
import { AgentApp, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';

let hub: HubProcess;

test.beforeEach(async () => {
  hub = await HubProcess.create();
  await hub.start();
});

test.afterEach(async () => {
  await hub.dispose();
});

interface AccountRow {
  id: string;
  balance_minor: number;
}

test('a cash payment taken while the hub is down reaches the supervisor once the hub is back', async ({
  page,
  browser,
}) => {
  const agent = new AgentApp(page);
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '1234');
  await agent.waitForRoute();
  await agent.waitForOfflineReady();

  await hub.kill();
  await page.reload();
  // A reload locks the tablet's data: with no hub, the PIN alone opens it (for a while).
  await expect(page.getByTestId('data-locked')).toBeVisible();
  await expect(page.locator('input[name=username]')).toHaveValue('amina');
  await page.screenshot({ path: `${shots}/agent-data-locked.png`, fullPage: true });
  await new SignInPage(page).signInAgent('amina', '1234');
  await expect(page.getByTestId('offline-session')).toHaveText('Signed in offline');

  await agent.search('GT-10003');
  await agent.openFirstResult();
  const [before] = hub.query<AccountRow>(
    "select id, balance_minor from accounts where account_number = 'GT-10003'",
  );
  expect(before).toBeDefined();
  await agent.fillCashPayment('350.50', '500');
  await expect(page.getByTestId('change')).toHaveText('KES 149.50');
  await page.screenshot({ path: `${shots}/agent-payment-form.png`, fullPage: true });
  await agent.recordPayment();
  await expect(page.getByTestId('receipt-amount')).toHaveText('KES 350.50');
  await expect(page.getByTestId('receipt-sync')).toHaveText('Waiting to sync');
  const receiptNumber = (await page.getByTestId('receipt-number').textContent()) ?? '';
  expect(receiptNumber).toMatch(/^R-[0-9A-F]{6}-000001$/);
  await page.screenshot({ path: `${shots}/agent-receipt-offline.png`, fullPage: true });

  await hub.start();
  await expect(page.getByTestId('receipt-sync')).toHaveText('Synced', { timeout: 30_000 });
  await page.screenshot({ path: `${shots}/agent-receipt-synced.png`, fullPage: true });

  const [after] = hub.query<AccountRow>(
    'select id, balance_minor from accounts where id = ?',
    before?.id,
  );
  expect((before?.balance_minor ?? 0) - (after?.balance_minor ?? 0)).toBe(35050);
  const stored = hub.query<{ n: number }>(
    'select count(*) as n from payments where receipt_number = ?',
    receiptNumber,
  );
  expect(stored[0]?.n).toBe(1);

  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await supervisor.goto(hub.url);
  await new SignInPage(supervisor).signInSupervisor('grace', 'gridtally-demo');
  const row = supervisor.getByTestId('collection-row').filter({ hasText: 'GT-10003' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Amina Otieno');
  await expect(row).toContainText('KES 350.50');
  await expect(row).toContainText('Cash');
  await supervisor.screenshot({ path: `${shots}/supervisor-collections.png`, fullPage: true });
  await supervisorContext.close();
});
