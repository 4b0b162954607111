/**
 * Goal: a pop-up payment point (issue 13, item 5) as a village agent runs it. Her tablet holds
 * her area (the Nyando route) and says so; a walk-in customer from beyond it (Kabondo) is found
 * through the hub, opened, paid, and kept on the tablet, so the next payment for her works with
 * the hub down; the counter says how many customers it served today and what it took; what it
 * took reaches the hub. A supervisor gives agents a route or an area from the devices screen.
 * In English and Chinese, at a counter tablet's 800×1280 and a small POS's 360×640.
 *
 * Method: a hub process of its own (the test changes an agent's assignment); one browser
 * context per tablet; the hub cut by aborting every API call; the hub's answers read back
 * through its API. Screenshots in tests/artifacts/.
 */
import { expect, type Page } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';
/** On Kabondo, beyond the area of Ahero: postpaid, paid by no other test. */
const WALK_IN = 'GT-10150';
/** On Nyando, in the area: postpaid. */
const NEIGHBOUR = 'GT-10145';

async function payCash(agent: AgentApp, amount: string): Promise<void> {
  await agent.fillCashPayment(amount, amount);
  await agent.recordPayment();
  await expect(agent.page.getByTestId('receipt-amount')).toHaveText(`KES ${amount}.00`);
  await agent.page.getByRole('button', { name: 'Next customer' }).click();
}

async function counterLine(page: Page): Promise<string> {
  return (await page.getByTestId('counter-today').textContent()) ?? '';
}

test('a village agent serves her area offline and any customer through the hub; a supervisor assigns areas', async ({
  browser,
  ownHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 800, height: 1280 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub, 'zawadi', '2468');
  await expect(page.getByTestId('who')).toContainText('Area Ahero');
  await expect(page.getByTestId('counter-today')).toHaveText('Served at this counter today: 0');
  // The area's hundred customers are on the tablet; Kabondo's are not.
  await expect(page.getByTestId('more-results')).toContainText('80 more');
  await agent.search(WALK_IN);
  // None on the tablet, one from the hub: the two lines do not contradict each other.
  await expect(page.getByTestId('no-matches')).toHaveText('None on this tablet.');
  await expect(page.getByText('No customer matches.')).toHaveCount(0);
  const fromHub = page.getByTestId('hub-result');
  await expect(fromHub).toHaveCount(1);
  await expect(fromHub).toContainText('Route Kabondo');
  await page.screenshot({ path: `${shots}/village-hub-search-800.png` });
  await fromHub.click();
  await expect(page.getByTestId('customer-name')).toBeVisible();
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'fresh');
  // Few taps: the customer hands over a 200 note, one tap says so, the change shows.
  await page.locator('input[name=amount]').fill('150');
  await expect(page.getByTestId('quick-tender')).toHaveText([
    'Exact',
    'KES 200.00',
    'KES 500.00',
    'KES 1,000.00',
  ]);
  await page.getByTestId('quick-tender').filter({ hasText: 'KES 200.00' }).click();
  await expect(page.locator('input[name=tendered]')).toHaveValue('200.00');
  await expect(page.getByTestId('change')).toHaveText('KES 50.00');
  await page.screenshot({ path: `${shots}/village-quick-tender-800.png` });
  await agent.recordPayment();
  await expect(page.getByTestId('receipt-amount')).toHaveText('KES 150.00');
  await page.getByRole('button', { name: 'Next customer' }).click();
  await expect.poll(() => counterLine(page)).toContain('today: 1 ·');

  // The hub goes down: the walk-in customer is on the tablet now, and so is the area.
  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await agent.search(WALK_IN);
  await agent.openFirstResult();
  await payCash(agent, '50');
  await agent.search(NEIGHBOUR);
  await agent.openFirstResult();
  await payCash(agent, '200');
  await expect.poll(() => counterLine(page)).toContain('today: 2 ·');
  await expect(page.getByTestId('counter-today')).toContainText('KES 400.00');
  await page.screenshot({ path: `${shots}/village-counter-800.png` });

  // A small POS, in Chinese: the same counter.
  await page.setViewportSize({ width: 360, height: 640 });
  await chooseLanguage(page, 'zh');
  await expect(page.getByTestId('counter-today')).toContainText('本柜台今日已服务：2 位');
  await expect(page.getByTestId('who')).toContainText('片区 Ahero');
  await page.screenshot({ path: `${shots}/village-counter-zh-360.png` });
  await chooseLanguage(page, 'en');

  // Back online: every payment reaches the hub.
  await context.unroute('**/api/**');
  await page.getByTestId('sync-badge').click();
  await expect(page.getByTestId('pending-count')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('sync-badge')).toContainText('Synced');
  await context.close();

  // The supervisor sees who serves what, and gives Baraka the area.
  const office = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const officePage = await office.newPage();
  await officePage.goto(hub.url);
  await new SignInPage(officePage).signInSupervisor('grace', 'gridtally-demo');
  await officePage.getByRole('button', { name: 'Devices', exact: true }).click();
  const agents = officePage.getByTestId('agents');
  await expect(agents.locator('select[name=assignment-zawadi]')).toHaveValue('area:area-ahero');
  await expect(agents.locator('select[name=assignment-baraka]')).toHaveValue('route:route-kabondo');
  await agents.locator('select[name=assignment-baraka]').selectOption('area:area-ahero');
  await expect(agents.locator('select[name=assignment-baraka]')).toHaveValue('area:area-ahero');
  await officePage.reload();
  await officePage.getByRole('button', { name: 'Devices', exact: true }).click();
  await expect(
    officePage.getByTestId('agents').locator('select[name=assignment-baraka]'),
  ).toHaveValue('area:area-ahero');
  await officePage.getByTestId('agents').scrollIntoViewIfNeeded();
  await officePage.screenshot({ path: `${shots}/village-assignments-1280.png` });

  // The walk-in customer's balance at the hub holds both payments.
  const token = (
    (await (
      await fetch(`${hub.url}/api/auth/supervisor`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'grace', password: 'gridtally-demo' }),
      })
    ).json()) as { token: string }
  ).token;
  const payments = (
    (await (
      await fetch(`${hub.url}/api/accounts/acc-0150`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { payments: { amountMinor: number }[] }
  ).payments.map((payment) => payment.amountMinor);
  expect(payments).toEqual(expect.arrayContaining([15_000, 5_000]));
  await office.close();
});
