/**
 * Goal: search finds a customer the way an agent types, with the hub down (issue 13, item 7):
 * a name without its accents, a Chinese name by its characters and its pinyin initials, a name
 * with a slip (marked as a close match), a phone in national form, an account number with
 * spaces; a number one digit off finds nobody; the customers opened last are offered first.
 * In English, Chinese and Kiswahili, at 360×640 and 800×1280.
 *
 * Method: the shared hub (this test only reads); one browser context as a tablet, the hub cut
 * by aborting every API call once the route is held. Screenshots in tests/artifacts/.
 */
import { expect, type Page } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage } from './pages.ts';

const shots = 'tests/artifacts';

async function resultNames(page: Page): Promise<string[]> {
  return page.getByTestId('search-result').locator('.name').allTextContents();
}

test('search finds customers as agents type them, offline, and offers the ones opened last', async ({
  browser,
  sharedHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub);
  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));

  // Accents, case and spacing: "ngugi" finds Ngũgĩ, "GT 10131" its account.
  await agent.search('ngugi');
  await expect.poll(() => resultNames(page)).toEqual(['Ngũgĩ Kamau']);
  await page.screenshot({ path: `${shots}/search-accents-360.png` });
  await agent.search('GT 10131');
  await expect.poll(() => resultNames(page)).toEqual(['Ngũgĩ Kamau']);

  // A slip in a name: found, and marked as a close match.
  await agent.search('Ngugu Kamua');
  await expect.poll(() => resultNames(page)).toEqual(['Ngũgĩ Kamau']);
  await expect(page.getByText('No exact match. Close matches:')).toBeVisible();
  await expect(page.getByTestId('search-result').getByText('Close match')).toBeVisible();
  await page.screenshot({ path: `${shots}/search-close-match-360.png` });

  // A number is never near: one digit off is another customer, not this one.
  await agent.search('GT-10132');
  await expect(page.getByText('No customer matches.')).toBeVisible();

  // A phone in national form, as customers say it.
  await agent.search('GT-10109');
  await agent.openFirstResult();
  const opened = (await page.getByTestId('customer-name').textContent()) ?? '';
  const phone = (await page.getByTestId('contact-phone').textContent()) ?? '';
  const national = `0${phone.replace(/\D/g, '').slice(-9)}`;
  await page.getByRole('button', { name: /Back/ }).click();
  await agent.search(`${national.slice(0, 4)} ${national.slice(4)}`);
  await expect
    .poll(() => page.getByTestId('search-result').locator('.number').allTextContents())
    .toEqual(['GT-10109']);

  // Chinese: by characters from any one on, and by pinyin initials, with the screen in Chinese.
  await chooseLanguage(page, 'zh');
  await agent.search('小明');
  await expect.poll(() => resultNames(page)).toEqual(['王小明']);
  await agent.search('wxm');
  await expect.poll(() => resultNames(page)).toEqual(['王小明']);
  await page.screenshot({ path: `${shots}/search-pinyin-zh-360.png` });
  await agent.search('chen jing');
  await expect.poll(() => resultNames(page)).toEqual(['陈静怡']);
  await agent.openFirstResult();

  // The customers opened last come first when nothing is typed, the latest on top.
  await page.getByRole('button', { name: /返回/ }).click();
  await agent.search('');
  const recent = page.getByTestId('recent-customers').getByTestId('search-result');
  await expect(recent.locator('.name')).toHaveText(['陈静怡', opened]);
  await expect(page.getByTestId('recent-customers')).toContainText('最近打开');
  await page.screenshot({ path: `${shots}/search-recent-zh-360.png` });

  // A payment still on the tablet counts once in the balance a row shows, also for a customer
  // who is both among the recent ones and the results (the first account of the route).
  await agent.search('GT-10001');
  await agent.openFirstResult();
  await agent.fillCashPayment('10', '10');
  await agent.recordPayment();
  const after = ((await page.getByTestId('receipt-balance').textContent()) ?? '').trim();
  await agent.nextCustomer();
  await agent.search('');
  const rows = page
    .getByTestId('search-result')
    .filter({ has: page.locator('.number').getByText('GT-10001', { exact: true }) });
  await expect(rows).toHaveCount(2);
  for (const row of await rows.all())
    await expect(row.locator('.owed, .clear')).toContainText(after);

  // A tablet's size, in Kiswahili: the same answers.
  await page.setViewportSize({ width: 800, height: 1280 });
  await chooseLanguage(page, 'sw');
  await agent.search('wambui');
  await expect.poll(() => resultNames(page)).toEqual(['Wambũi Njoroge']);
  await agent.search('Wambiu');
  await expect(page.getByTestId('search-result').getByText('Linakaribia')).toBeVisible();
  await page.screenshot({ path: `${shots}/search-close-match-sw-800.png` });
  await context.close();
});
