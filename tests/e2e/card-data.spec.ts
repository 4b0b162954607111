/**
 * Goal: card data stays out of everything Gridtally keeps. After a seeded month of field work
 * and a day in which an agent types card numbers into a customer's name and address (refused
 * on the tablet, in words), no card number is found in the hub's store, its log, a backup of
 * it (restored), or the tablet's IndexedDB files on disk. And the tablet's files hold no
 * customer's name or phone in the clear (client/db/vault.ts): neither the route's, pulled from
 * the hub, nor a new phone typed on the tablet.
 *
 * Method: a real hub process with the demo month and Debian's Chromium with a profile on disk
 * (a persistent context, so IndexedDB is written to files); every file is read as Latin-1 and as
 * UTF-16 and searched with the same rule the app and the hub apply (shared/card-data.ts). So that
 * the scan can fail, it must first find what is certainly there: the customer's name on the hub's
 * side, and on the tablet the account number (kept plain as an index, by design).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect } from '@playwright/test';
import { holdsCardNumber } from '../../shared/card-data.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { HubProcess } from './hub-process.ts';
import { test } from './hub-process.ts';
import { AgentApp, SignInPage } from './pages.ts';

const CARDS = ['4111 1111 1111 1111', '5555-5555-5555-4444'];
/** A phone typed on the tablet: it must reach the hub, and never the tablet's disk in the clear. */
const CANARY_PHONE = '+254 799 314 159';

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .map((name) => join(folder, name))
    .filter((path) => statSync(path).isFile());
}

/** The texts a file may hold: its bytes as Latin-1, and as UTF-16 (V8 keeps some strings so). */
function textsOf(bytes: Buffer): string[] {
  return [
    bytes.toString('latin1'),
    bytes.toString('utf16le'),
    bytes.subarray(1).toString('utf16le'),
  ];
}

interface Scan {
  readonly cardsFound: string[];
  readonly canaryFound: boolean;
}

function scan(where: string, contents: readonly Buffer[], canary: string): Scan {
  const cardsFound: string[] = [];
  let canaryFound = false;
  for (const bytes of contents)
    for (const text of textsOf(bytes)) {
      if (text.includes(canary)) canaryFound = true;
      for (const run of text.match(/\d(?:[ -]?\d){12,}/g) ?? [])
        if (
          holdsCardNumber(run) &&
          CARDS.some((card) => card.replace(/\D/g, '') === run.replace(/\D/g, ''))
        )
          cardsFound.push(`${where}: ${run}`);
    }
  return { cardsFound, canaryFound };
}

test('no card number typed on a tablet reaches the store, the log, a backup or the tablet’s disk, and no name or phone is on the tablet’s disk in the clear', async () => {
  const key = randomBytes(32).toString('base64');
  const hub = await HubProcess.started(undefined, {
    HUB_DEMO_ACTIVITY: 'month',
    HUB_BACKUP_KEY: key,
  });
  const profile = mkdtempSync(join(tmpdir(), 'gridtally-profile-'));
  const restoredDir = mkdtempSync(join(tmpdir(), 'gridtally-restored-'));
  try {
    const [customer] = hub.query<{ name: string }>(
      "select name from accounts where account_number = 'GT-10013'",
    );
    if (!customer) throw new Error('demo data missing');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      viewport: { width: 800, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(hub.url);
    const agent = new AgentApp(page);
    await new SignInPage(page).enrol(await hub.enrolmentCode());
    await new SignInPage(page).signInAgent('amina', '1234');
    await agent.waitForRoute();
    await agent.search('GT-10013');
    await agent.openFirstResult();
    for (const [field, card] of [
      ['address', CARDS[0]],
      ['name', CARDS[1]],
    ] as const) {
      await page.getByTestId(`edit-${field}`).click();
      await page.locator('input[name=contact-value]').fill(`see card ${card}`);
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(page.getByRole('alert')).toContainText('looks like a payment card number');
      await page.getByRole('button', { name: 'Cancel' }).click();
    }
    await page.getByTestId('edit-phone').click();
    await page.locator('input[name=contact-value]').fill(CANARY_PHONE);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText(CANARY_PHONE)).toBeVisible();
    await page.screenshot({ path: 'tests/artifacts/card-number-refused.png', fullPage: true });
    await agent.fillCashPayment('90', '100');
    await agent.recordPayment();
    await expect(page.getByTestId('sync-badge')).not.toHaveClass(/has-pending/, {
      timeout: 30_000,
    });
    await context.close();

    const hubEnv = { ...process.env, HUB_DATA_DIR: hub.dataDir, HUB_BACKUP_KEY: key };
    const backupFile = join(restoredDir, 'backup.gtb');
    execFileSync(process.execPath, ['--import', 'tsx', 'hub/main.ts', 'backup', backupFile], {
      env: hubEnv,
      stdio: 'pipe',
    });
    execFileSync(process.execPath, ['--import', 'tsx', 'hub/main.ts', 'restore', backupFile], {
      env: { ...hubEnv, HUB_DATA_DIR: join(restoredDir, 'data') },
      stdio: 'pipe',
    });

    const places = {
      'the hub’s store': filesUnder(hub.dataDir).map((path) => readFileSync(path)),
      'the hub’s log': [Buffer.from(hub.log)],
      'a restored backup': filesUnder(join(restoredDir, 'data')).map((path) => readFileSync(path)),
      'the tablet’s IndexedDB': filesUnder(profile)
        .filter((path) => path.includes('IndexedDB'))
        .map((path) => readFileSync(path)),
    };
    const tablet = 'the tablet’s IndexedDB';
    for (const [where, contents] of Object.entries(places)) {
      const found = scan(
        where,
        contents,
        where === 'the hub’s log'
          ? 'Gridtally hub on'
          : where === tablet
            ? 'GT-10013'
            : customer.name,
      );
      expect(found.canaryFound, `${where}: the scan sees what is there`).toBe(true);
      expect(found.cardsFound).toEqual([]);
    }
    // The phone typed on the tablet reached the hub...
    expect(
      hub.query<{ phone: string }>(
        "select phone from accounts where account_number = 'GT-10013'",
      )[0]?.phone,
    ).toBe(CANARY_PHONE);
    // ...and neither it nor any name or phone of the agent's route is on the tablet in the clear.
    const route = hub.query<{ name: string; phone: string }>(
      "select a.name, a.phone from accounts a join users u on u.route_id = a.route_id where u.username = 'amina'",
    );
    expect(route.length).toBeGreaterThan(10);
    const tabletTexts = places[tablet].flatMap((bytes) => textsOf(bytes));
    const clear = [CANARY_PHONE, ...route.flatMap((row) => [row.name, row.phone])].filter((text) =>
      tabletTexts.some((file) => file.includes(text)),
    );
    expect(clear).toEqual([]);
  } finally {
    rmSync(profile, { recursive: true, force: true });
    rmSync(restoredDir, { recursive: true, force: true });
    await hub.dispose();
  }
});
