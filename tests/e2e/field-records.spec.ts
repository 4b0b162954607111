/**
 * Goal: what an agent records at the door besides a payment, as a person does it: voiding a
 * payment taken by mistake, reading the meter and printing the bill, correcting a phone
 * number; and the supervisor's list of what needs review.
 *
 * Method: a real hub process and Debian's Chromium, one hub for these tests and others that
 * leave it running (each test works on accounts no other test touches); amounts checked
 * against the hub's own store and the tariff engine; screenshots in tests/artifacts/ for a
 * person to look at.
 */
import { expect, type Page } from '@playwright/test';
import { demoTariff } from '../../hub/demo/tariff.ts';
import { formatMoney, minor } from '../../shared/money.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import { test, type HubProcess } from './hub-process.ts';
import { AgentApp, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';

async function signedInAgent(hub: HubProcess, page: Page): Promise<AgentApp> {
  const agent = new AgentApp(page);
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '1234');
  await agent.waitForRoute();
  return agent;
}

function hubBalance(hub: HubProcess, accountNumber: string): number {
  const [row] = hub.query<{ balance_minor: number }>(
    'select balance_minor from accounts where account_number = ?',
    accountNumber,
  );
  if (!row) throw new Error(`no ${accountNumber}`);
  return Number(row.balance_minor);
}

test('a payment taken by mistake is voided from its receipt: the balance goes back and the hub keeps both records', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = await signedInAgent(hub, page);
  const before = hubBalance(hub, 'GT-10007');
  await agent.search('GT-10007');
  await agent.openFirstResult();
  await agent.fillCashPayment('120', '200');
  await agent.recordPayment();
  await expect(page.getByTestId('receipt-sync')).toHaveText('Synced', { timeout: 20_000 });
  expect(hubBalance(hub, 'GT-10007')).toBe(before - 12_000);
  await expect(page.getByTestId('payment-reference')).toContainText('-');
  await page.screenshot({ path: `${shots}/receipt-with-reference.png`, fullPage: true });

  await page.getByTestId('void-open').click();
  await page.locator('select[name=void-reason]').selectOption('wrong-account');
  await page.getByRole('button', { name: 'Record void' }).click();
  await expect(page.getByTestId('void-slip')).toBeVisible();
  await expect(page.getByTestId('void-amount')).toHaveText(formatMoney(minor(12_000), 'KES'));
  await expect(page.getByTestId('receipt-sync')).toHaveText('Synced', { timeout: 20_000 });
  await page.screenshot({ path: `${shots}/void-slip.png`, fullPage: true });
  expect(hubBalance(hub, 'GT-10007')).toBe(before);
  const payments = hub.query<{ voided_by: string | null }>(
    "select p.voided_by from payments p join accounts a on a.id = p.account_id where a.account_number = 'GT-10007'",
  );
  expect(payments).toHaveLength(1);
  expect(payments[0]?.voided_by).not.toBeNull();

  await page.getByRole('button', { name: 'Next customer' }).click();
  await agent.search('GT-10007');
  await agent.openFirstResult();
  await expect(page.getByTestId('balance')).toHaveText(formatMoney(minor(before), 'KES'));
  await expect(page.getByTestId('own-payment')).toContainText('Voided');
});

test('the agent reads the meter and prints the bill for the days since the last reading', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = await signedInAgent(hub, page);
  const [last] = hub.query<{ read_on: string; register_kwh: number }>(
    "select r.read_on, r.register_kwh from readings r join accounts a on a.id = r.account_id where a.account_number = 'GT-10011' order by r.read_on desc limit 1",
  );
  if (!last) throw new Error('demo readings missing');
  const before = hubBalance(hub, 'GT-10011');
  const today = new Date().toISOString().slice(0, 10);
  const expected = computeBill(demoTariff, { period: { from: last.read_on, to: today }, kwh: 95 });
  if (!expected.ok) throw new Error('demo bill');

  await agent.search('GT-10011');
  await agent.openFirstResult();
  await expect(page.getByTestId('last-reading')).toContainText(String(last.register_kwh));
  await page.locator('input[name=register]').fill(String(last.register_kwh + 95));
  await page.getByRole('button', { name: 'Record reading' }).click();
  await expect(page.getByTestId('bill')).toBeVisible();
  await expect(page.getByTestId('bill-kwh')).toHaveText('95\u00a0kWh');
  await expect(page.getByTestId('bill-total')).toHaveText(
    formatMoney(expected.value.totalMinor, 'KES'),
  );
  await expect(page.getByTestId('receipt-sync')).toHaveText('Synced', { timeout: 20_000 });
  await page.screenshot({ path: `${shots}/bill-at-the-door.png`, fullPage: true });
  expect(hubBalance(hub, 'GT-10011')).toBe(before + expected.value.totalMinor);
});

test('a corrected phone number shows at once and reaches the hub', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = await signedInAgent(hub, page);
  await agent.search('GT-10013');
  await agent.openFirstResult();
  await page.getByTestId('edit-phone').click();
  await page.locator('input[name=contact-value]').fill('+254 711 000 313');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('contact-phone')).toContainText('+254 711 000 313');
  await expect
    .poll(
      () =>
        hub.query<{ phone: string }>(
          "select phone from accounts where account_number = 'GT-10013'",
        )[0]?.phone,
      { timeout: 20_000 },
    )
    .toBe('+254 711 000 313');
  await page.screenshot({ path: `${shots}/contact-corrected.png`, fullPage: true });
});

test('a void from another tablet that arrives before its payment is held, and the supervisor sees it to review', async ({
  page,
  browser,
  sharedHub: hub,
}) => {
  const agent = await signedInAgent(hub, page);
  await agent.search('GT-10015');
  await agent.openFirstResult();
  // A reference from a receipt whose payment has not reached the hub (its tablet is offline).
  const reference = '01900000-0000-7000-8000-000000000abc';
  await page.locator('summary', { hasText: 'Void a receipt from another tablet' }).click();
  await page.locator('input[name=payment-reference]').fill(reference);
  await page.locator('input[name=receipt-amount]').fill('250');
  await page.getByRole('button', { name: 'Record void' }).click();
  await expect(page.getByTestId('void-slip')).toBeVisible();
  await expect(page.getByTestId('receipt-sync')).toHaveText('Held', { timeout: 20_000 });

  const supervisorPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await supervisorPage.goto(hub.url);
  await new SignInPage(supervisorPage).signInSupervisor('grace', 'gridtally-demo');
  await supervisorPage.getByRole('button', { name: 'To review' }).click();
  const row = supervisorPage.getByTestId('flag-row').filter({ hasText: reference });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Held');
  await expect(row).toContainText('GT-10015');
  await supervisorPage.screenshot({ path: `${shots}/supervisor-review.png`, fullPage: true });
  await supervisorPage.close();
});
