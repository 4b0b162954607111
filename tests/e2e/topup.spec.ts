/**
 * Goal: a prepaid top-up sold at the door with no network, as an agent does it (issue 13,
 * item 2): the tablet holds its lease from the last sync; offline, the form on a prepaid account
 * sells a top-up, shows what the money buys before it is taken, and the receipt shows the tokens
 * in groups to read out; once the network is back the hub accepts it, sells the energy once and
 * holds the same tokens; the receipt reads the same in Chinese.
 *
 * Method: a hub process of its own (its leases are this tablet's alone), Debian's Chromium at a
 * small POS's 360×640, the network to the hub cut by aborting every API call; the hub's database
 * read directly. Screenshots in tests/artifacts/ for a person to look at.
 */
import { expect } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage } from './pages.ts';

const shots = 'tests/artifacts';

test('a top-up sold offline shows its tokens at once and reaches the hub, sold once', async ({
  browser,
  ownHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub);
  // The sync after the route's pull leases the route's OpenPAYGO meters to this tablet (its
  // STS meters are vended by the hub, never leased).
  const leasable = hub.query<{ n: number }>(
    `select count(*) as n from prepaid_meters m
       join accounts a on a.id = m.account_id
       join users u on u.route_id = a.route_id
      where u.username = 'amina' and m.system = 'openpaygo'`,
  )[0]?.n;
  expect(leasable).toBeGreaterThan(0);
  await expect
    .poll(() => hub.query<{ n: number }>('select count(*) as n from token_leases')[0]?.n, {
      timeout: 20_000,
    })
    .toBe(leasable);

  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await agent.search('GT-10109');
  await agent.openFirstResult();
  await expect(page.getByTestId('prepaid-badge')).toBeVisible();
  // A prepaid meter's tier counts what is bought in the month.
  await expect(page.getByTestId('tier-outlook')).toContainText('bought this month');
  await expect(page.getByTestId('purpose-top-up')).toHaveAttribute('aria-checked', 'true');
  await page.locator('input[name=amount]').fill('500');
  await expect(page.getByTestId('top-up-preview')).toContainText('kWh');
  await expect(page.getByTestId('top-up-preview')).toContainText(
    'Tokens this tablet can still make for this meter: 8',
  );
  await page.screenshot({ path: `${shots}/top-up-form-360.png`, fullPage: true });
  const kwhShown = await page.getByTestId('top-up-kwh').textContent();
  await agent.sellTopUp('500');
  const tokens = await agent.tokensShown();
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens.every((digits) => /^\d{9}$/.test(digits))).toBe(true);
  await expect(page.getByTestId('receipt-kwh')).toHaveText(kwhShown ?? '');
  await expect(page.getByTestId('receipt-sync')).toContainText('Waiting to sync');
  await page.screenshot({ path: `${shots}/top-up-receipt-offline-360.png`, fullPage: true });

  await context.unroute('**/api/**');
  await expect(page.getByTestId('receipt-sync')).toHaveText(/Synced/, { timeout: 30_000 });
  const sold = hub.query<{ status: string; energy_wh: number }>(
    "select status, energy_wh from top_ups where account_id = 'acc-0109'",
  );
  expect(sold).toHaveLength(1);
  expect(sold[0]?.status).toBe('sold');
  const held = hub.query<{ digits: string }>(
    "select digits from top_up_tokens where account_id = 'acc-0109' order by count",
  );
  expect(held.map((row) => row.digits)).toEqual(tokens);
  const flags = hub.query<{ flag_reason: string | null }>(
    "select flag_reason from payments where account_id = 'acc-0109'",
  );
  expect(flags).toEqual([{ flag_reason: null }]);

  await chooseLanguage(page, 'zh');
  await expect(page.getByTestId('tokens')).toContainText('请在电表上输入');
  await page.screenshot({ path: `${shots}/top-up-receipt-zh-360.png`, fullPage: true });
  await context.close();
});
