/**
 * The browser side of the benchmark: Debian's Chromium launched headless on a profile folder
 * that outlives it (so a later launch finds the service worker and IndexedDB the first one
 * left), the page's stopwatches installed in every document, what the app says on its
 * console collected, and what the device holds read straight from IndexedDB.
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/support/chromium.ts';
import { installProbes } from './probes.ts';

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and warnings and uncaught errors, in the order they came. */
  readonly messages: string[];
}

export async function launch(profileDir: string): Promise<BrowserSession> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 800, height: 1000 },
  });
  await context.addInitScript(installProbes);
  const messages: string[] = [];
  context.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      messages.push(`${message.type()}: ${message.text()}`);
  });
  context.on('weberror', (error) => messages.push(`uncaught: ${error.error().message}`));
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, messages };
}

export interface DeviceState {
  readonly accounts: number;
  readonly pendingFacts: number;
  readonly lastSuccessAt: string | undefined;
  readonly pulling: boolean;
}

/** What the app's database holds, read with the bare IndexedDB API beside the app's Dexie. */
export async function deviceState(page: Page): Promise<DeviceState> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const opening = indexedDB.open('gridtally');
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
    try {
      const transaction = db.transaction(['accounts', 'facts', 'settings'], 'readonly');
      const requests: IDBRequest[] = [
        transaction.objectStore('accounts').count(),
        transaction.objectStore('facts').index('status').count('pending'),
        transaction.objectStore('settings').get('sync'),
      ];
      // Inline callbacks only: a named helper here would not survive the trip to the page.
      const [accounts, pendingFacts, sync] = await Promise.all(
        requests.map(
          (request) =>
            new Promise<unknown>((resolve, reject) => {
              request.onsuccess = () => resolve(request.result);
              request.onerror = () => reject(request.error);
            }),
        ),
      );
      const progress = sync as { lastSuccessAt?: string; pullProgress?: unknown } | undefined;
      return {
        accounts: accounts as number,
        pendingFacts: pendingFacts as number,
        lastSuccessAt: progress?.lastSuccessAt,
        pulling: progress?.pullProgress !== undefined,
      };
    } finally {
      db.close();
    }
  });
}

/** Waits until `check` holds for the device's state, or fails with the last state seen. */
export async function waitForDevice(
  page: Page,
  what: string,
  check: (state: DeviceState) => boolean,
  timeoutMs = 30_000,
): Promise<DeviceState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await deviceState(page);
    if (check(state)) return state;
    if (Date.now() > deadline)
      throw new Error(`the device did not reach "${what}": ${JSON.stringify(state)}`);
    await page.waitForTimeout(200);
  }
}

/**
 * Enrols this browser with a supervisor's code and signs the agent in, as a person would;
 * returns when the first customers show, with the moment "Sign in" was clicked (ms since epoch).
 */
export async function enrolAndSignIn(
  page: Page,
  code: string,
  agent: { username: string; pin: string },
): Promise<number> {
  await page.getByTestId('role-agent').click();
  await page.locator('input[name=enrolment-code]').fill(code);
  await page.getByRole('button', { name: 'Enrol device' }).click();
  await page.locator('input[name=username]').fill(agent.username);
  await page.locator('input[name=secret]').fill(agent.pin);
  const clickedAt = Date.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('search-result').first().waitFor({ timeout: 60_000 });
  return clickedAt;
}

/** The service worker controls the page, so the app can start with no network. */
export async function waitForOfflineReady(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    return navigator.serviceWorker.controller !== null;
  });
}
