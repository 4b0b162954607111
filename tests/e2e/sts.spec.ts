/**
 * Goal: STS top-ups at the door (issue 13, item 2; docs/prepaid-tokens.md, "STS"). Online, the
 * receipt shows the meter's token, vended by the hub, in groups of four digits. Offline, the
 * payment is recorded at once and the receipt says in plain words that the token comes when
 * the tablet syncs; once the network is back the token shows on the same receipt. Either way
 * the hub vended exactly one token for the payment, and the meter, played by the decoder with
 * the demo's vending key, takes it.
 *
 * Method: the worker's shared hub process (customers 139 and 179 are STS meters no other test
 * touches), Debian's Chromium at 800×1280 (online) and 360×640 (offline), the network to the
 * hub cut by aborting every API call; the hub's database read directly. Screenshots in
 * tests/artifacts/ for a person to look at.
 */
import { expect, type Page } from '@playwright/test';
import { demoStsMeterNumber, DEMO_STS } from '../../hub/demo/sts.ts';
import { decoderKeyDkga02 } from '../../hub/prepaid/sts/keys.ts';
import { StsMeter } from '../../hub/prepaid/sts/meter.ts';
import { test, type HubProcess } from './hub-process.ts';
import { AgentApp } from './pages.ts';

const shots = 'tests/artifacts';

/** The meter of customer n, as the hub's vending key makes its decoder key. */
function meterOf(hub: HubProcess, n: number): StsMeter {
  const [key] = hub.query<{ vending_key: string }>('select vending_key from sts_vending_keys');
  return new StsMeter(
    decoderKeyDkga02(Uint8Array.from(Buffer.from(key?.vending_key ?? '', 'hex')), {
      meterNumber: demoStsMeterNumber(n),
      supplyGroupCode: DEMO_STS.supplyGroupCode,
      keyRevisionNumber: DEMO_STS.keyRevisionNumber,
      tariffIndex: DEMO_STS.tariffIndex,
    }),
  );
}

/** The token on the receipt once it shows, as the customer reads it: five groups of four. */
async function tokenShown(page: Page): Promise<string> {
  const token = page.getByTestId('sts-token').getByTestId('token');
  await expect(token).toHaveText(/^\d{4}( \d{4}){4}$/, { timeout: 30_000 });
  return (await token.textContent()) ?? '';
}

function vendsOf(hub: HubProcess, accountId: string) {
  return hub.query<{ request_id: string; tokens: string; energy_deci_kwh: number }>(
    `select request_id, tokens, energy_deci_kwh from sts_vends where account_id = '${accountId}'`,
  );
}

test('an STS top-up sold online shows the hub’s token; sold offline, it says the token comes after sync, then shows it', async ({
  browser,
  sharedHub: hub,
}) => {
  const context = await browser.newContext({ viewport: { width: 800, height: 1280 } });
  const page = await context.newPage();
  const agent = await AgentApp.onNewTablet(page, hub);

  // Online, at 800×1280.
  await agent.search('GT-10139');
  await agent.openFirstResult();
  await agent.fillTopUp('300');
  // No lease and no tokens on the tablet: the preview says what the money buys, nothing more.
  await expect(page.getByTestId('top-up-preview')).not.toContainText('Tokens this tablet');
  await agent.sellTopUp('300');
  await expect(page.getByTestId('sts-meter-number')).toHaveText(demoStsMeterNumber(139));
  const online = await tokenShown(page);
  await expect(page.getByTestId('print-again')).toBeVisible();
  await page.screenshot({ path: `${shots}/sts-receipt-online-800.png`, fullPage: true });
  const sold = vendsOf(hub, 'acc-0139');
  expect(sold).toHaveLength(1);
  expect(JSON.parse(sold[0]?.tokens ?? '[]')).toEqual([
    { digits: online.replace(/ /g, ''), kind: 'credit-electricity' },
  ]);
  const entered = meterOf(hub, 139).enter(online);
  expect(entered).toMatchObject({ ok: true, value: { addedDeciKwh: sold[0]?.energy_deci_kwh } });

  // Offline, at a small POS's 360×640.
  await page.setViewportSize({ width: 360, height: 640 });
  await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await agent.nextCustomer();
  await agent.search('GT-10179');
  await agent.openFirstResult();
  await agent.sellTopUp('200');
  await expect(page.getByTestId('sts-token-waiting')).toContainText(
    'The token comes when this tablet syncs with the hub',
  );
  await expect(page.getByTestId('receipt-sync')).toContainText('Waiting to sync');
  await page.screenshot({ path: `${shots}/sts-receipt-offline-360.png`, fullPage: true });
  expect(vendsOf(hub, 'acc-0179')).toEqual([]);

  await context.unroute('**/api/**');
  // The tablet syncs by itself when the hub answers again; the agent's tap only hurries it.
  await agent.syncNow();
  const later = await tokenShown(page);
  await expect(page.getByTestId('sts-token-waiting')).toHaveCount(0);
  await page.screenshot({ path: `${shots}/sts-receipt-after-sync-360.png`, fullPage: true });
  const vends = vendsOf(hub, 'acc-0179');
  expect(vends).toHaveLength(1);
  expect(JSON.parse(vends[0]?.tokens ?? '[]')[0]?.digits).toBe(later.replace(/ /g, ''));
  expect(meterOf(hub, 179).enter(later).ok).toBe(true);
  await context.close();
});
