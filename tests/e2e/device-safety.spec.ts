/**
 * Goal: the device keeps its facts whole and its chain unbroken when people do what people do:
 * work in two tabs at once, reload in the middle of recording a payment, and carry an exported
 * file to the office when there is no network.
 *
 * Method: a real hub process and Debian's Chromium. The device's IndexedDB is read from the
 * page with the plain IndexedDB API, the hub's database directly; the chain is checked on the
 * hub, which refuses any batch that does not extend it. The first two tests share a hub with
 * others that leave it running, and read on it only their own device's facts, of accounts no
 * other test touches; the export, which counts all the hub's collections, has its own.
 */
import { expect, type Page } from '@playwright/test';
import { test, type HubProcess } from './hub-process.ts';
import { AgentApp, SignInPage } from './pages.ts';

/** What the device holds: its facts' seqs and the chain head, read with the plain IndexedDB API. */
async function deviceState(page: Page): Promise<{ seqs: number[]; headSeq: number }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('gridtally');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['facts', 'settings'], 'readonly');
          const keys = tx.objectStore('facts').getAllKeys();
          const device = tx.objectStore('settings').get('device');
          tx.oncomplete = () => {
            resolve({
              seqs: (keys.result as number[]).sort((a, b) => a - b),
              headSeq: (device.result as { headSeq: number }).headSeq,
            });
            db.close();
          };
        };
      }),
  );
}

/** The device's id, from its settings, read with the plain IndexedDB API. */
async function deviceIdOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('gridtally');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const device = db
            .transaction('settings', 'readonly')
            .objectStore('settings')
            .get('device');
          device.onsuccess = () => {
            resolve((device.result as { deviceId: string }).deviceId);
            db.close();
          };
          device.onerror = () => reject(device.error);
        };
      }),
  );
}

/** The seqs of one device's facts that the hub holds, in order. */
function hubSeqs(hub: HubProcess, deviceId: string): number[] {
  return hub
    .query<{ seq: number }>('select seq from facts where device_id = ? order by seq', deviceId)
    .map((row) => row.seq);
}

async function payFrom(agent: AgentApp, account: string, amount: string): Promise<void> {
  await agent.search(account);
  await agent.openFirstResult();
  await agent.fillCashPayment(amount, amount);
  await agent.recordPayment();
  await agent.page.getByRole('button', { name: 'Next customer' }).click();
}

test('two tabs recording at once write one unbroken chain, and every payment reaches the hub once', async ({
  context,
  sharedHub: hub,
}) => {
  const first = await context.newPage();
  await first.goto(hub.url);
  await new SignInPage(first).enrol(await hub.enrolmentCode());
  await new SignInPage(first).signInAgent('amina', '1234');
  await new AgentApp(first).waitForRoute();
  const second = await context.newPage();
  await second.goto(hub.url);
  await new AgentApp(second).waitForRoute();

  await Promise.all([
    (async () => {
      for (const [account, amount] of [
        ['GT-10021', '11'],
        ['GT-10023', '13'],
        ['GT-10025', '15'],
      ] as const)
        await payFrom(new AgentApp(first), account, amount);
    })(),
    (async () => {
      for (const [account, amount] of [
        ['GT-10027', '17'],
        ['GT-10029', '19'],
        ['GT-10031', '21'],
      ] as const)
        await payFrom(new AgentApp(second), account, amount);
    })(),
  ]);
  expect(await deviceState(first)).toEqual({ seqs: [1, 2, 3, 4, 5, 6], headSeq: 6 });
  await expect(first.getByTestId('pending-count')).toHaveCount(0, { timeout: 30_000 });
  const deviceId = await deviceIdOf(first);
  expect(hubSeqs(hub, deviceId)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(
    hub.query<{ n: number }>(
      'select count(*) as n from payments p join facts f on f.id = p.fact_id where f.device_id = ?',
      deviceId,
    )[0]?.n,
  ).toBe(6);
});

test('a reload in the middle of recording a payment never leaves half a fact', async ({
  page,
  sharedHub: hub,
}) => {
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('amina', '1234');
  const agent = new AgentApp(page);
  await agent.waitForRoute();
  for (const delayMs of [0, 5, 15, 40, 80]) {
    await agent.search('GT-10033');
    await agent.openFirstResult();
    await agent.fillCashPayment('25', '25');
    await page.getByRole('button', { name: 'Record payment' }).click({ noWaitAfter: true });
    await page.waitForTimeout(delayMs);
    await page.reload();
    // The reload locked the tablet's data: the agent opens it again with the PIN.
    await new SignInPage(page).signInAgent('amina', '1234');
    await agent.waitForRoute();
    const state = await deviceState(page);
    // Either the payment and the chain head were written together, or neither was.
    expect(state.seqs).toEqual(Array.from({ length: state.headSeq }, (_, i) => i + 1));
  }
  const { headSeq } = await deviceState(page);
  await expect(page.getByTestId('pending-count')).toHaveCount(0, { timeout: 30_000 });
  expect(hubSeqs(hub, await deviceIdOf(page))).toEqual(
    Array.from({ length: headSeq }, (_, i) => i + 1),
  );
});

test('a device with no network exports its payments to a file; the supervisor uploads it; the later sync changes nothing', async ({
  page,
  context,
  browser,
  ownHub: hub,
}) => {
  await page.goto(hub.url);
  await new SignInPage(page).enrol(await hub.enrolmentCode());
  await new SignInPage(page).signInAgent('baraka', '5678');
  const agent = new AgentApp(page);
  await agent.waitForRoute();
  await context.route('**/api/sync/**', (route) => route.abort('internetdisconnected'));
  await payFrom(agent, 'GT-10006', '120');
  await payFrom(agent, 'GT-10008', '80');
  await expect(page.getByTestId('pending-count')).toHaveText('2 unsynced');
  const downloading = page.waitForEvent('download');
  await page.getByTestId('export-outbox').click();
  const file = await (await downloading).path();
  await page.screenshot({ path: 'tests/artifacts/agent-exported.png', fullPage: true });

  const office = await browser.newContext();
  const supervisor = await office.newPage();
  await supervisor.setViewportSize({ width: 1280, height: 900 });
  await supervisor.goto(hub.url);
  await new SignInPage(supervisor).signInSupervisor('grace', 'gridtally-demo');
  await supervisor.getByRole('button', { name: 'Devices' }).click();
  await supervisor.locator('input[name=outbox-file]').setInputFiles(file);
  await expect(supervisor.getByTestId('upload-result')).toHaveText('Uploaded: 2');
  await supervisor.getByRole('button', { name: 'Collections' }).click();
  await expect(supervisor.getByTestId('collection-row')).toHaveCount(2);
  await supervisor.screenshot({
    path: 'tests/artifacts/supervisor-after-upload.png',
    fullPage: true,
  });
  await office.close();

  await context.unroute('**/api/sync/**');
  await expect(page.getByTestId('pending-count')).toHaveCount(0, { timeout: 30_000 });
  expect(hub.query<{ n: number }>('select count(*) as n from payments')[0]?.n).toBe(2);
});
