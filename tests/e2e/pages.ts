/**
 * Page models: what a person does on each screen, in the words of the screen, so that tests
 * read as workflows and a change of markup is fixed in one place. Buttons are found by their
 * words in the language the screen is in (the app's own catalogues, client/ui/i18n), so a
 * workflow reads the same in English, Chinese and Kiswahili. Two checks any screen can take:
 * nothing wider than the screen (`overflowing`), and no English word left in another
 * language (`untranslated`).
 */
import { expect, type Locator, type Page } from '@playwright/test';
import * as en from '../../client/ui/i18n/en.ts';
import * as sw from '../../client/ui/i18n/sw.ts';
import * as zh from '../../client/ui/i18n/zh.ts';

export type Language = 'en' | 'zh' | 'sw';
export type WordKey = en.WordKey;
const catalogues = { en, zh, sw } as const;

/** A word of the app's catalogue in a language, as the screen shows it. */
export function say(language: Language, key: WordKey): string {
  return catalogues[language].words[key];
}

/** The language the screen is in now, from the switch in the top bar or the sign-in screen. */
export async function languageShown(page: Page): Promise<Language> {
  return (await page.locator('select[name=language]').inputValue()) as Language;
}

/** Switches the app's language (English, 中文, Kiswahili), as a person does from any screen. */
export async function chooseLanguage(page: Page, language: Language): Promise<void> {
  await page.locator('select[name=language]').selectOption(language);
}

/** A button named by its word in the language the screen is in. */
async function button(page: Page, key: WordKey): Promise<Locator> {
  return page.getByRole('button', { name: say(await languageShown(page), key) });
}

/** What is wider than the screen, by its test id or tag and how far it reaches. */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide: string[] = [];
    if (document.documentElement.scrollWidth > width + 1)
      wide.push(`the page: ${document.documentElement.scrollWidth} > ${width}`);
    for (const element of document.querySelectorAll<HTMLElement>('main *, header *')) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1) continue;
      // Inside something that scrolls on its own (a wide table in its frame) is not cut off.
      let scroller = element.parentElement;
      while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX))
        scroller = scroller.parentElement;
      if (scroller) continue;
      const name = element.dataset['testid'] ?? element.className ?? element.tagName;
      wide.push(`${element.tagName.toLowerCase()} ${name}: right edge ${Math.round(box.right)}`);
    }
    return wide.slice(0, 10);
  });
}

/** The English catalogue's text without its `{places}`, in pieces long enough to mean a word. */
function englishPieces(language: Exclude<Language, 'en'>): { key: string; piece: string }[] {
  const own = catalogues[language];
  // A piece the other language itself uses (a brand, "PIN", "Gridtally") is not left over.
  const ownText = [...Object.values(own.words), ...Object.values(own.errors)].join('\n');
  const pieces: { key: string; piece: string }[] = [];
  const tables = [
    [en.words, own.words],
    [en.errors, own.errors],
  ] as const;
  for (const [english, translated] of tables) {
    for (const [key, text] of Object.entries(english)) {
      if ((translated as Record<string, string>)[key] === text) continue;
      for (const raw of text.split(/\{\w+\}/)) {
        const piece = raw.replace(/^[^A-Za-z]+|[^A-Za-z]+$/g, '');
        if (!/[A-Za-z]{4,}/.test(piece) || wordIn(piece, ownText)) continue;
        pieces.push({ key, piece });
      }
    }
  }
  return pieces;
}

function wordIn(piece: string, text: string): boolean {
  const escaped = piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![A-Za-z])${escaped}(?![A-Za-z])`).test(text);
}

/**
 * English words of the app's catalogue on a screen in another language, each with the key it
 * comes from: the text shown, and what a screen reader or a tooltip says (labels, placeholders,
 * titles). Names, numbers and codes are not in the catalogue, so they never count; `except`
 * names elements that show data rather than the app's words.
 */
export async function untranslated(
  page: Page,
  language: Language,
  except?: string,
): Promise<string[]> {
  if (language === 'en') return [];
  const shown = await textShown(page, except);
  return englishPieces(language)
    .filter(({ piece }) => wordIn(piece, shown))
    .map(({ key, piece }) => `${key}: "${piece}"`);
}

/**
 * The text a person meets on the screen: what it shows, and its labels, placeholders, titles;
 * without what the elements matching `except` show.
 */
export async function textShown(page: Page, except?: string): Promise<string> {
  return page.evaluate((except) => {
    const said = [...document.querySelectorAll('[placeholder], [aria-label], [title]')].flatMap(
      (element) =>
        ['placeholder', 'aria-label', 'title'].map((name) => element.getAttribute(name) ?? ''),
    );
    let text = document.body.innerText;
    for (const data of except ? document.querySelectorAll<HTMLElement>(except) : [])
      text = text.replace(data.innerText, '');
    return [text, ...said].join('\n');
  }, except);
}

export class SignInPage {
  constructor(private readonly page: Page) {}

  /** Enrols this browser as a device with a supervisor's code; the agent form follows. */
  async enrol(code: string): Promise<void> {
    await this.page.getByTestId('role-agent').click();
    await this.page.locator('input[name=enrolment-code]').fill(code);
    await (await button(this.page, 'enrol')).click();
    await expect(this.page.locator('input[name=username]')).toBeVisible();
  }

  async signInAgent(username: string, pin: string): Promise<void> {
    await this.page.getByTestId('role-agent').click();
    await this.page.locator('input[name=username]').fill(username);
    await this.page.locator('input[name=secret]').fill(pin);
    await (await button(this.page, 'signIn')).click();
  }

  async signInSupervisor(username: string, password: string): Promise<void> {
    await this.page.getByTestId('role-supervisor').click();
    await this.page.locator('input[name=username]').fill(username);
    await this.page.locator('input[name=secret]').fill(password);
    await (await button(this.page, 'signIn')).click();
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

  /** The customer with this account number, found and opened. */
  async openCustomer(accountNumber: string): Promise<void> {
    await this.search(accountNumber);
    await expect(this.page.getByTestId('search-result').first()).toContainText(accountNumber);
    await this.openFirstResult();
  }

  /** From a customer's screen back to the search. */
  async backToSearch(): Promise<void> {
    await (await button(this.page, 'back')).first().click();
    await expect(this.page.locator('input[name=search]')).toBeVisible();
  }

  /** From a receipt, on to the next customer. */
  async nextCustomer(): Promise<void> {
    await (await button(this.page, 'newCustomer')).click();
    await expect(this.page.locator('input[name=search]')).toBeVisible();
  }

  /** Asks the tablet to sync now (the badge in the top bar). */
  async syncNow(): Promise<void> {
    await this.page.getByTestId('sync-badge').click();
  }

  /** The customer's monthly budget, set as the customer asks. */
  async setBudget(amount: string): Promise<void> {
    await this.page.locator('input[name=budget]').fill(amount);
    await (await button(this.page, 'budgetSave')).click();
  }

  /** The payment form filled for a way to pay, with what that way asks for. */
  async fillPayment(payment: Payment): Promise<void> {
    await this.page.getByTestId(`method-${payment.method}`).click();
    await this.page.locator('input[name=amount]').fill(payment.amount);
    switch (payment.method) {
      case 'cash':
        await this.page.locator('input[name=tendered]').fill(payment.tendered);
        break;
      case 'mobile-money':
        await this.page.locator('select[name=provider]').selectOption(payment.provider);
        await this.page.locator('input[name=reference]').fill(payment.reference);
        await this.page.locator('input[name=payer-phone]').fill(payment.payerPhone);
        break;
      case 'card':
        await this.page.locator('input[name=last4]').fill(payment.last4);
        await this.page.locator('input[name=approval-code]').fill(payment.approvalCode);
        break;
      case 'bank-transfer':
        await this.page.locator('input[name=reference]').fill(payment.reference);
        break;
    }
  }

  /** "Record payment" pressed; the receipt, a question or an error follows. */
  async askToRecord(): Promise<void> {
    await (await button(this.page, 'recordPayment')).click();
  }

  /** The warning of an amount far above what is owed, answered "the amount is right". */
  async confirmBigAmount(): Promise<void> {
    await this.page.getByTestId('confirm-big-amount').click();
    await expect(this.page.getByTestId('receipt')).toBeVisible();
  }

  /** At a counter: the amount, then one tap on the note the customer hands over. */
  async payAtCounter(amount: string, note: string): Promise<void> {
    await this.page.locator('input[name=amount]').fill(amount);
    await this.page.getByTestId('quick-tender').filter({ hasText: note }).click();
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
    await this.askToRecord();
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
    await (await button(this.page, 'sellTopUp')).click();
    await expect(this.page.getByTestId('receipt')).toBeVisible();
  }

  /** The top-up form on a prepaid account, with what the amount buys shown. */
  async fillTopUp(amount: string): Promise<void> {
    await this.page.getByTestId('purpose-top-up').click();
    await this.page.locator('input[name=amount]').fill(amount);
    await expect(this.page.getByTestId('top-up-kwh')).toBeVisible();
  }

  /** The tokens the receipt shows, as digits without their grouping spaces. */
  async tokensShown(): Promise<string[]> {
    const shown = await this.page.getByTestId('token').allTextContents();
    return shown.map((text) => text.replace(/\s+/g, ''));
  }

  async signOut(): Promise<void> {
    await (await button(this.page, 'signOut')).click();
  }

  /** Waits until the service worker controls the page, so the app can start with no network. */
  async waitForOfflineReady(): Promise<void> {
    await this.page.waitForFunction(async () => {
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller !== null;
    });
  }
}

export type Payment =
  | { method: 'cash'; amount: string; tendered: string }
  | {
      method: 'mobile-money';
      amount: string;
      provider: string;
      reference: string;
      payerPhone: string;
    }
  | { method: 'card'; amount: string; last4: string; approvalCode: string }
  | { method: 'bank-transfer'; amount: string; reference: string };

/** The customer's card for asking credit back or moved to another account. */
export class CreditRequestsCard {
  readonly card: Locator;

  constructor(private readonly page: Page) {
    this.card = page.getByTestId('credit-requests');
  }

  /** Credit asked back, paid out by `payTo` (cash, mobile money, bank transfer) to `detail`. */
  async askRefund(amount: string, payTo: string, detail: string): Promise<void> {
    await this.ask('refund-request', amount, {
      'select[name=pay-to]': payTo,
      'input[name=pay-to-detail]': detail,
    });
  }

  /** Credit asked to move to another account, for a reason from the form's list. */
  async askTransfer(amount: string, toAccount: string, reason: string): Promise<void> {
    await this.ask('transfer-request', amount, {
      'input[name=to-account]': toAccount,
      'select[name=request-reason]': reason,
    });
  }

  /** Each request's state, newest first, in the screen's words. */
  states(): Locator {
    return this.card.getByTestId('credit-request-state');
  }

  /** One request sent for approval: its fields by selector, then one more request listed. */
  private async ask(
    kind: 'refund-request' | 'transfer-request',
    amount: string,
    fields: Readonly<Record<string, string>>,
  ): Promise<void> {
    const before = await this.card.getByTestId('credit-request').count();
    await this.card.getByTestId(`request-${kind}`).click();
    await this.card.locator('input[name=request-amount]').fill(amount);
    for (const [selector, value] of Object.entries(fields)) {
      const field = this.card.locator(selector);
      if (selector.startsWith('select')) await field.selectOption(value);
      else await field.fill(value);
    }
    await (await button(this.page, 'sendRequest')).click();
    await expect(this.card.getByTestId('credit-request')).toHaveCount(before + 1);
  }
}

/** The day's cash: totals by method, then the blind count and the handover. */
export class DaysCashPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByTestId('open-cash').click();
    await expect(this.page.getByTestId('day-totals')).toBeVisible();
  }

  /**
   * Starts the count and counts notes and coins, by value in minor units: the expected cash,
   * and every total by method, stay hidden while the count is made.
   */
  async count(pieces: Readonly<Record<number, number>>): Promise<void> {
    await this.page.getByTestId('start-count').click();
    await expect(this.page.getByTestId('totals-hidden')).toBeVisible();
    await expect(this.page.getByTestId('method-total')).toHaveCount(0);
    for (const [valueMinor, count] of Object.entries(pieces))
      await this.page.locator(`input[name=count-${valueMinor}]`).fill(String(count));
    await expect(this.page.getByTestId('expected-cash')).toHaveCount(0);
  }

  /** The count finished: now the screen shows what was expected and the difference. */
  async countDone(): Promise<void> {
    await this.page.getByTestId('count-done').click();
    await expect(this.page.getByTestId('expected-cash')).toBeVisible();
  }

  async handOver(): Promise<void> {
    await (await button(this.page, 'handOver')).click();
    await expect(this.page.getByTestId('handover-state')).toBeVisible();
  }
}
