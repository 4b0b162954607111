/**
 * Page models: what a person does on each screen, in the words of the screen, so that tests
 * read as workflows and a change of markup is fixed in one place.
 */
import { expect, type Page } from '@playwright/test';

/** Switches the app's language (English, 中文, Kiswahili), as a person does from any screen. */
export async function chooseLanguage(page: Page, language: 'en' | 'zh' | 'sw'): Promise<void> {
  await page.locator('select[name=language]').selectOption(language);
}

export class SignInPage {
  constructor(private readonly page: Page) {}

  /** Enrols this browser as a device with a supervisor's code; the agent form follows. */
  async enrol(code: string): Promise<void> {
    await this.page.getByTestId('role-agent').click();
    await this.page.locator('input[name=enrolment-code]').fill(code);
    await this.page.getByRole('button', { name: 'Enrol device' }).click();
    await expect(this.page.locator('input[name=username]')).toBeVisible();
  }

  async signInAgent(username: string, pin: string): Promise<void> {
    await this.page.getByTestId('role-agent').click();
    await this.page.locator('input[name=username]').fill(username);
    await this.page.locator('input[name=secret]').fill(pin);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }

  async signInSupervisor(username: string, password: string): Promise<void> {
    await this.page.getByTestId('role-supervisor').click();
    await this.page.locator('input[name=username]').fill(username);
    await this.page.locator('input[name=secret]').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }
}

export class AgentApp {
  constructor(readonly page: Page) {}

  /**
   * A tablet enrolled afresh on `hub` with an agent signed in and the route downloaded: how
   * most workflows begin.
   */
  static async onNewTablet(
    page: Page,
    hub: { url: string; enrolmentCode(): Promise<string> },
    username = 'amina',
    pin = '1234',
  ): Promise<AgentApp> {
    const agent = new AgentApp(page);
    await page.goto(hub.url);
    await new SignInPage(page).enrol(await hub.enrolmentCode());
    await new SignInPage(page).signInAgent(username, pin);
    await agent.waitForRoute();
    return agent;
  }

  async waitForRoute(): Promise<void> {
    await expect(this.page.getByTestId('search-result').first()).toBeVisible({ timeout: 30_000 });
  }

  async search(text: string): Promise<void> {
    await this.page.locator('input[name=search]').fill(text);
  }

  async openFirstResult(): Promise<void> {
    await this.page.getByTestId('search-result').first().click();
    await expect(this.page.getByTestId('customer-name')).toBeVisible();
  }

  async balanceText(): Promise<string> {
    return (await this.page.getByTestId('balance').textContent()) ?? '';
  }

  async fillCashPayment(amount: string, tendered: string): Promise<void> {
    await this.page.locator('input[name=amount]').fill(amount);
    await this.page.locator('input[name=tendered]').fill(tendered);
  }

  async recordPayment(): Promise<void> {
    await this.page.getByRole('button', { name: 'Record payment' }).click();
    await this.confirmIfFarAboveOwed();
    await expect(this.page.getByTestId('receipt')).toBeVisible();
  }

  /**
   * After "Record payment": an amount far above what the account owes (any amount, on an account
   * that owes nothing) is confirmed first, as an agent who checked it would.
   */
  async confirmIfFarAboveOwed(): Promise<void> {
    const big = this.page.getByTestId('big-amount-warning');
    await this.page.getByTestId('receipt').or(this.page.getByRole('alert')).first().waitFor();
    if (await big.isVisible()) await this.page.getByTestId('confirm-big-amount').click();
  }

  /** A prepaid top-up of `amount` (the form's default on a prepaid account): its receipt shows. */
  async sellTopUp(amount: string): Promise<void> {
    await this.page.getByTestId('purpose-top-up').click();
    await this.page.locator('input[name=amount]').fill(amount);
    await expect(this.page.getByTestId('top-up-kwh')).toBeVisible();
    await this.page.getByRole('button', { name: 'Sell the top-up' }).click();
    await expect(this.page.getByTestId('receipt')).toBeVisible();
  }

  /** The tokens the receipt shows, as digits without their grouping spaces. */
  async tokensShown(): Promise<string[]> {
    const shown = await this.page.getByTestId('token').allTextContents();
    return shown.map((text) => text.replace(/\s+/g, ''));
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
  }

  /** Waits until the service worker controls the page, so the app can start with no network. */
  async waitForOfflineReady(): Promise<void> {
    await this.page.waitForFunction(async () => {
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller !== null;
    });
  }
}
