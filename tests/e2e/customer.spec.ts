/**
 * Goal: the customer in full, as an agent at the door sees it (issue 13, item 3). Opened with
 * the hub reachable, the account is read from the hub at once and says so; its history holds a
 * payment another tablet took, which can be reprinted as a copy; a year of use by month, the
 * first tier's outlook and advice in the customer's own figures; bills paid and open with their
 * lines; a budget the customer sets warns when the bill foreseen passes it and reaches the hub.
 * Offline the same screen says the balance is as of the last sync and still shows the history
 * it read, and the sync badge says offline; signed in offline, the screen reads the hub again
 * once the hub is back, and says to sign in online when the hub refuses the session's token.
 * In English, Chinese and Kiswahili, at a small POS's 360×640 and a tablet's 800×1280.
 *
 * Method: a hub process of its own; two browser contexts as two tablets of the same agent; the
 * hub cut by aborting every API call; the hub's database read directly. Screenshots in
 * tests/artifacts/ for a person to look at.
 */
import { expect, type Page } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';
/** acc-0021: on Amina's route, postpaid, paid by no other test. */
const ACCOUNT = 'GT-10021';

async function openCustomer(agent: AgentApp, number: string): Promise<void> {
  await agent.search(number);
  await agent.openFirstResult();
}

async function historyReceipts(page: Page): Promise<string[]> {
  return page.getByTestId('history-payment').allTextContents();
}

test('the customer in full: fresh from the hub, history from every tablet, use, advice, budget; offline as of the last sync', async ({
  browser,
  ownHub: hub,
}) => {
  // Another tablet takes a payment on the account and syncs it.
  const other = await browser.newContext({ viewport: { width: 800, height: 1280 } });
  const otherAgent = await AgentApp.onNewTablet(await other.newPage(), hub);
  await openCustomer(otherAgent, ACCOUNT);
  await otherAgent.fillCashPayment('250', '250');
  await otherAgent.recordPayment();
  await expect(otherAgent.page.getByTestId('receipt-sync')).toHaveText(/Synced/, {
    timeout: 30_000,
  });
  const otherReceipt = (await otherAgent.page.getByTestId('receipt-number').textContent()) ?? '';
  expect(otherReceipt).toMatch(/^R-/);
  await other.close();

  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub);
  // The route's hundred customers: twenty shown, and the list says how many more there are.
  await expect(page.getByTestId('search-result')).toHaveCount(20);
  await expect(page.getByTestId('more-results')).toContainText('80 more');
  await agent.search('GT-1002');
  await expect(page.getByTestId('more-results')).toHaveCount(0);
  await openCustomer(agent, ACCOUNT);
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'fresh');
  await expect(page.getByTestId('freshness')).toContainText('Up to date with the hub');
  // The other tablet's payment, read from the hub, with who took it.
  await expect(page.getByTestId('history-payment').first()).toContainText(otherReceipt);
  await expect(page.getByTestId('history-payment').first()).toContainText('another tablet');
  await expect(page.getByTestId('history-payment').first()).toContainText('KES 250.00');

  // A year of use by month, the tier's outlook and advice in the customer's figures.
  await expect(page.getByTestId('usage-bar')).toHaveCount(12);
  await expect(page.getByTestId('recent-use')).toContainText('kWh a day');
  await expect(page.getByTestId('tier-outlook')).toContainText(/first-tier/);
  await expect(page.getByTestId('advice').locator('li').first()).toContainText('kWh');
  // Bills paid and open, each with lines adding up to it; an open bill's period written as
  // the bills list writes it, first day to last, by locale.
  const openPeriod = (await page.getByTestId('open-bill-period').first().textContent()) ?? '';
  expect(openPeriod).toMatch(/^\d{1,2}\s\p{L}+\s–\s\d{1,2}\s\p{L}+$/u);
  await expect(page.getByTestId('all-bills')).toContainText(openPeriod);
  const bills = page.getByTestId('history-bill');
  expect(await bills.count()).toBeGreaterThanOrEqual(12);
  await bills.first().locator('summary').click();
  await expect(bills.first()).toContainText('VAT');
  await page.screenshot({ path: `${shots}/customer-full-360.png`, fullPage: true });
  await page.getByTestId('usage-panel').screenshot({ path: `${shots}/customer-usage-360.png` });
  await page
    .getByTestId('payment-history')
    .screenshot({ path: `${shots}/customer-history-360.png` });

  // A budget below the bill foreseen: a warning at once, and the setting reaches the hub.
  await expect(page.getByTestId('foreseen-bill')).toContainText(/Bill for \w+ \d{4} foreseen/);
  await page.locator('input[name=budget]').fill('1');
  await page.getByRole('button', { name: 'Set budget' }).click();
  await expect(page.getByTestId('budget-state')).toContainText('Above the budget of KES 1.00');
  await expect
    .poll(
      () =>
        hub.query<{ budget_minor: number | null }>(
          "select budget_minor from accounts where id = 'acc-0021'",
        )[0]?.budget_minor,
      { timeout: 30_000 },
    )
    .toBe(100);

  // Reprint of the other tablet's payment: a copy, marked as one.
  await page
    .getByTestId('history-payment')
    .filter({ hasText: otherReceipt })
    .getByTestId('reprint')
    .click();
  await expect(page.getByTestId('receipt-copy')).toContainText('COPY');
  await expect(page.getByTestId('copy-receipt-number')).toHaveText(otherReceipt);
  await expect(page.getByTestId('copy-amount')).toHaveText('KES 250.00');
  await page.screenshot({ path: `${shots}/customer-receipt-copy-360.png`, fullPage: true });
  await page.getByRole('button', { name: 'Back' }).click();

  // The browser offline: the badge says so at once, and says how long ago it synced when back.
  await expect(page.getByTestId('sync-state')).toContainText('Synced');
  await context.setOffline(true);
  await expect(page.getByTestId('sync-state')).toHaveText('Offline');
  await context.setOffline(false);
  await expect(page.getByTestId('sync-state')).toHaveText(/^Synced (just now|\d+ min ago)$/);

  // Offline: the balance as of the last sync, the history as last read.
  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await page.getByRole('button', { name: /Back/ }).first().click();
  await openCustomer(agent, ACCOUNT);
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'offline');
  await expect(page.getByTestId('freshness')).toContainText('as of the last sync');
  // The badge learns the hub is silent from the screen's failed read, not "Synced" until its
  // next round; and with the browser offline it says so at once.
  await expect(page.getByTestId('sync-state')).toHaveText('Offline', { timeout: 10_000 });
  expect((await historyReceipts(page)).some((text) => text.includes(otherReceipt))).toBe(true);
  await expect(page.getByTestId('history-source')).toContainText('As read from the hub');
  await page.screenshot({ path: `${shots}/customer-offline-360.png`, fullPage: true });

  // In Chinese, every word of the panels.
  await chooseLanguage(page, 'zh');
  await expect(page.getByTestId('freshness')).toContainText('离线');
  await expect(page.getByTestId('payment-history')).toContainText('缴费记录');
  await expect(page.getByTestId('usage-panel')).toContainText('用电情况');
  // The unit in the catalogue's word, not "kWh", and the tier's key readable under the chart.
  await expect(page.getByTestId('tier-label')).toContainText('千瓦时');
  await expect(page.getByTestId('all-bills')).toContainText('千瓦时');
  await expect(page.getByTestId('all-bills')).not.toContainText('kWh');
  // A bill's lines by their names in the reader's language: the engine's tiers and the demo
  // tariff's own labels, as the hub sent them before the network went.
  const firstBill = page.getByTestId('history-bill').first();
  await firstBill.locator('summary').click();
  await expect(firstBill.getByText('电量电费，第1档')).toBeVisible();
  await expect(firstBill.getByText('增值税')).toBeVisible();
  await expect(firstBill).not.toContainText('Energy');
  await page.screenshot({ path: `${shots}/customer-offline-zh-360.png`, fullPage: true });
  // And in Kiswahili, for the demo deployment's agents.
  await chooseLanguage(page, 'sw');
  await expect(page.getByTestId('freshness')).toContainText('Nje ya mtandao');
  await expect(page.getByTestId('payment-history')).toContainText('Historia ya malipo');
  await expect(page.getByTestId('usage-panel')).toContainText('Matumizi ya umeme');
  await expect(firstBill.getByText('Nishati, daraja 1')).toBeVisible();
  await expect(firstBill.getByText('Ada ya kudumu')).toBeVisible();
  await page.screenshot({ path: `${shots}/customer-offline-sw-360.png`, fullPage: true });
  // Started again offline, the app speaks the language chosen from its first screen.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Ingia' })).toBeVisible();
  await expect(page.locator('select[name=language]')).toHaveValue('sw');
  // Signed in offline, then the hub back: the customer's screen reads the hub again by itself
  // once a sync goes through, with the token of the last online sign-in.
  await new SignInPage(page).signInAgent('amina', '1234');
  await expect(page.getByTestId('offline-session')).toBeVisible();
  await openCustomer(agent, ACCOUNT);
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'offline');
  await context.unroute('**/api/**');
  await agent.syncNow();
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'fresh', {
    timeout: 30_000,
  });
  // A token the hub no longer takes: not "offline", but what to do to see the live balance.
  await context.route('**/api/accounts/**', (route) =>
    route.fulfill({
      status: 401,
      json: { error: 'not-signed-in', message: 'Sign in again.' },
    }),
  );
  await agent.backToSearch();
  await openCustomer(agent, ACCOUNT);
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'sign-in-for-live');
  await expect(page.getByTestId('freshness')).toContainText('Ingia mtandaoni kuona salio la sasa');
  await context.close();

  // A tablet's portrait screen, online, in Chinese.
  const tablet = await browser.newContext({ viewport: { width: 800, height: 1280 } });
  const big = await tablet.newPage();
  const onTablet = await AgentApp.onNewTablet(big, hub);
  await chooseLanguage(big, 'zh');
  await openCustomer(onTablet, ACCOUNT);
  await expect(big.getByTestId('freshness')).toHaveAttribute('data-state', 'fresh');
  await expect(big.getByTestId('budget-state')).toContainText('超出预算');
  await big.screenshot({ path: `${shots}/customer-full-zh-800.png`, fullPage: true });
  await big.getByTestId('usage-panel').screenshot({ path: `${shots}/customer-usage-zh-800.png` });
  await tablet.close();
});
