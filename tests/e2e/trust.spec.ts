/**
 * Goal: on the screens, nothing jams a tablet or misleads the person holding it, and the
 * supervisor's figures agree with the balances. A void typed from a printed receipt number is
 * recorded and the payments after it still sync; a payment that looks like one just taken asks
 * first; a meter reading far above the meter's history asks first; a revoked tablet stops
 * taking money and says why, and can still export; the net collected on the supervisor's
 * screen is the balance movement of a month of field work, and the review list speaks words in
 * each language.
 *
 * Method: a real hub process and Debian's Chromium. Tests that only add their own records share
 * one hub and touch accounts no other test touches; the supervisor's, which counts everything,
 * has a hub of its own seeded with the demo's month. What the hub holds is read from its
 * database directly. Screenshots in tests/artifacts/ at a phone's 360×640 and a tablet's
 * 800×1280, for a person to look at.
 */
import { expect, type Page } from '@playwright/test';
import { HubProcess, test } from './hub-process.ts';
import { AgentApp, chooseLanguage, SignInPage } from './pages.ts';

async function agentOn(page: Page, hub: HubProcess): Promise<AgentApp> {
  const agent = new AgentApp(page);
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '1234');
  await agent.waitForRoute();
  return agent;
}

async function openAccount(agent: AgentApp, accountNumber: string): Promise<void> {
  await agent.search(accountNumber);
  await agent.openFirstResult();
}

async function deviceIdOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('gridtally');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('settings').objectStore('settings').get('device');
          request.onsuccess = () => resolve((request.result as { deviceId: string }).deviceId);
          request.onerror = () => reject(request.error);
        };
      }),
  );
}

test('a void typed from a printed receipt number is recorded, and the payments after it still sync', async ({
  page,
  sharedHub: hub,
}) => {
  await page.setViewportSize({ width: 360, height: 640 });
  const agent = await agentOn(page, hub);
  await openAccount(agent, 'GT-10041');
  await page.getByText('Void a receipt from another tablet').click();
  await page.locator('input[name=payment-reference]').fill('6966D5-1');
  await page.locator('input[name=receipt-amount]').fill('2000');
  await page.getByRole('button', { name: 'Record void' }).click();
  await expect(page.getByRole('alert')).toContainText('Type the receipt number as printed');

  await page.locator('input[name=payment-reference]').fill(' r-6966d5-000009 ');
  await page.getByRole('button', { name: 'Record void' }).click();
  await expect(page.getByTestId('void-of')).toHaveText('R-6966D5-000009');
  await page.screenshot({ path: 'tests/artifacts/void-by-receipt-360.png', fullPage: true });
  await page.getByRole('button', { name: 'Next customer' }).click();
  await openAccount(agent, 'GT-10043');
  await agent.fillCashPayment('1234', '1234');
  await agent.recordPayment();

  const deviceId = await deviceIdOf(page);
  await expect
    .poll(() =>
      hub.query<{ kind: string; outcome: string }>(
        'select kind, outcome from facts where device_id = ? order by seq',
        deviceId,
      ),
    )
    .toEqual([
      { kind: 'void', outcome: 'held' },
      { kind: 'payment', outcome: 'accepted' },
    ]);
});

test('a second payment like the one just taken asks the agent first, naming the first receipt', async ({
  page,
  sharedHub: hub,
}) => {
  await page.setViewportSize({ width: 360, height: 640 });
  const agent = await agentOn(page, hub);
  await openAccount(agent, 'GT-10045');
  await agent.fillCashPayment('1111', '1111');
  await agent.recordPayment();
  const receipt = await page.getByTestId('receipt-number').textContent();
  await page.getByRole('button', { name: 'Next customer' }).click();
  await openAccount(agent, 'GT-10045');
  await agent.fillCashPayment('1111', '1111');
  await page.getByRole('button', { name: 'Record payment' }).click();
  await agent.confirmIfFarAboveOwed();

  const warning = page.getByTestId('duplicate-warning');
  await expect(warning).toContainText(
    `KES 1,111.00 was paid on this account just now, receipt ${receipt ?? ''}`,
  );
  await warning.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'tests/artifacts/duplicate-warning-360.png' });
  await page.getByTestId('confirm-duplicate').click();
  await expect(page.getByTestId('receipt')).toBeVisible();

  const deviceId = await deviceIdOf(page);
  await expect
    .poll(() =>
      hub.query<{ flag_reason: string | null }>(
        "select flag_reason from facts where device_id = ? and kind = 'payment' order by seq",
        deviceId,
      ),
    )
    .toEqual([{ flag_reason: null }, { flag_reason: 'possible-duplicate' }]);
});

test('a meter reading far above the meter’s history asks first, and the hub holds it and its bill for review', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = await agentOn(page, hub);
  await openAccount(agent, 'GT-10047');
  const [last] = hub.query<{ register_kwh: number }>(
    "select register_kwh from readings where account_id = 'acc-0047' order by read_on desc limit 1",
  );
  // 5,000 kWh since the last reading days ago: a thousand a day, far above this home's own.
  await page.locator('input[name=register]').fill(String((last?.register_kwh ?? 0) + 5_000));
  await page.getByRole('button', { name: 'Record reading' }).click();
  await expect(page.getByRole('alert')).toContainText('far more use than this meter’s history');
  await page
    .getByTestId('reading-form')
    .screenshot({ path: 'tests/artifacts/implausible-reading-800.png' });
  await page.getByTestId('confirm-reading').click();
  await expect(page.getByTestId('bill-total')).toBeVisible();

  const deviceId = await deviceIdOf(page);
  await expect
    .poll(() =>
      hub.query<{ kind: string; flag_reason: string | null }>(
        'select kind, flag_reason from facts where device_id = ? order by seq',
        deviceId,
      ),
    )
    .toEqual([
      { kind: 'reading', flag_reason: 'implausible-reading' },
      { kind: 'spot-bill', flag_reason: 'implausible-reading' },
    ]);
});

test('a revoked tablet stops taking money and says why, and can still export what it holds', async ({
  page,
  sharedHub: hub,
}) => {
  const agent = await agentOn(page, hub);
  const deviceId = await deviceIdOf(page);
  const signIn = await fetch(`${hub.url}/api/auth/supervisor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'grace', password: 'gridtally-demo' }),
  });
  const { token } = (await signIn.json()) as { token: string };
  const revoked = await fetch(`${hub.url}/api/devices/${deviceId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(revoked.status).toBe(200);

  // The tablet does not know yet: the payment is taken, and its sync tells the tablet.
  await openAccount(agent, 'GT-10049');
  await agent.fillCashPayment('4949', '5000');
  await agent.recordPayment();
  await expect(page.getByTestId('revoked-banner')).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: 'tests/artifacts/revoked-800.png' });
  await page.getByRole('button', { name: 'Next customer' }).click();
  await openAccount(agent, 'GT-10051');
  await expect(page.locator('input[name=amount]')).toHaveCount(0);
  await page.getByRole('button', { name: /Back/ }).click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-outbox').click();
  expect((await download).suggestedFilename()).toMatch(/^gridtally-outbox-/);
});

test('the supervisor’s net collected is the balance movement of a month, and the review list speaks words in each language', async ({
  page,
}) => {
  const hub = await HubProcess.started(undefined, { HUB_DEMO_ACTIVITY: 'month' });
  try {
    await page.setViewportSize({ width: 800, height: 1280 });
    await page.goto(hub.url);
    await new SignInPage(page).signInSupervisor('grace', 'gridtally-demo');
    await expect(page.getByTestId('collections')).toBeVisible();
    const [moved] = hub.query<{ total: number }>(
      `select sum(ledger.delta_minor) as total from ledger
       join facts on facts.id = ledger.source where facts.kind in ('payment', 'void')`,
    );
    const shown = (await page.getByTestId('net').textContent()) ?? '';
    expect(Math.round(Number(shown.replace(/[^\d.]/g, '')) * 100)).toBe(-(moved?.total ?? 0));
    await page.screenshot({ path: 'tests/artifacts/collections-800.png' });
    await page.setViewportSize({ width: 360, height: 640 });
    await page.screenshot({ path: 'tests/artifacts/collections-360.png' });

    await page.setViewportSize({ width: 800, height: 1280 });
    await page.getByRole('button', { name: 'To review' }).click();
    await expect(page.getByTestId('flag-row').first()).toBeVisible();
    await expect(page.getByTestId('flags')).toContainText('Looks like a payment taken twice');
    await chooseLanguage(page, 'zh');
    await expect(page.getByTestId('flags')).toContainText('疑似重复缴费');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    const text = (await page.getByTestId('flags').textContent()) ?? '';
    for (const raw of ['possible-duplicate', 'amountMinor', '{', 'receiptNumber:'])
      expect(text, `no raw ${raw}`).not.toContain(raw);
    await page.screenshot({ path: 'tests/artifacts/flags-zh-800.png' });
  } finally {
    await hub.dispose();
  }
});
