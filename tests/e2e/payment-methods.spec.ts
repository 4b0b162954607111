/**
 * Goal: an agent takes a payment by mobile money and by card on a separate terminal as a person
 * does it (issue 13): the method's fields, what was typed cleaned as printed (a reference in
 * upper case without spaces), anything like a card number refused in words, the receipt naming
 * the method and its reference, the hub storing it with its details (mobile money on the review
 * list until the provider confirms it), the supervisor's list showing the method.
 *
 * Method: a real hub process shared with other tests (accounts GT-10061 and GT-10063, which no
 * other test touches) and Debian's Chromium at a small POS's 360×640; screenshots in
 * tests/artifacts/ for a person to look at, in English and in Chinese.
 */
import { expect } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';

test('mobile money and a card payment, typed as printed, reach the hub with their details', async ({
  browser,
  sharedHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub);
  const balance = (accountNumber: string) =>
    Number(
      hub.query<{ balance_minor: number }>(
        'select balance_minor from accounts where account_number = ?',
        accountNumber,
      )[0]?.balance_minor,
    );

  // Mobile money: the reference as the payer's SMS shows it, typed loosely.
  const mobileBefore = balance('GT-10061');
  await agent.search('GT-10061');
  await agent.openFirstResult();
  await page.getByTestId('method-mobile-money').click();
  await page.locator('input[name=amount]').fill('150');
  await page.locator('select[name=provider]').selectOption('mpesa');
  await page.locator('input[name=reference]').fill('qgh7 k2l9xz');
  await page.locator('input[name=payer-phone]').fill('+254 712 345 678');
  // Before recording: which bill it pays (the oldest, in part).
  await expect(page.getByTestId('settles-preview')).toContainText('KES 150.00 · paid in part');
  await page.screenshot({ path: `${shots}/payment-mobile-money-360.png`, fullPage: true });
  await agent.recordPayment();
  await expect(page.getByTestId('receipt-method')).toContainText('Mobile money');
  await expect(page.getByTestId('receipt-unconfirmed')).toContainText('not confirmed it yet');
  await expect(page.getByTestId('receipt')).toContainText('QGH7K2L9XZ');
  await expect(page.getByTestId('receipt')).toContainText('+254712345678');
  await expect(page.getByTestId('receipt-sync')).toHaveText(/Synced|Held/, { timeout: 20_000 });
  await page.screenshot({ path: `${shots}/receipt-mobile-money-360.png`, fullPage: true });
  expect(balance('GT-10061')).toBe(mobileBefore - 15_000);
  expect(
    hub.query<{ method: string; reference: string; flag_reason: string }>(
      "select method, reference, flag_reason from payments p join accounts a on a.id = p.account_id where a.account_number = 'GT-10061'",
    ),
  ).toEqual([
    { method: 'mobile-money', reference: 'QGH7K2L9XZ', flag_reason: 'mobile-money-unconfirmed' },
  ]);

  // A card on the terminal: a card number where the approval code goes is refused in words.
  await page.getByRole('button', { name: 'Next customer' }).click();
  const cardBefore = balance('GT-10063');
  await agent.search('GT-10063');
  await agent.openFirstResult();
  await page.getByTestId('method-card').click();
  // Nothing is owed here: any payment is credit, so the agent is asked first; cancelled, nothing
  // is recorded.
  await page.locator('input[name=amount]').fill('800000');
  await page.locator('input[name=last4]').fill('4242');
  await page.locator('input[name=approval-code]').fill('A1B2C3');
  await expect(page.getByTestId('settles-preview')).toContainText('Left as credit');
  await page.getByRole('button', { name: 'Record payment' }).click();
  await expect(page.getByTestId('big-amount-warning')).toContainText('far above');
  await page.screenshot({ path: `${shots}/payment-far-above-owed-360.png`, fullPage: true });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('receipt')).toHaveCount(0);
  await page.locator('input[name=amount]').fill('80');
  await page.locator('input[name=last4]').fill('4242');
  await page.locator('input[name=approval-code]').fill('4111 1111 1111 1111');
  await page.getByRole('button', { name: 'Record payment' }).click();
  await page.getByTestId('confirm-big-amount').click();
  await expect(page.getByRole('alert')).toContainText(/approval code|card number/);
  await expect(page.getByTestId('receipt')).toHaveCount(0);
  await page.locator('input[name=approval-code]').fill('a1b2c3');
  await agent.recordPayment();
  await expect(page.getByTestId('receipt-method')).toHaveText('Card');
  await expect(page.getByTestId('receipt')).toContainText('Visa •••• 4242');
  await expect(page.getByTestId('receipt')).toContainText('A1B2C3');
  await expect(page.getByTestId('receipt-sync')).toHaveText('Synced', { timeout: 20_000 });
  expect(balance('GT-10063')).toBe(cardBefore - 8_000);

  // The same form in Chinese.
  await page.getByRole('button', { name: 'Next customer' }).click();
  await chooseLanguage(page, 'zh');
  await agent.search('GT-10065');
  await agent.openFirstResult();
  await page.getByTestId('method-bank-transfer').click();
  await expect(page.getByText('交易编号')).toBeVisible();
  await page.screenshot({ path: `${shots}/payment-bank-transfer-zh-360.png`, fullPage: true });
  await chooseLanguage(page, 'en');

  // The supervisor's list names the method and the reference.
  const office = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await office.goto(hub.url);
  await new SignInPage(office).signInSupervisor('grace', 'gridtally-demo');
  await expect(office.getByTestId('collection-row').filter({ hasText: 'GT-10061' })).toContainText(
    'Mobile money · mpesa QGH7K2L9XZ',
  );
  await expect(office.getByTestId('collection-row').filter({ hasText: 'GT-10063' })).toContainText(
    'Card · A1B2C3',
  );
  await office.close();
  await context.close();
});
