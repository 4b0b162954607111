/**
 * Goal: pop-up payment points (issue 13, item 5) on the hub. A village agent serves an area:
 * her device pulls every route of it; she finds and opens any customer of the deployment
 * through the hub, a field agent does neither; a supervisor finds her region's customers only.
 * A supervisor gives an agent a route or an area of her own region, audited; an agent of
 * another region, or a route of another region, is refused; the change reaches the agent's
 * pulls at her next sign-in. Search input is bounded and taken literally (no LIKE wildcards).
 *
 * Method: the hub app in-process on a seeded store (on both engines: tests/hub runs twice).
 */
import { describe, expect, test } from 'vitest';
import { createApp } from '../../hub/app.ts';
import { writeNameSearch } from '../../hub/store/migrations-search.ts';
import { TEST_HASHING } from '../support/hashing.ts';
import { agentsResponseSchema, accountSearchResponseSchema } from '../../shared/api.ts';
import { pullResponseSchema, type PullResponse } from '../../shared/protocol.ts';
import { demoSignIns, DEMO_CUSTOMERS } from '../../hub/demo/seed.ts';
import {
  amina,
  baraka,
  DeviceChain,
  pushBody,
  grace,
  openHub,
  otieno,
  pullBody,
  request,
  signInAgent,
  signInSupervisor,
  TABLET_A,
  TABLET_B,
  type Hub,
} from './harness.ts';

const zawadi = demoSignIns.villageAgent;

/** Every page of a fresh pull: the accounts' ids and routes. */
async function pullEverything(hub: Hub, token: string, device: string) {
  const accounts: PullResponse['accounts'][number][] = [];
  let cursor = 0;
  for (;;) {
    const response = await request(
      hub.app,
      'POST',
      '/api/sync/pull',
      pullBody(device, cursor, 60),
      token,
    );
    expect(response.status).toBe(200);
    const page = pullResponseSchema.parse(await response.json());
    accounts.push(...page.accounts);
    cursor = page.cursor;
    if (!page.hasMore) return accounts;
  }
}

async function search(hub: Hub, token: string, q: string) {
  return request(hub.app, 'GET', `/api/accounts?q=${encodeURIComponent(q)}`, undefined, token);
}

async function found(hub: Hub, token: string, q: string) {
  const response = await search(hub, token, q);
  expect(response.status, q).toBe(200);
  return accountSearchResponseSchema.parse(await response.json());
}

describe('a village agent', () => {
  test('signs in with her area, and her device pulls every route of it', async () => {
    const hub = await openHub();
    // The demo's area holds Nyando; Kabondo joins it here, so the area has two routes.
    await hub.store.db
      .updateTable('routes')
      .set({ area_id: zawadi.areaId })
      .where('id', '=', 'route-kabondo')
      .execute();
    const signIn = await signInAgent(hub.app, zawadi, TABLET_B);
    expect(signIn.user).toMatchObject({ areaId: zawadi.areaId, areaName: zawadi.areaName });
    expect(signIn.user.routeId).toBeNull();
    const accounts = await pullEverything(hub, signIn.token, TABLET_B);
    expect(accounts).toHaveLength(DEMO_CUSTOMERS);
    expect(new Set(accounts.map((account) => account.routeId))).toEqual(
      new Set(demoSignIns.agents.map((agent) => agent.routeId)),
    );
    const field = await signInAgent(hub.app, amina, TABLET_A);
    expect(field.user).toMatchObject({ routeId: amina.routeId, areaId: null });
    const own = await pullEverything(hub, field.token, TABLET_A);
    expect(own.every((account) => account.routeId === amina.routeId)).toBe(true);
    expect(own).toHaveLength(DEMO_CUSTOMERS / 2);
  });

  test('finds any customer through the hub by number, meter, phone or name; a field agent may not', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, zawadi, TABLET_B);
    const byNumber = await found(hub, token, 'gt 10002');
    expect(byNumber.accounts.map((account) => account.accountNumber)).toEqual(['GT-10002']);
    const byName = await found(hub, token, '王小');
    expect(byName.accounts.map((account) => account.name)).toEqual(['王小明']);
    const byMeter = await found(hub, token, '54100015838');
    expect(byMeter.accounts.map((account) => account.accountNumber)).toEqual(['GT-10002']);
    const detail = await request(hub.app, 'GET', '/api/accounts/acc-0002', undefined, token);
    expect(detail.status).toBe(200);
    const phone = ((await detail.json()) as { account: { phone: string } }).account.phone;
    const national = `0${phone.replace(/\D/g, '').slice(-9)}`;
    const byPhone = await found(hub, token, national);
    expect(byPhone.accounts.map((account) => account.id)).toContain('acc-0002');
    // Many match: twenty, and more.
    const many = await found(hub, token, 'gt1');
    expect(many.accounts).toHaveLength(20);
    expect(many.more).toBe(true);
    // Wildcards are letters like any other; too short or too long is refused.
    expect((await found(hub, token, '%%')).accounts).toEqual([]);
    expect((await found(hub, token, '__')).accounts).toEqual([]);
    expect((await search(hub, token, 'a')).status).toBe(400);
    expect((await search(hub, token, 'x'.repeat(65))).status).toBe(400);

    const field = await signInAgent(hub.app, amina, TABLET_A);
    expect((await search(hub, field.token, 'gt 10002')).status).toBe(403);
    expect(
      (await request(hub.app, 'GET', '/api/accounts/acc-0002', undefined, field.token)).status,
    ).toBe(404);
  });

  test('finds a name as the tablet does: without its accents, by pinyin, and by its new spelling once changed', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, zawadi, TABLET_B);
    const names = async (q: string) => (await found(hub, token, q)).accounts.map((a) => a.name);
    expect(await names('ngugi')).toContain('Ngũgĩ Kamau');
    expect(await names('Wambui Nj')).toContain('Wambũi Njoroge');
    expect(await names('wangxiaoming')).toEqual(['王小明']);
    expect(await names('wxm')).toEqual(['王小明']);
    // A name changed by an agent's correction is found by its new spelling, folded.
    const held = await hub.store.db
      .selectFrom('accounts')
      .select(['name', 'change_seq'])
      .where('id', '=', 'acc-0001')
      .executeTakeFirstOrThrow();
    expect(await names('mbuguazed')).toEqual([]);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const edit = chain.contact({
      accountId: 'acc-0001',
      field: 'name',
      value: 'Nyakĩo Mbũgua-Zed',
      previous: held.name,
      baseChangeSeq: Number(held.change_seq),
    });
    const pushed = await request(
      hub.app,
      'POST',
      '/api/sync/push',
      await pushBody(TABLET_A, [edit]),
    );
    expect(pushed.status).toBe(200);
    expect(await names('mbuguazed')).toEqual(['Nyakĩo Mbũgua-Zed']);
    const byOldName = await found(hub, token, held.name);
    expect(byOldName.accounts.map((account) => account.id)).not.toContain('acc-0001');
  });

  test('names held before the hub kept them folded are written folded by the upgrade', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, zawadi, TABLET_B);
    await hub.store.db.updateTable('accounts').set({ name_search: null }).execute();
    expect((await found(hub, token, 'ngugi')).accounts).toEqual([]);
    await writeNameSearch(hub.store.db as never);
    const names = (await found(hub, token, 'ngugi')).accounts.map((account) => account.name);
    expect(names).toContain('Ngũgĩ Kamau');
    const unwritten = await hub.store.db
      .selectFrom('accounts')
      .select('id')
      .where('name_search', 'is', null)
      .execute();
    expect(unwritten).toEqual([]);
  });

  test('reaches her area’s region only, and searches at most 60 times a minute', async () => {
    const hub = await openHub();
    // A clock that stands still: the throttle counts in windows of a minute.
    const at = hub.peekClock();
    const still = {
      ...hub,
      app: createApp({ store: hub.store, now: () => at, secretHashing: TEST_HASHING }),
    };
    const { token } = await signInAgent(still.app, zawadi, TABLET_B);
    expect((await found(still, token, 'GT-10002')).accounts).toHaveLength(1);
    for (let i = 0; i < 59; i++)
      expect((await search(still, token, `GT-${10000 + i}`)).status).toBe(200);
    expect((await search(still, token, 'GT-10002')).status).toBe(429);
    // Her area moves to another region: Kisumu's customers are out of her reach.
    await hub.store.db
      .updateTable('areas')
      .set({ region_id: otieno.regionId })
      .where('id', '=', zawadi.areaId)
      .execute();
    const later = await signInAgent(hub.app, zawadi, TABLET_B);
    expect(
      (await request(hub.app, 'GET', '/api/accounts/acc-0002', undefined, later.token)).status,
    ).toBe(404);
    // Nor does her area reach Nyando any more: an area holds only its own region's routes.
    const pulled = await request(
      hub.app,
      'POST',
      '/api/sync/pull',
      pullBody(TABLET_B, 0),
      later.token,
    );
    expect(pulled.status).toBe(403);
  });

  test('a supervisor finds her region’s customers, and none of another region', async () => {
    const hub = await openHub();
    const mine = await signInSupervisor(hub.app, grace);
    expect((await found(hub, mine.token, 'GT-10002')).accounts).toHaveLength(1);
    const other = await signInSupervisor(hub.app, otieno);
    expect((await found(hub, other.token, 'GT-10002')).accounts).toEqual([]);
  });
});

describe('assignments', () => {
  test("a supervisor gives an agent an area; her next sign-in pulls the area's routes; audited", async () => {
    const hub = await openHub();
    const before = await signInAgent(hub.app, baraka, TABLET_B);
    const { token } = await signInSupervisor(hub.app, grace);
    const listed = agentsResponseSchema.parse(
      await (await request(hub.app, 'GET', '/api/agents', undefined, token)).json(),
    );
    expect(listed.agents.map((agent) => agent.username).sort()).toEqual([
      'amina',
      'baraka',
      'zawadi',
    ]);
    expect(listed.areas.map((area) => area.id)).toEqual([zawadi.areaId]);
    const response = await request(
      hub.app,
      'PUT',
      '/api/agents/user-baraka/assignment',
      { kind: 'area', id: zawadi.areaId },
      token,
    );
    expect(response.status).toBe(200);
    const after = agentsResponseSchema.parse(await response.json());
    expect(after.agents.find((agent) => agent.id === 'user-baraka')?.assignment).toEqual({
      kind: 'area',
      id: zawadi.areaId,
    });
    // His session of before serves what it served: his tablet's cursor is Kabondo's until he
    // signs in again, and the hub must not answer it with another scope's changes.
    const stale = await pullEverything(hub, before.token, TABLET_B);
    expect(stale.every((account) => account.routeId === baraka.routeId)).toBe(true);
    expect(stale).toHaveLength(DEMO_CUSTOMERS / 2);
    const field = await signInAgent(hub.app, baraka, TABLET_B);
    expect(field.user.areaId).toBe(zawadi.areaId);
    // Kabondo's agent now serves Ahero's pop-up point: the area's route, not his old one.
    const pulled = await pullEverything(hub, field.token, TABLET_B);
    expect(pulled).toHaveLength(DEMO_CUSTOMERS / 2);
    expect(pulled.every((account) => account.routeId === amina.routeId)).toBe(true);
    const audit = await hub.store.db
      .selectFrom('audit')
      .select(['action', 'detail'])
      .where('action', '=', 'agent-assigned')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.detail ?? '{}')).toMatchObject({
      agentId: 'user-baraka',
      from: { kind: 'route', id: baraka.routeId },
      to: { kind: 'area', id: zawadi.areaId },
    });
  });

  test('nothing of another region: its agents, its routes; no empty area; and nothing changes', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app, grace);
    await hub.store.db
      .insertInto('areas')
      .values({ id: 'area-empty', name: 'Empty', region_id: 'region-kisumu' })
      .execute();
    const empty = await request(
      hub.app,
      'PUT',
      '/api/agents/user-amina/assignment',
      { kind: 'area', id: 'area-empty' },
      token,
    );
    expect(empty.status).toBe(400);
    const otherRoute = await request(
      hub.app,
      'PUT',
      '/api/agents/user-amina/assignment',
      { kind: 'route', id: 'route-westlands' },
      token,
    );
    expect(otherRoute.status).toBe(400);
    const stranger = await signInSupervisor(hub.app, otieno);
    const otherAgent = await request(
      hub.app,
      'PUT',
      '/api/agents/user-amina/assignment',
      { kind: 'route', id: 'route-kabondo' },
      stranger.token,
    );
    expect(otherAgent.status).toBe(404);
    const agent = await signInAgent(hub.app, amina, TABLET_A);
    expect(
      (
        await request(
          hub.app,
          'PUT',
          '/api/agents/user-amina/assignment',
          { kind: 'area', id: zawadi.areaId },
          agent.token,
        )
      ).status,
    ).toBe(403);
    const row = await hub.store.db
      .selectFrom('users')
      .select(['route_id', 'area_id'])
      .where('id', '=', 'user-amina')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ route_id: amina.routeId, area_id: null });
  });
});
