/**
 * Goal: a supervisor adds a second factor from the app and from then on signs in only with it:
 * an authenticator app (the QR's key, a code confirmed, recovery codes shown once) and a
 * passkey (the "fingerprint"), each then finishing a password sign-in.
 *
 * Method: a hub of its own (the others sign grace in with her password alone) and Debian's
 * Chromium with a virtual platform authenticator that verifies the user, through the DevTools
 * protocol's WebAuthn domain; TOTP codes computed here with `otpauth` from the key the screen
 * shows, as a phone would.
 */
import { expect, type Page } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';
import { test } from './hub-process.ts';
import { SignInPage } from './pages.ts';

async function virtualAuthenticator(page: Page): Promise<void> {
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('WebAuthn.enable');
  await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

test('a supervisor sets up an authenticator app and a passkey, then signs in with each', async ({
  page,
  ownHub: hub,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await virtualAuthenticator(page);
  await page.goto(hub.url);
  const signIn = new SignInPage(page);
  await signIn.signInSupervisor('grace', 'gridtally-demo');
  await page.getByRole('button', { name: 'Security' }).click();

  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const key = (await page.getByTestId('totp-secret').textContent()) ?? '';
  const phone = new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(key),
  });
  await page.locator('input[name=totp-code]').fill(phone.generate());
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('totp-on')).toContainText('10 recovery codes left');

  await page.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await expect(page.getByTestId('passkey')).toHaveCount(1);
  await page.screenshot({ path: 'tests/artifacts/mfa-security.png', fullPage: true });

  // With a passkey: the password, then the authenticator.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn.signInSupervisor('grace', 'gridtally-demo');
  await expect(page.getByRole('button', { name: 'Use a passkey' })).toBeVisible();
  await expect(page.getByTestId('who')).toHaveCount(0);
  await page.setViewportSize({ width: 360, height: 640 });
  await page.screenshot({ path: 'tests/artifacts/mfa-second-step-360.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page.getByTestId('who')).toContainText('Grace');

  // With the app: a wrong code is refused in words, then the next step's code signs in (the
  // code used to confirm is spent).
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn.signInSupervisor('grace', 'gridtally-demo');
  await page.locator('input[name=second-factor-code]').fill('000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'That code or passkey was not right. Try again.',
  );
  await page
    .locator('input[name=second-factor-code]')
    .fill(phone.generate({ timestamp: Date.now() + 30_000 }));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toContainText('Grace');
});
