/**
 * Goal: the screenshot tour of issue 13. In each language (English, Chinese, Kiswahili) and at
 * each size (a small POS's 360×640, a tablet's 800×1280 portrait, 1280×800 landscape), one
 * tablet walks every agent workflow with the hub down wherever the field works without it:
 * search (a Chinese name by pinyin, a name with a slip), the customer in full (history, a year
 * of use, the first tier, budget, advice), payment by cash (in part), mobile money, card (an
 * overpayment, its preview and the big-amount question) and bank transfer (in full), a prepaid
 * top-up and its tokens, refund and credit-transfer requests and their state, the day's cash
 * and its blind-count handover; a village agent's tablet runs its counter. Each step asserts
 * its screen's key element, that nothing is wider than the screen and that no English word of
 * the app's catalogue is left in Chinese or Kiswahili, and saves a full-page screenshot to
 * test-results/tour/<language>-<width>x<height>/<nn>-<step>.png for a person to look at.
 *
 * Method: one real hub process and two tablets (browser contexts: Amina's and Zawadi's) enrolled
 * once for all nine runs; each run kills the hub (SIGKILL) after its first online look, reloads
 * the field tablet (served by its service worker, signed in with the PIN alone), works offline,
 * then starts the hub again and waits for both tablets to sync. Each run pays its own accounts,
 * read from the hub's database. It takes minutes, so it is a suite of its own
 * (playwright.tour.config.ts), run by `npm run test:long`, not by `npm test`.
 */
import { expect, test as base, type Browser, type Locator, type Page } from '@playwright/test';
import { HubProcess } from '../e2e/hub-process.ts';
import {
  AgentApp,
  chooseLanguage,
  CreditRequestsCard,
  DaysCashPage,
  languageShown,
  overflowing,
  say,
  SignInPage,
  textShown,
  untranslated,
  type Language,
  type WordKey,
} from '../e2e/pages.ts';

const LANGUAGES: readonly Language[] = ['en', 'zh', 'sw'];
const SIZES = [
  { width: 360, height: 640 },
  { width: 800, height: 1280 },
  { width: 1280, height: 800 },
] as const;
type Size = (typeof SIZES)[number];
/** One run walks some thirty screens, two syncs and a hub restart. */
const RUN_LIMIT_MS = 300_000;
/** A Kabondo customer, beyond the village agent's area: found through the hub. */
const WALK_IN = 'GT-10150';
/** The account credit is moved to: on Kabondo, not on the field tablet. */
const TRANSFER_TO = 'GT-10002';
/** A bill's lines are named by the tariff as published (data, like a customer's name). */
const TARIFF_LINE_NAMES = 'table.lines td:first-child';
/** Cash taken in part on an account owing more (at least KES 500). */
const CASH_IN_PART = 300;

/** The accounts one run pays, none paid by another run. */
interface RunAccounts {
  /** Opened online, then offline in full; paid in part in cash. */
  readonly cash: Account;
  readonly mobileMoney: Account;
  /** Paid in full by bank transfer. */
  readonly bankTransfer: Account;
  /** Owes nothing: a card payment is all credit, then asked back and moved. */
  readonly card: Account;
  readonly prepaid: Account;
  /** Paid at the village agent's counter. */
  readonly counter: Account;
}
interface Account {
  readonly number: string;
  readonly owedMinor: number;
}

interface Tour {
  readonly hub: HubProcess;
  readonly field: AgentApp;
  readonly counter: AgentApp;
  accountsOf(run: number): RunAccounts;
}

/** A tablet of its own (a browser context), enrolled and signed in, its route held. */
async function tablet(browser: Browser, hub: HubProcess, who: string, pin: string) {
  const context = await browser.newContext({ viewport: SIZES[0] });
  const agent = await AgentApp.onNewTablet(await context.newPage(), hub, who, pin);
  await agent.waitForOfflineReady();
  return { context, agent };
}

/** The Nyando accounts the runs pay, split by what they owe (every run gets its own). */
function accountPlan(hub: HubProcess): (run: number) => RunAccounts {
  const rows = hub.query<{ account_number: string; balance_minor: number; prepaid: number }>(
    `select a.account_number, a.balance_minor,
            exists(select 1 from prepaid_meters m where m.account_id = a.id) as prepaid
       from accounts a where a.route_id = 'route-nyando' order by a.account_number`,
  );
  const toAccount = (row: (typeof rows)[number]): Account => ({
    number: row.account_number,
    owedMinor: row.balance_minor,
  });
  // The search steps look for these by name: they stay unpaid.
  const named = new Set(['GT-10121', 'GT-10131']);
  const postpaid = rows.filter((row) => !row.prepaid && !named.has(row.account_number));
  const owing = postpaid.filter((row) => row.balance_minor >= 50_000).map(toAccount);
  const clear = postpaid.filter((row) => row.balance_minor === 0).map(toAccount);
  const prepaid = rows.filter((row) => row.prepaid).map(toAccount);
  const runs = LANGUAGES.length * SIZES.length;
  expect(owing.length, 'owing accounts for every run').toBeGreaterThanOrEqual(4 * runs);
  expect(clear.length, 'accounts owing nothing for every run').toBeGreaterThanOrEqual(runs);
  // A meter takes a top-up from each run that comes to it: the tablet holds several tokens.
  expect(prepaid.length, 'prepaid accounts').toBeGreaterThan(0);
  return (run) => {
    const [cash, mobileMoney, bankTransfer, counter] = owing.slice(4 * run, 4 * run + 4);
    const [card, top] = [clear[run], prepaid[run % prepaid.length]];
    if (!cash || !mobileMoney || !bankTransfer || !counter || !card || !top)
      throw new Error(`no accounts for run ${run}`);
    return { cash, mobileMoney, bankTransfer, card, prepaid: top, counter };
  };
}

const test = base.extend<object, { tour: Tour }>({
  tour: [
    async ({ browser }, use) => {
      const hub = await HubProcess.started();
      const field = await tablet(browser, hub, 'amina', '1234');
      const counter = await tablet(browser, hub, 'zawadi', '2468');
      await use({
        hub,
        field: field.agent,
        counter: counter.agent,
        accountsOf: accountPlan(hub),
      });
      await field.context.close();
      await counter.context.close();
      await hub.dispose();
    },
    { scope: 'worker' },
  ],
});

/** The longest piece of a catalogue text without its `{places}`: what the screen must show. */
function shownPart(text: string): string {
  return text
    .split(/\{\w+\}/)
    .map((piece) => piece.trim())
    .reduce((longest, piece) => (piece.length > longest.length ? piece : longest), '');
}

/** Amounts are typed as the agent types them: major units with two decimals. */
function typed(amountMinor: number): string {
  return (amountMinor / 100).toFixed(2);
}

/**
 * One step of the tour: the screen's key element shows, with the catalogue's words for it in
 * the screen's language; nothing is wider than the screen; no English word is left in another
 * language. Then a full-page screenshot. The two screen-wide checks are soft, so one run lists
 * every screen's problems and still saves every screenshot.
 */
class Steps {
  private count = 0;

  constructor(private readonly folder: string) {}

  async shot(page: Page, name: string, key: Locator, words: readonly WordKey[] = []) {
    this.count += 1;
    const label = `${String(this.count).padStart(2, '0')}-${name}`;
    await expect(key.first(), `${label}: its key element`).toBeVisible();
    const language = await languageShown(page);
    const shown = await textShown(page);
    const unsaid = words.filter((word) => !shown.includes(shownPart(say(language, word))));
    expect.soft(unsaid, `${label}: the catalogue's words for it`).toEqual([]);
    expect.soft(await overflowing(page), `${label}: wider than the screen`).toEqual([]);
    expect
      .soft(await untranslated(page, language, TARIFF_LINE_NAMES), `${label}: English left`)
      .toEqual([]);
    await page.screenshot({ path: `${this.folder}/${label}.png`, fullPage: true });
  }
}

for (const [l, language] of LANGUAGES.entries()) {
  for (const [s, size] of SIZES.entries()) {
    const run = l * SIZES.length + s;
    test(`the tour in ${language} at ${size.width}×${size.height}`, async ({ tour }) => {
      test.setTimeout(RUN_LIMIT_MS);
      await walk(tour, run, language, size);
    });
  }
}

async function walk(tour: Tour, run: number, language: Language, size: Size): Promise<void> {
  const { hub, field, counter } = tour;
  const accounts = tour.accountsOf(run);
  const steps = new Steps(`test-results/tour/${language}-${size.width}x${size.height}`);
  const page = field.page;
  const desk = counter.page;
  for (const tablet of [page, desk]) {
    await tablet.setViewportSize(size);
    await chooseLanguage(tablet, language);
  }

  // With the hub up: the customer read from it at once, and a walk-in found through it.
  await field.openCustomer(accounts.cash.number);
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'fresh');
  await expect(page.getByTestId('history-bill').first()).toBeVisible();
  await steps.shot(page, 'customer-online', page.getByTestId('freshness'), ['paymentHistory']);
  await field.backToSearch();
  await counter.search(WALK_IN);
  await steps.shot(desk, 'counter-hub-search', desk.getByTestId('hub-result'), ['fromTheHub']);
  await counter.search('');

  // The hub goes down: the field tablet starts again from its service worker, PIN alone.
  await hub.kill();
  await page.reload();
  await expect(page.getByTestId('data-locked')).toBeVisible();
  await steps.shot(page, 'sign-in-offline', page.getByTestId('data-locked'), ['dataLocked']);
  await new SignInPage(page).signInAgent('amina', '1234');
  await expect(page.getByTestId('offline-session')).toHaveText(say(language, 'offlineSession'));

  await searchSteps(field, steps);
  await customerSteps(field, steps, accounts.cash);
  await paymentSteps(field, steps, accounts);
  await creditSteps(field, steps, accounts.card);
  await topUpSteps(field, steps, accounts.prepaid, topUpOf(run));
  await counterSteps(counter, steps, accounts.counter);
  await cashSteps(field, steps, CASH_IN_PART + topUpOf(run));

  // The hub is back: both tablets sync, the handover and the requests wait for a supervisor.
  await hub.start();
  await field.syncNow();
  await counter.syncNow();
  await expect(page.getByTestId('handover-state')).toHaveText(say(language, 'handoverWaits'), {
    timeout: 30_000,
  });
  await steps.shot(page, 'handover-synced', page.getByTestId('handover-state'));
  await page.keyboard.press('Escape');
  await field.openCustomer(accounts.card.number);
  const requests = new CreditRequestsCard(page);
  await expect(requests.states()).toHaveText(
    [say(language, 'requestWaitsSupervisor'), say(language, 'requestWaitsSupervisor')],
    { timeout: 30_000 },
  );
  await requests.card.scrollIntoViewIfNeeded();
  await steps.shot(page, 'requests-waiting', requests.card, ['requestWaitsSupervisor']);
  await field.backToSearch();
  for (const tablet of [page, desk])
    await expect(tablet.getByTestId('pending-count')).toHaveCount(0, { timeout: 30_000 });
  // The next day starts with an online sign-in: a session opened offline never reads the hub.
  await field.signOut();
  await new SignInPage(page).signInAgent('amina', '1234');
  await field.waitForRoute();
}

async function searchSteps(field: AgentApp, steps: Steps): Promise<void> {
  const page = field.page;
  await field.search('');
  await steps.shot(page, 'search', page.getByTestId('more-results'), ['searchLabel']);
  await field.search('wxm');
  await expect(page.getByTestId('search-result').locator('.name')).toHaveText(['王小明']);
  await steps.shot(page, 'search-pinyin', page.getByTestId('search-result'));
  await field.search('Ngugu Kamua');
  await expect(page.getByTestId('search-result').locator('.name')).toHaveText(['Ngũgĩ Kamau']);
  await steps.shot(page, 'search-typo', page.getByTestId('search-result'), [
    'nearMatches',
    'nearMatch',
  ]);
}

async function customerSteps(field: AgentApp, steps: Steps, account: Account): Promise<void> {
  const page = field.page;
  await field.openCustomer(account.number);
  await expect(page.getByTestId('freshness')).toHaveAttribute('data-state', 'offline');
  await expect(page.getByTestId('usage-bar')).toHaveCount(12);
  await expect(page.getByTestId('history-bill').first()).toBeVisible();
  await expect(page.getByTestId('payment-history')).toBeVisible();
  await expect(page.getByTestId('tier-outlook')).toBeVisible();
  await expect(page.getByTestId('advice').locator('li').first()).toBeVisible();
  // The newest bill opened on its lines.
  await page.getByTestId('history-bill').first().locator('summary').click();
  await expect(page.getByTestId('history-bill').first().locator('table.lines')).toBeVisible();
  await steps.shot(page, 'customer-offline', page.getByTestId('usage-panel'), [
    'paymentHistory',
    'useOfEnergy',
    'advice',
    'budget',
  ]);
  await field.setBudget('1');
  await expect(page.getByTestId('budget-state')).toBeVisible();
  await page.getByTestId('budget-state').scrollIntoViewIfNeeded();
  await steps.shot(page, 'customer-budget', page.getByTestId('budget-state'));
}

async function paymentSteps(field: AgentApp, steps: Steps, accounts: RunAccounts) {
  const page = field.page;
  const preview = page.getByTestId('settles-preview');
  const receipt = page.getByTestId('receipt');
  // Cash, in part: the preview says which bill it pays in part, the change shows.
  await field.fillPayment({ method: 'cash', amount: String(CASH_IN_PART), tendered: '500' });
  await expect(preview).toContainText(say(await languageShown(page), 'paidInPart'));
  await expect(page.getByTestId('change')).toContainText('200.00');
  await steps.shot(page, 'pay-cash-in-part', preview, ['settles']);
  await field.recordPayment();
  await steps.shot(page, 'receipt-cash', receipt, ['receipt', 'syncPending']);
  await field.nextCustomer();

  await field.openCustomer(accounts.mobileMoney.number);
  await field.fillPayment({
    method: 'mobile-money',
    amount: '150',
    provider: 'mpesa',
    reference: `QGH7K2L${runTag(accounts)}`,
    payerPhone: '+254712345678',
  });
  await steps.shot(page, 'pay-mobile-money', preview, ['txReference', 'payerPhone']);
  await field.recordPayment();
  await steps.shot(page, 'receipt-mobile-money', page.getByTestId('receipt-unconfirmed'), [
    'method.mobile-money',
  ]);
  await field.nextCustomer();

  // Bank transfer, in full: every open bill paid, nothing left owed.
  await field.openCustomer(accounts.bankTransfer.number);
  await field.fillPayment({
    method: 'bank-transfer',
    amount: typed(accounts.bankTransfer.owedMinor),
    reference: `FT${runTag(accounts)}KCB0042`,
  });
  await expect(preview).toContainText(say(await languageShown(page), 'paidInFull'));
  await steps.shot(page, 'pay-bank-transfer-in-full', preview, ['settles']);
  await field.recordPayment();
  await steps.shot(page, 'receipt-bank-transfer', receipt, ['method.bank-transfer']);
  await field.nextCustomer();

  // Card, on an account that owes nothing: all credit, so the agent is asked first.
  await field.openCustomer(accounts.card.number);
  await field.fillPayment({ method: 'card', amount: '800', last4: '4242', approvalCode: 'A1B2C3' });
  await expect(preview).toContainText(say(await languageShown(page), 'leftAsCredit'));
  await steps.shot(page, 'pay-card-overpayment', preview, ['cardSlipHint']);
  await field.askToRecord();
  await steps.shot(page, 'big-amount-question', page.getByTestId('big-amount-warning'), [
    'amountIsRight',
  ]);
  await field.confirmBigAmount();
  await steps.shot(page, 'receipt-card', receipt, ['creditAfter']);
  await field.nextCustomer();
}

/** A reference of the run's own, so no two runs' payments look alike. */
function runTag(accounts: RunAccounts): string {
  return accounts.cash.number.replace(/\D/g, '');
}

async function creditSteps(field: AgentApp, steps: Steps, account: Account): Promise<void> {
  const page = field.page;
  await field.openCustomer(account.number);
  const requests = new CreditRequestsCard(page);
  await expect(requests.card.getByTestId('credit-free')).toContainText('800.00');
  await requests.askRefund('300', 'mobile-money', '+254712345678');
  await requests.askTransfer('200', TRANSFER_TO, 'paid-wrong-account');
  const unsynced = say(await languageShown(page), 'requestWaitsHub');
  await expect(requests.states()).toHaveText([unsynced, unsynced]);
  await expect(requests.card.getByTestId('credit-free')).toContainText('300.00');
  await requests.card.scrollIntoViewIfNeeded();
  await steps.shot(page, 'credit-requests', requests.card, ['creditRequests', 'requestWaitsHub']);
  await field.backToSearch();
}

/**
 * Each run's top-up is its own amount: a meter topped up by an earlier run with the same amount
 * would ask whether it is the same payment again.
 */
function topUpOf(run: number): number {
  return 400 + 100 * run;
}

async function topUpSteps(field: AgentApp, steps: Steps, account: Account, amount: number) {
  const page = field.page;
  await field.openCustomer(account.number);
  await field.fillTopUp(String(amount));
  await steps.shot(page, 'top-up', page.getByTestId('top-up-preview'), ['topUpBuys']);
  await field.sellTopUp(String(amount));
  const tokens = await field.tokensShown();
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens.every((digits) => /^\d{9}$/.test(digits))).toBe(true);
  await steps.shot(page, 'top-up-receipt', page.getByTestId('tokens'));
  await field.nextCustomer();
}

async function counterSteps(counter: AgentApp, steps: Steps, account: Account): Promise<void> {
  const page = counter.page;
  await steps.shot(page, 'counter', page.getByTestId('counter-today'), ['area']);
  await counter.openCustomer(account.number);
  const amount = Math.min(150, Math.floor(account.owedMinor / 100));
  await counter.payAtCounter(String(amount), '200.00');
  await expect(page.getByTestId('change')).toContainText(`${200 - amount}.00`);
  await steps.shot(page, 'counter-quick-tender', page.getByTestId('quick-tender'), ['change']);
  await counter.recordPayment();
  await counter.nextCustomer();
  await steps.shot(page, 'counter-served', page.getByTestId('counter-today'));
}

async function cashSteps(field: AgentApp, steps: Steps, cashTaken: number): Promise<void> {
  const page = field.page;
  const cash = new DaysCashPage(page);
  await cash.open();
  await expect(page.getByTestId('method-total')).toHaveCount(4);
  await steps.shot(page, 'days-cash', page.getByTestId('day-totals'), ['daysCash']);
  // The cash taken (in part, and for the top-up), counted in 200 and 100 notes.
  await cash.count({ 20_000: Math.floor(cashTaken / 200), 10_000: (cashTaken % 200) / 100 });
  await expect(page.getByTestId('counted-total')).toContainText(
    new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2 }).format(cashTaken),
  );
  await steps.shot(page, 'blind-count', page.getByTestId('counted-total'), ['blindCountHint']);
  await cash.countDone();
  await expect(page.getByTestId('variance')).toHaveText(
    say(await languageShown(page), 'varianceNone'),
  );
  await steps.shot(page, 'count-result', page.getByTestId('expected-cash'), ['expectedCash']);
  await cash.handOver();
  await steps.shot(page, 'handover', page.getByTestId('handover-state'));
}
