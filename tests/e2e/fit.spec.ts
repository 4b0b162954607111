/**
 * Goal: every screen fits the field (issue 13, item 8): at a small POS's 360×640, a tablet's
 * 800×1280 and a landscape 1280×800 nothing is wider than the screen; an accessibility check
 * (axe-core, WCAG 2.1 A and AA) finds no serious or critical violation on any screen, in the
 * normal theme and in high contrast; the app is worked with the keyboard alone, from search to
 * receipt and back, with the focus always visible; high contrast is one tap, kept on the device;
 * at 1280×800 the customer's "Record payment", the receipt's buttons and the count start on the
 * first screen.
 *
 * Method: the shared hub (this test pays only its own customer); Debian's Chromium; axe-core
 * through @axe-core/playwright in the page. Screenshots in tests/artifacts/.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, chooseLanguage, overflowing, SignInPage } from './pages.ts';

const shots = 'tests/artifacts';
const SIZES = [
  { name: '360', width: 360, height: 640 },
  { name: '800', width: 800, height: 1280 },
  { name: '1280', width: 1280, height: 800 },
] as const;
type Size = (typeof SIZES)[number];
/** The supervisor's console is for a desk or a tablet, not a small POS (issue 15). */
const OFFICE_SIZES = SIZES.filter((size) => size.width >= 800);
/** Postpaid, on Amina's route, paid by no other test. */
const POSTPAID = 'GT-10147';
/** Prepaid, on Amina's route, topped up by no other test. */
const PREPAID = 'GT-10119';

/** Serious and critical accessibility violations on the page, as readable lines. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes
          .slice(0, 3)
          .map((node) => `${node.target.join(' ')} ${node.failureSummary ?? ''}`)
          .join('; ')}`,
    );
}

/**
 * The screen as shown now fits every size and passes the check; a screenshot of each size. On
 * the wide screen, `action` (a selector) is on the first screen, not below the fold.
 */
async function checkScreen(
  page: Page,
  name: string,
  sizes: readonly Size[] = SIZES,
  action?: string,
): Promise<void> {
  const original = page.viewportSize();
  for (const size of sizes) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.waitForTimeout(100);
    expect(await overflowing(page), `${name} at ${size.name}`).toEqual([]);
    if (action && size.width >= 1280) {
      await page.evaluate(() => window.scrollTo(0, 0));
      const box = await page.locator(action).first().boundingBox();
      expect(box && box.y + box.height, `${name}: ${action} above the fold`).toBeLessThanOrEqual(
        size.height,
      );
    }
    await page.screenshot({ path: `${shots}/fit-${name}-${size.name}.png` });
  }
  expect(await seriousViolations(page), name).toEqual([]);
  if (original) await page.setViewportSize(original);
}

test('every screen fits 360×640, 800×1280 and 1280×800 and passes axe, in both themes', async ({
  browser,
  sharedHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  await page.goto(hub.url);
  await page.getByTestId('role-agent').click();
  await checkScreen(page, 'enrol');
  const agent = await AgentApp.onNewTablet(page, hub);
  await checkScreen(page, 'search');

  await agent.search(POSTPAID);
  await agent.openFirstResult();
  await checkScreen(page, 'account', SIZES, '[data-testid=payment-form] button[type=submit]');
  await agent.fillCashPayment('40', '50');
  await agent.recordPayment();
  await checkScreen(page, 'receipt', SIZES, '[data-testid=print-again]');

  await page.getByRole('button', { name: 'Next customer' }).click();
  await agent.search(PREPAID);
  await agent.openFirstResult();
  await page.getByTestId('purpose-top-up').click();
  await page.locator('input[name=amount]').fill('100');
  await expect(page.getByTestId('top-up-kwh')).toBeVisible();
  await checkScreen(page, 'top-up');

  await page.getByTestId('open-cash').click();
  await expect(page.locator('main.cash')).toBeVisible();
  await checkScreen(page, 'cash', SIZES, '[data-testid=start-count]');

  // High contrast: one tap, kept after a reload; every check again on the busiest screens.
  await page.getByTestId('contrast-switch').click();
  await expect(page.locator('html')).toHaveAttribute('data-contrast', 'high');
  await expect(page.getByTestId('contrast-switch')).toHaveAttribute('aria-pressed', 'true');
  await checkScreen(page, 'cash-contrast');
  await page.keyboard.press('Escape');
  await agent.search(POSTPAID);
  await agent.openFirstResult();
  await checkScreen(page, 'account-contrast');
  await chooseLanguage(page, 'zh');
  await checkScreen(page, 'account-contrast-zh');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-contrast', 'high');
  await page.getByTestId('contrast-switch').click();
  await expect(page.locator('html')).toHaveAttribute('data-contrast', 'normal');
  await context.close();

  // The supervisor's screens.
  const office = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const officePage = await office.newPage();
  await officePage.goto(hub.url);
  await officePage.getByTestId('role-supervisor').click();
  await checkScreen(officePage, 'supervisor-sign-in', OFFICE_SIZES);
  await new SignInPage(officePage).signInSupervisor('grace', 'gridtally-demo');
  for (const [tab, name] of [
    ['Collections', 'collections'],
    ['To review', 'flags'],
    ['Devices', 'devices'],
    ['Security', 'security'],
  ] as const) {
    await officePage.getByRole('button', { name: tab, exact: true }).click();
    await expect(officePage.locator(`main.${name}`)).toBeVisible();
    await checkScreen(officePage, name, OFFICE_SIZES);
  }
  await office.close();
});

test('the app is worked with the keyboard alone: search, open, pay, receipt, back', async ({
  browser,
  sharedHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  await AgentApp.onNewTablet(page, hub);
  const keys = page.keyboard;

  // The search box has the cursor; arrows go down the results, Enter opens one.
  await expect(page.locator('input[name=search]')).toBeFocused();
  await keys.type(POSTPAID);
  await expect(page.getByTestId('search-result')).toHaveCount(1);
  await keys.press('ArrowDown');
  await expect(page.getByTestId('search-result').first()).toBeFocused();
  const outline = await page.evaluate(
    () => getComputedStyle(document.activeElement as Element).outlineStyle,
  );
  expect(outline).not.toBe('none');
  await keys.press('Enter');
  await expect(page.getByTestId('customer-name')).toBeVisible();

  // Tab goes through the screen, not the top bar first, and reaches the amount.
  let presses = 0;
  while (
    !(await page
      .locator('input[name=amount]')
      .evaluate((field) => field === document.activeElement))
  ) {
    await keys.press('Tab');
    presses += 1;
    expect(presses, 'Tab presses to reach the amount').toBeLessThan(15);
  }
  await keys.type('25');
  await keys.press('Tab');
  await expect(page.locator('input[name=tendered]')).toBeFocused();
  await keys.type('30');
  await keys.press('Enter');
  const big = page.getByTestId('confirm-big-amount');
  await page.getByTestId('receipt').or(big).first().waitFor();
  if (await big.isVisible()) {
    await big.focus();
    await keys.press('Enter');
  }
  await expect(page.getByTestId('receipt')).toBeVisible();
  await expect(page.getByTestId('receipt-amount')).toHaveText('KES 25.00');
  await page.screenshot({ path: `${shots}/keyboard-receipt-360.png` });

  // Escape goes back to the search, where "/" puts the cursor in the box again.
  await keys.press('Escape');
  await expect(page.locator('main.search')).toBeVisible();
  await page.locator('input[name=search]').blur();
  await keys.press('/');
  await expect(page.locator('input[name=search]')).toBeFocused();
  await context.close();
});
