/**
 * Goal: the hub's edge, seen from the app: the app runs whole under the hub's strict
 * Content-Security-Policy (no violation from enrolment to a payment, a sync and sign-out),
 * signing out in the app ends the session on the hub, and a PIN guessed wrong five times on
 * a tablet locks sign-in there with words the agent understands, a lock that a restart of the
 * hub process does not lift (it is kept in the store).
 *
 * Method: a real hub process at full hashing strength and Debian's Chromium; the console and
 * page errors are watched for CSP reports; the token the sign-in answer carried is tried
 * against the hub after sign-out, as a thief who copied it would.
 */
import { expect } from '@playwright/test';
import { test } from './hub-process.ts';
import { AgentApp, SignInPage } from './pages.ts';

test('the app works under the strict CSP, and signing out ends the session on the hub', async ({
  page,
  sharedHub: hub,
}) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(error.message));
  const tokens: string[] = [];
  page.on('response', async (response) => {
    if (response.url().endsWith('/api/auth/agent') && response.status() === 200)
      tokens.push(((await response.json()) as { token: string }).token);
  });

  const document = await page.goto(hub.url);
  const csp = (await document?.headerValue('content-security-policy')) ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');

  const agent = new AgentApp(page);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '1234');
  await agent.waitForRoute();
  await agent.search('GT-10011');
  await agent.openFirstResult();
  await agent.fillCashPayment('130', '130');
  await agent.recordPayment();
  await expect(page.getByTestId('receipt')).toBeVisible();
  await page.screenshot({ path: 'tests/artifacts/security-receipt-under-csp.png', fullPage: true });
  // Signing out waits for nothing unsynced: the app syncs the payment first.
  await expect(page.getByTestId('sync-badge')).not.toHaveClass(/has-pending/, { timeout: 30_000 });
  await agent.signOut();
  await expect(page.locator('input[name=username]')).toBeVisible();

  expect(tokens).toHaveLength(1);
  const afterSignOut = await page.request.post(`${hub.url}/api/sync/pull`, {
    headers: { authorization: `Bearer ${tokens[0]}` },
    data: {},
  });
  expect(afterSignOut.status()).toBe(401);
  expect(violations).toEqual([]);
});

test('five wrong PINs on a tablet lock sign-in there, in words', async ({
  page,
  sharedHub: hub,
}) => {
  await page.goto(hub.url);
  const signIn = new SignInPage(page);
  await signIn.enrol(await hub.enrolmentCode());
  for (let i = 0; i < 5; i += 1) {
    await signIn.signInAgent('baraka', `000${i}`);
    await expect(page.getByRole('alert')).toHaveText('The username or PIN is wrong.');
  }
  await signIn.signInAgent('baraka', '5678');
  await expect(page.getByRole('alert')).toContainText('Too many wrong tries');
  await expect(page.getByTestId('who')).toHaveCount(0);
  await page.setViewportSize({ width: 360, height: 640 });
  await page.screenshot({ path: 'tests/artifacts/security-pin-locked-360.png', fullPage: true });
});

test('a PIN lock holds across a restart of the hub', async ({ page, ownHub: hub }) => {
  await page.goto(hub.url);
  const signIn = new SignInPage(page);
  await signIn.enrol(await hub.enrolmentCode());
  for (let i = 0; i < 5; i += 1) {
    await signIn.signInAgent('amina', `999${i}`);
    await expect(page.getByRole('alert')).toHaveText('The username or PIN is wrong.');
  }
  await hub.kill();
  await hub.start();
  await signIn.signInAgent('amina', '1234');
  await expect(page.getByRole('alert')).toContainText('Too many wrong tries');
  await expect(page.getByTestId('who')).toHaveCount(0);
});
