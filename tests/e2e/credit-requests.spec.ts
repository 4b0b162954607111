/**
 * Goal: refund and credit-transfer requests at the door (issue 13, item 4). On an account left
 * with credit by an overpayment, an agent with no network asks for part of it back by mobile
 * money and for the rest to be moved to another route's account; asking for more than is free
 * is refused in words and records nothing; each request shows "Not yet synced", then, once the
 * network is back, "Waiting for a supervisor"; the hub holds both and moved no money; the
 * supervisor's review list shows them. In English, then Chinese, at a small POS's 360×640.
 *
 * Method: a hub process of its own; Debian's Chromium; the hub cut by aborting every API call;
 * the hub's database read directly. Screenshots in tests/artifacts/ for a person to look at.
 */
import { expect } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';
/** acc-0025: on Amina's route, postpaid, paid by no other test. */
const ACCOUNT = 'GT-10025';

test('credit asked back and moved offline waits for a supervisor, refused beyond what is free', async ({
  browser,
  ownHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub);
  const owed = () =>
    hub.query<{ balance_minor: number }>(
      "select balance_minor from accounts where id = 'acc-0025'",
    )[0]?.balance_minor ?? 0;
  const owedMinor = owed();
  // Paid 500 more than owed: credit of KES 500.00.
  await agent.search(ACCOUNT);
  await agent.openFirstResult();
  const paid = ((owedMinor + 50_000) / 100).toFixed(2);
  await agent.fillCashPayment(paid, paid);
  await agent.recordPayment();
  await page.getByRole('button', { name: 'Next customer' }).click();

  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await agent.search(ACCOUNT);
  await agent.openFirstResult();
  const card = page.getByTestId('credit-requests');
  await expect(card.getByTestId('credit-free')).toContainText('KES 500.00');

  // More than is free: refused in words, nothing recorded.
  await card.locator('input[name=request-amount]').fill('600');
  await card.getByRole('button', { name: 'Send for approval' }).click();
  await expect(card.getByRole('alert')).toContainText('more credit than the account has free');
  await expect(card.getByTestId('credit-request')).toHaveCount(0);

  // 300 back by mobile money.
  await card.locator('input[name=request-amount]').fill('300');
  await card.locator('select[name=pay-to]').selectOption('mobile-money');
  await card.locator('input[name=pay-to-detail]').fill('+254712345678');
  await card.getByRole('button', { name: 'Send for approval' }).click();
  await expect(card.getByTestId('credit-request')).toHaveCount(1);
  await expect(card.getByTestId('credit-free')).toContainText('KES 200.00');

  // The other 200 to an account of another route, which this tablet does not hold.
  await card.getByTestId('request-transfer-request').click();
  await card.locator('input[name=request-amount]').fill('200');
  await card.locator('input[name=to-account]').fill('GT-10002');
  await card.locator('select[name=request-reason]').selectOption('paid-wrong-account');
  await card.getByRole('button', { name: 'Send for approval' }).click();
  await expect(card.getByTestId('credit-request')).toHaveCount(2);
  await expect(card.getByTestId('credit-request-state').first()).toHaveText('Not yet synced');
  await expect(card.getByTestId('credit-free')).toContainText('KES 0.00');
  await card.screenshot({ path: `${shots}/credit-requests-offline-360.png` });

  await context.unroute('**/api/**');
  await page.getByTestId('sync-badge').click();
  await expect(card.getByTestId('credit-request-state')).toHaveText(
    ['Waiting for a supervisor', 'Waiting for a supervisor'],
    { timeout: 30_000 },
  );
  const held = hub.query<{ kind: string; status: string; to_account_id: string | null }>(
    "select kind, status, to_account_id from credit_requests where account_id = 'acc-0025' order by kind",
  );
  expect(held).toEqual([
    { kind: 'refund-request', status: 'pending', to_account_id: null },
    { kind: 'transfer-request', status: 'pending', to_account_id: 'acc-0002' },
  ]);
  expect(owed()).toBe(-50_000);

  await chooseLanguage(page, 'zh');
  await expect(card.getByTestId('credit-request-state').first()).toHaveText('等待主管审批');
  await card.screenshot({ path: `${shots}/credit-requests-zh-360.png` });
  await context.close();

  const office = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await office.goto(hub.url);
  await new SignInPage(office).signInSupervisor('grace', 'gridtally-demo');
  await office.getByRole('button', { name: 'To review' }).click();
  await expect(office.getByTestId('flag-row').filter({ hasText: 'Refund request' })).toHaveCount(1);
  await expect(
    office.getByTestId('flag-row').filter({ hasText: 'Credit transfer request' }),
  ).toContainText('GT-10002');
  await office.screenshot({ path: `${shots}/credit-requests-review.png`, fullPage: true });
  await office.close();
});
