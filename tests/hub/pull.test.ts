/**
 * Goal: pull gives a device exactly its route: every account once when paging from the
 * start, nothing more once caught up, and after a push the changed accounts with their new
 * balances and the acknowledgements of the device's own facts, numbered as the push said.
 *
 * Method: the hub app is called in-process with app.request() on a real SQLite store seeded
 * with the demo deployment (two routes of 100 accounts each). Pages are followed cursor by
 * cursor as a device would, and what arrives is compared with the store itself.
 */
import { answersOf, pullPageIntact, sealPullPage } from '../../shared/protocol.ts';
import { DEFAULT_DEVICE_SETTINGS } from '../../shared/risk.ts';
import { storeEpoch } from '../../hub/store/store.ts';
import { describe, expect, test } from 'vitest';
import type { Fact } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import {
  pullResponseSchema,
  pushResponseSchema,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from '../../shared/protocol.ts';
import {
  accountState,
  amina,
  baraka,
  DeviceChain,
  openHub,
  pullBody,
  pushBody,
  request,
  signInAgent,
  TABLET_A,
  TABLET_B,
  type Hub,
} from './harness.ts';

interface Agent {
  readonly device: string;
  readonly token: string;
  readonly chain: DeviceChain;
}

async function agentOn(
  hub: Hub,
  who: typeof amina | typeof baraka,
  device: string,
): Promise<Agent> {
  const { token, user } = await signInAgent(hub.app, who, device);
  return { device, token, chain: new DeviceChain(device, user.id) };
}

async function pull(
  hub: Hub,
  agent: Agent,
  cursor: number,
  limit?: number,
  more: Pick<PullRequest, 'answeredThrough'> = {},
): Promise<PullResponse> {
  const response = await request(
    hub.app,
    'POST',
    '/api/sync/pull',
    { ...pullBody(agent.device, cursor, limit), ...more },
    agent.token,
  );
  expect(response.status).toBe(200);
  return pullResponseSchema.parse(await response.json());
}

async function push(
  hub: Hub,
  agent: Agent,
  facts: readonly Fact[],
  more: Pick<PushRequest, 'acceptsRuns'> = {},
): Promise<PushResponse> {
  const response = await request(
    hub.app,
    'POST',
    '/api/sync/push',
    { ...(await pushBody(agent.device, facts)), ...more },
    agent.token,
  );
  expect(response.status).toBe(200);
  return pushResponseSchema.parse(await response.json());
}

/** Follows pages from `cursor` until the hub says there is no more, as a device does. */
async function pullAll(
  hub: Hub,
  agent: Agent,
  cursor: number,
  limit: number,
): Promise<{ pages: PullResponse[]; cursor: number }> {
  const pages: PullResponse[] = [];
  let current = cursor;
  for (;;) {
    const page = await pull(hub, agent, current, limit);
    pages.push(page);
    expect(page.accounts.length).toBeLessThanOrEqual(limit);
    expect(page.cursor).toBeGreaterThanOrEqual(current);
    current = page.cursor;
    if (!page.hasMore) return { pages, cursor: current };
    if (pages.length > 1000) throw new Error('paging does not end');
  }
}

async function routeAccountIds(hub: Hub, routeId: string): Promise<string[]> {
  const rows = await hub.store.db
    .selectFrom('accounts')
    .select('id')
    .where('route_id', '=', routeId)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

describe('pulling a route', () => {
  test('a pull returns only the accounts of the agent’s route, every one of them', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const bob = await agentOn(hub, baraka, TABLET_B);
    const nyando = await pull(hub, amy, 0);
    const kabondo = await pull(hub, bob, 0);

    expect(nyando.hasMore).toBe(false);
    expect(nyando.accounts.every((account) => account.routeId === 'route-nyando')).toBe(true);
    expect(nyando.accounts.map((account) => account.id).sort()).toEqual(
      await routeAccountIds(hub, 'route-nyando'),
    );
    expect(kabondo.accounts.every((account) => account.routeId === 'route-kabondo')).toBe(true);
    expect(kabondo.accounts.map((account) => account.id).sort()).toEqual(
      await routeAccountIds(hub, 'route-kabondo'),
    );
    expect(nyando.acks).toEqual([]);
  });

  test('each account arrives with the hub’s balance and exactly its open bills, oldest first', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { accounts } = await pull(hub, amy, 0);
    for (const account of accounts.slice(0, 25)) {
      const state = await accountState(hub.store, account.id);
      expect(account.balanceMinor).toBe(state.balanceMinor);
      expect(account.changeSeq).toBe(state.changeSeq);
      const open = state.bills.filter((bill) => bill.paidMinor < bill.amountMinor);
      expect(account.openBills.map((bill) => [bill.id, bill.amountMinor, bill.paidMinor])).toEqual(
        open.map((bill) => [bill.id, bill.amountMinor, bill.paidMinor]),
      );
    }
  });

  test('paging with a small limit visits every account of the route exactly once, and the final cursor then returns nothing', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { pages, cursor } = await pullAll(hub, amy, 0, 7);

    const seen = pages.flatMap((page) => page.accounts.map((account) => account.id));
    expect(seen).toHaveLength(new Set(seen).size);
    expect([...seen].sort()).toEqual(await routeAccountIds(hub, 'route-nyando'));
    expect(pages.slice(0, -1).every((page) => page.hasMore && page.accounts.length === 7)).toBe(
      true,
    );
    const changeSeqs = pages.flatMap((page) => page.accounts.map((account) => account.changeSeq));
    expect(changeSeqs).toEqual([...changeSeqs].sort((a, b) => a - b));

    const caughtUp = await pull(hub, amy, cursor, 7);
    expect(caughtUp).toEqual(
      sealPullPage({
        formatVersion: 1,
        accounts: [],
        acks: [],
        epoch: await storeEpoch(hub.store.db),
        deviceHeadSeq: 0,
        tariffs: [],
        cursor,
        hasMore: false,
        remaining: 0,
        settings: DEFAULT_DEVICE_SETTINGS,
        // Signed anew at each answer (ECDSA signatures differ each time).
        auditHead: { ...caughtUp.auditHead },
        hubKey: caughtUp.hubKey,
      }),
    );
    expect(pages.every((page) => pullPageIntact(page))).toBe(true);
    // Each page says how many accounts still wait after it: a progress bar can count down.
    expect(pages.map((page) => page.remaining)).toEqual(
      pages.map((_, i) => Math.max(0, seen.length - 7 * (i + 1))),
    );
  });
});

describe('pulling after a push', () => {
  test('a pull from the old cursor returns the paid account with its new balance and the ack the push gave', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { cursor } = await pull(hub, amy, 0);
    const account = 'acc-0041';
    const before = await accountState(hub.store, account);
    const fact = amy.chain.payment({
      accountId: account,
      amountMinor: minor(64_250),
      tenderedMinor: minor(65_000),
      changeMinor: minor(750),
    });
    const pushed = await push(hub, amy, [fact]);
    const changeSeq = pushed.results[0]?.changeSeq;

    const after = await pull(hub, amy, cursor);

    expect(after.accounts).toHaveLength(1);
    expect(after.accounts[0]).toMatchObject({
      id: account,
      balanceMinor: before.balanceMinor - 64_250,
      changeSeq,
    });
    expect(after.acks).toEqual([{ id: fact.id, seq: 1, changeSeq, outcome: 'accepted' }]);
    expect(after.cursor).toBe(changeSeq);
    expect(after.hasMore).toBe(false);
  });

  test('an account paid twice arrives once, as of its latest change', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { cursor } = await pull(hub, amy, 0);
    const before = await accountState(hub.store, 'acc-0043');
    const pushed = await push(hub, amy, [
      amy.chain.payment({ accountId: 'acc-0043', amountMinor: minor(4_300) }),
      amy.chain.payment({ accountId: 'acc-0043', amountMinor: minor(5_700) }),
    ]);
    const after = await pull(hub, amy, cursor);
    expect(after.accounts.map((a) => [a.id, a.balanceMinor, a.changeSeq])).toEqual([
      ['acc-0043', before.balanceMinor - 10_000, pushed.results[1]?.changeSeq],
    ]);
    expect(after.acks.map((ack) => ack.changeSeq)).toEqual(
      pushed.results.map((result) => result.changeSeq),
    );
  });

  test('a device’s payments outside its route are acknowledged, but those accounts are not sent', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { cursor } = await pull(hub, amy, 0);
    const pushed = await push(hub, amy, [
      amy.chain.payment({ accountId: 'acc-0002', amountMinor: minor(2_020) }),
      amy.chain.payment({ accountId: 'acc-0404', amountMinor: minor(4_040) }),
    ]);
    const after = await pull(hub, amy, cursor);
    expect(after.accounts).toEqual([]);
    expect(after.acks).toEqual(
      pushed.results.map(({ id, seq, changeSeq, outcome, reason }) => ({
        id,
        seq,
        changeSeq,
        outcome,
        ...(reason === undefined ? {} : { reason }),
      })),
    );
  });

  test('a device that reads accepted runs gets them folded, the flagged ones named, each as stored', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const facts = [
      amy.chain.payment({ accountId: 'acc-0011', amountMinor: minor(1_100) }),
      amy.chain.payment({ accountId: 'acc-0013', amountMinor: minor(1_300) }),
      amy.chain.payment({ accountId: 'acc-0015', amountMinor: minor(1_500), currency: 'USD' }),
      amy.chain.payment({ accountId: 'acc-0017', amountMinor: minor(1_700) }),
      amy.chain.payment({ accountId: 'acc-0019', amountMinor: minor(1_900) }),
    ];
    const answer = await push(hub, amy, facts, { acceptsRuns: true });
    const stored = await hub.store.db
      .selectFrom('facts')
      .select(['seq', 'outcome', 'change_seq'])
      .orderBy('seq')
      .execute();
    const first = Number(stored[0]?.change_seq);
    expect(answer.acceptedRuns).toEqual([
      { fromSeq: 1, toSeq: 2, firstChangeSeq: first },
      { fromSeq: 4, toSeq: 5, firstChangeSeq: first + 3 },
    ]);
    expect(answer.results).toEqual([
      {
        id: facts[2]?.id,
        seq: 3,
        changeSeq: first + 2,
        outcome: 'flagged',
        reason: 'currency-mismatch',
      },
    ]);
    expect(answersOf(answer).map((a) => [a.seq, a.outcome, a.changeSeq])).toEqual(
      stored.map((row) => [row.seq, row.outcome, Number(row.change_seq)]),
    );
  });

  test('a device that has every answer up to a seq gets the acks of later facts only', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { cursor } = await pull(hub, amy, 0);
    const pushed = await push(hub, amy, [
      amy.chain.payment({ accountId: 'acc-0011', amountMinor: minor(1_100) }),
      amy.chain.payment({ accountId: 'acc-0013', amountMinor: minor(1_300) }),
      amy.chain.payment({ accountId: 'acc-0015', amountMinor: minor(1_500) }),
    ]);
    const ask = (answeredThrough: number) => pull(hub, amy, cursor, undefined, { answeredThrough });
    const all = await pull(hub, amy, cursor);
    expect(all.acks.map((ack) => ack.seq)).toEqual([1, 2, 3]);
    const some = await ask(2);
    expect(some.acks.map((ack) => ack.id)).toEqual([pushed.results[2]?.id]);
    const none = await ask(3);
    expect(none.acks).toEqual([]);
    // The accounts and the cursor are the same whatever the device says it has.
    expect(none.accounts).toEqual(all.accounts);
    expect(none.cursor).toBe(all.cursor);
  });

  test('another device’s payment on the route sends the account but no ack to this device', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const bob = await agentOn(hub, baraka, TABLET_B);
    const { cursor } = await pull(hub, amy, 0);
    const pushed = await push(hub, bob, [
      bob.chain.payment({ accountId: 'acc-0045', amountMinor: minor(45_450) }),
    ]);
    const after = await pull(hub, amy, cursor);
    expect(after.accounts.map((a) => [a.id, a.changeSeq])).toEqual([
      ['acc-0045', pushed.results[0]?.changeSeq],
    ]);
    expect(after.acks).toEqual([]);
    const bobs = await pull(hub, bob, cursor);
    expect(bobs.accounts).toEqual([]);
    expect(bobs.acks.map((ack) => ack.id)).toEqual(pushed.results.map((result) => result.id));
  });

  test('paging after several pushes delivers every changed account and every ack exactly once', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const { cursor: start } = await pull(hub, amy, 0);
    const routeAccounts = ['acc-0051', 'acc-0053', 'acc-0055', 'acc-0057', 'acc-0059'];
    const results: PushResponse['results'] = [];
    for (const [index, accountId] of routeAccounts.entries()) {
      const facts = [amy.chain.payment({ accountId, amountMinor: minor(1_000 + 111 * index) })];
      if (index === 2)
        facts.push(amy.chain.payment({ accountId: 'acc-0052', amountMinor: minor(5_252) }));
      if (index === 3)
        facts.push(amy.chain.payment({ accountId: 'acc-0606', amountMinor: minor(6_606) }));
      results.push(...(await push(hub, amy, facts)).results);
    }

    const { pages } = await pullAll(hub, amy, start, 2);

    const accounts = pages.flatMap((page) => page.accounts.map((account) => account.id));
    expect([...accounts].sort()).toEqual(routeAccounts);
    const acks = pages.flatMap((page) => page.acks);
    expect([...acks].sort((a, b) => a.seq - b.seq)).toEqual(
      results.map(({ id, seq, changeSeq, outcome, reason }) => ({
        id,
        seq,
        changeSeq,
        outcome,
        ...(reason === undefined ? {} : { reason }),
      })),
    );
  });
});

describe('who may pull', () => {
  test('a pull for another device’s id is refused with 403 device-mismatch', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    await agentOn(hub, baraka, TABLET_B);
    const response = await request(
      hub.app,
      'POST',
      '/api/sync/pull',
      pullBody(TABLET_B, 0),
      amy.token,
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'device-mismatch' });
  });

  test('a pull without a token is refused with 401 not-signed-in', async () => {
    const hub = await openHub();
    const response = await request(hub.app, 'POST', '/api/sync/pull', pullBody(TABLET_A, 0));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'not-signed-in' });
  });

  test('a malformed pull is refused with 400 invalid-request', async () => {
    const hub = await openHub();
    const amy = await agentOn(hub, amina, TABLET_A);
    const response = await request(
      hub.app,
      'POST',
      '/api/sync/pull',
      { ...pullBody(TABLET_A, 0), cursor: -3 },
      amy.token,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid-request' });
  });
});
