/**
 * Goal: the everyday paths around the payment, as a person meets them: a wrong PIN, finding a
 * customer by name or phone, the app in Chinese, and a supervisor who mistypes the password.
 *
 * Method: a real hub process and Debian's Chromium; screenshots in tests/artifacts/ for a
 * person to look at (the Chinese one checks that CJK text renders). Tests that only read share
 * one hub; the supervisor's, which count everything the hub holds, have their own.
 */
import { expect } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage, SignInPage } from './pages.ts';

test('a wrong PIN is refused with a clear message and signs nobody in', async ({
  page,
  sharedHub: hub,
}) => {
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '0000');
  await expect(page.getByRole('alert')).toHaveText('The username or PIN is wrong.');
  await expect(page.getByTestId('who')).toHaveCount(0);
});

test('an agent finds a customer by name and by phone, within the route only', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = new AgentApp(page);
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '1234');
  await agent.waitForRoute();
  const [customer] = hub.query<{ name: string; phone: string; account_number: string }>(
    "select name, phone, account_number from accounts where route_id = 'route-nyando' order by account_number limit 1 offset 7",
  );
  if (!customer) throw new Error('demo data missing');
  await agent.search(customer.name);
  await expect(
    page.getByTestId('search-result').filter({ hasText: customer.account_number }),
  ).toHaveCount(1);
  await agent.search(customer.phone.slice(1));
  await expect(page.getByTestId('search-result')).toHaveCount(1);
  await expect(page.getByTestId('search-result')).toContainText(customer.account_number);
  // GT-10002 is in Kabondo, Baraka's route: Amina's device does not hold it.
  await agent.search('GT-10002');
  await expect(page.getByText('No customer matches.')).toBeVisible();
  // The list for what was typed before is never the one tapped: the first result there, right
  // after typing, is the customer asked for (the route's first, GT-10001, was tapped by tests
  // before the list kept to its query).
  await agent.search('');
  await expect(page.getByTestId('search-result').first()).toContainText('GT-10001');
  for (const wanted of ['GT-10099', 'GT-10013', 'GT-10077']) {
    await agent.search(wanted);
    expect(await page.getByTestId('search-result').first().textContent()).toContain(wanted);
  }
});

test('the app speaks Chinese when asked, down to the payment form', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = new AgentApp(page);
  await page.goto(hub.url);
  await chooseLanguage(page, 'zh');
  await page.locator('input[name=enrolment-code]').fill(await hub.enrolmentCode());
  await page.screenshot({ path: 'tests/artifacts/enrol-zh.png', fullPage: true });
  await page.getByRole('button', { name: '登记设备' }).click();
  await expect(page.getByRole('button', { name: '登录' })).toBeVisible();
  await page.locator('input[name=username]').fill('amina');
  await page.locator('input[name=secret]').fill('1234');
  await page.getByRole('button', { name: '登录' }).click();
  await agent.waitForRoute();
  await agent.search('GT-10005');
  await agent.openFirstResult();
  await expect(page.getByText('应缴金额')).toBeVisible();
  await expect(page.getByRole('button', { name: '记录缴费' })).toBeVisible();
  await page.screenshot({ path: 'tests/artifacts/agent-account-zh.png', fullPage: true });
});

// A hub of its own: it expects no collections yet.
test('a supervisor with a wrong password is refused; with the right one sees the collections', async ({
  page,
  ownHub: hub,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(hub.url);
  await new SignInPage(page).signInSupervisor('grace', 'wrong-password');
  await expect(page.getByRole('alert')).toHaveText('The username or password is wrong.');
  await new SignInPage(page).signInSupervisor('grace', 'gridtally-demo');
  await expect(page.getByRole('heading', { name: 'Collections' })).toBeVisible();
  await expect(page.getByText('No collections yet.')).toBeVisible();
});

// A hub of its own: it expects the tablet it enrols to be the only device.
test('a supervisor issues a code shown as text and QR, a tablet enrols with it, and the supervisor revokes it', async ({
  page,
  browser,
  ownHub: hub,
}) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(hub.url);
  await new SignInPage(page).signInSupervisor('grace', 'gridtally-demo');
  await page.getByRole('button', { name: 'Devices' }).click();
  await page.getByRole('button', { name: 'New enrolment code' }).click();
  const code = (await page.getByTestId('enrolment-code-text').textContent()) ?? '';
  expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect(page.getByTestId('enrolment-code').locator('svg')).toBeVisible();

  const tabletContext = await browser.newContext();
  const tablet = await tabletContext.newPage();
  await tablet.goto(hub.url);
  await new SignInPage(tablet).enrol(code);
  await new SignInPage(tablet).signInAgent('baraka', '5678');
  await new AgentApp(tablet).waitForRoute();

  await page.getByRole('button', { name: 'Devices' }).click();
  await page.getByRole('button', { name: 'Collections' }).click();
  await page.getByRole('button', { name: 'Devices' }).click();
  await expect(page.getByTestId('device-row')).toHaveCount(1);
  await page.getByRole('button', { name: 'New enrolment code' }).click();
  await page.screenshot({ path: 'tests/artifacts/supervisor-devices.png', fullPage: true });
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('device-row').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByTestId('device-row')).toContainText('Revoked');

  // The revoked tablet can no longer sign in.
  await new AgentApp(tablet).signOut();
  await new SignInPage(tablet).signInAgent('baraka', '5678');
  await expect(tablet.getByRole('alert')).toHaveText(
    'This device has been revoked by a supervisor. Call your supervisor.',
  );
  await tabletContext.close();
});
