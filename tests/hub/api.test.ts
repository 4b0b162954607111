/**
 * Goal: the hub's API outside sync answers as documented: health says the hub and its store
 * are up, the OpenAPI document lists every route, an unknown API path is a JSON 404, and the
 * supervisor's collections list every payment the hub received, with who took it, from
 * whom, how much, how, and when, newest first, with totals of accepted money.
 *
 * Method: the hub app is called in-process with app.request() on a real SQLite store seeded
 * with the demo deployment, with a stepping clock; payments arrive through a real push.
 */
import { describe, expect, test } from 'vitest';
import {
  collectionsResponseSchema,
  healthResponseSchema,
  type CollectionsResponse,
} from '../../shared/api.ts';
import type { Fact } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import {
  amina,
  accountState,
  DeviceChain,
  openHub,
  pushBody,
  request,
  signInAgent,
  signInSupervisor,
  TABLET_A,
  type Hub,
} from './harness.ts';

async function pushAs(
  hub: Hub,
  token: string,
  facts: readonly Fact[],
): Promise<{ from: number; to: number }> {
  const from = hub.peekClock().getTime();
  const response = await request(
    hub.app,
    'POST',
    '/api/sync/push',
    await pushBody(TABLET_A, facts),
    token,
  );
  expect(response.status).toBe(200);
  return { from, to: hub.peekClock().getTime() };
}

async function collections(hub: Hub, query = ''): Promise<CollectionsResponse> {
  const { token } = await signInSupervisor(hub.app);
  const response = await request(hub.app, 'GET', `/api/collections${query}`, undefined, token);
  expect(response.status).toBe(200);
  return collectionsResponseSchema.parse(await response.json());
}

describe('the API description says who may call what', () => {
  test('every route that needs a session declares the bearer scheme, and refuses a call without one', async () => {
    const hub = await openHub();
    const doc = (await (await request(hub.app, 'GET', '/api/openapi.json')).json()) as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const secured = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.security?.some((entry) => 'bearer' in entry))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(secured.sort()).toEqual(
      [
        'GET /api/accounts',
        'GET /api/accounts/{id}',
        'GET /api/agents',
        'PUT /api/agents/{id}/assignment',
        'GET /api/collections',
        'GET /api/devices',
        'GET /api/flags',
        'GET /api/auth/second-factors',
        'POST /api/auth/passkeys',
        'POST /api/auth/passkeys/options',
        'POST /api/auth/sign-out',
        'POST /api/auth/totp/confirm',
        'POST /api/auth/totp/setup',
        'POST /api/devices/enrolment-codes',
        'POST /api/devices/{id}/revoke',
        'POST /api/prepaid/leases',
        'POST /api/prepaid/sts/vends',
        'POST /api/sync/pull',
        'POST /api/sync/upload',
        'POST /api/tariffs/{tariffId}/versions',
      ].sort(),
    );
    for (const route of secured) {
      const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT', string];
      const response = await request(
        hub.app,
        method,
        path.replace(/\{\w+\}/, 'x'),
        method === 'GET' ? undefined : {},
      );
      expect(response.status, route).toBe(401);
    }
  });
});

describe('health and the API description', () => {
  test('GET /api/health says the hub and its store (by engine) are up, at the hub’s time', async () => {
    const hub = await openHub();
    const from = hub.peekClock().getTime();
    const response = await request(hub.app, 'GET', '/api/health');
    expect(response.status).toBe(200);
    const body = healthResponseSchema.parse(await response.json());
    const engine = process.env.GRIDTALLY_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
    expect(hub.store.engine).toBe(engine);
    expect(body).toMatchObject({ status: 'ok', store: engine, version: '0.1.0' });
    const time = Date.parse(body.time);
    expect(time).toBeGreaterThanOrEqual(from);
    expect(time).toBeLessThan(hub.peekClock().getTime());
  });

  test('GET /api/openapi.json lists every route with its method', async () => {
    const hub = await openHub();
    const response = await request(hub.app, 'GET', '/api/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(operations.sort()).toEqual([
      'get /api/accounts',
      'get /api/accounts/{id}',
      'get /api/agents',
      'get /api/auth/second-factors',
      'get /api/collections',
      'get /api/devices',
      'get /api/flags',
      'get /api/health',
      'post /api/auth/agent',
      'post /api/auth/passkeys',
      'post /api/auth/passkeys/options',
      'post /api/auth/second-factor',
      'post /api/auth/second-factor/passkey-options',
      'post /api/auth/sign-out',
      'post /api/auth/supervisor',
      'post /api/auth/totp/confirm',
      'post /api/auth/totp/setup',
      'post /api/devices/enrol',
      'post /api/devices/enrolment-codes',
      'post /api/devices/{id}/revoke',
      'post /api/prepaid/leases',
      'post /api/prepaid/sts/vends',
      'post /api/quote',
      'post /api/sync/pull',
      'post /api/sync/push',
      'post /api/sync/upload',
      'post /api/tariffs/{tariffId}/versions',
      'put /api/agents/{id}/assignment',
    ]);
  });

  test.each<['GET' | 'POST', string]>([
    ['GET', '/api/account'],
    ['POST', '/api/sync/everything'],
    ['GET', '/api/sync/push'],
  ])('%s %s is a JSON 404 not-found', async (method, path) => {
    const hub = await openHub();
    const response = await request(hub.app, method, path, method === 'POST' ? {} : undefined);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('not-found');
    expect(body.message).toContain(path);
  });
});

describe('collections', () => {
  test('a pushed payment is listed with agent name, account number, customer, amount, method, takenAt and receivedAt', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const fact = chain.payment({
      accountId: 'acc-0061',
      amountMinor: minor(61_610),
      tenderedMinor: minor(70_000),
      changeMinor: minor(8_390),
    });
    const window = await pushAs(hub, token, [fact]);
    const customer = await hub.store.db
      .selectFrom('accounts')
      .select('name')
      .where('id', '=', 'acc-0061')
      .executeTakeFirstOrThrow();

    const body = await collections(hub);

    expect(body.collections).toHaveLength(1);
    const [listed] = body.collections;
    expect(listed).toMatchObject({
      factId: fact.id,
      receiptNumber: fact.body.receiptNumber,
      agentName: 'Amina Otieno',
      accountNumber: 'GT-10061',
      customerName: customer.name,
      currency: 'KES',
      amountMinor: 61_610,
      method: 'cash',
      standing: 'applied',
      flagReason: null,
      voidedBy: null,
      takenAt: fact.recordedAt,
    });
    const receivedAt = Date.parse(listed?.receivedAt ?? '');
    expect(receivedAt).toBeGreaterThanOrEqual(window.from);
    expect(receivedAt).toBeLessThan(window.to);
    expect(body.totals).toEqual([
      {
        currency: 'KES',
        byStanding: [{ standing: 'applied', count: 1, amountMinor: '61610' }],
        appliedMinor: '61610',
        reversedMinor: '0',
        netMinor: '61610',
      },
    ]);
  });

  test('each payment is listed in its standing: applied, applied and flagged (counted in the net), or not applied (not counted)', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const accepted = chain.payment({ accountId: 'acc-0063', amountMinor: minor(6_363) });
    const twice = chain.payment({ accountId: 'acc-0063', amountMinor: minor(6_363) });
    const flagged = chain.payment({ accountId: 'acc-0404', amountMinor: minor(4_004) });
    await pushAs(hub, token, [accepted, twice, flagged]);

    const body = await collections(hub);

    expect(body.collections.find((c) => c.factId === flagged.id)).toMatchObject({
      accountNumber: 'acc-0404',
      customerName: '',
      amountMinor: 4_004,
      standing: 'not-applied',
      flagReason: 'account-not-found',
    });
    expect(body.collections.find((c) => c.factId === twice.id)).toMatchObject({
      standing: 'applied-flagged',
      flagReason: 'possible-duplicate',
    });
    expect(body.totals).toEqual([
      {
        currency: 'KES',
        byStanding: [
          { standing: 'applied', count: 1, amountMinor: '6363' },
          { standing: 'applied-flagged', count: 1, amountMinor: '6363' },
          { standing: 'not-applied', count: 1, amountMinor: '4004' },
        ],
        appliedMinor: '12726',
        reversedMinor: '0',
        netMinor: '12726',
      },
    ]);
  });

  test('collections are newest first and the limit is honoured', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const earlier = chain.payment({ accountId: 'acc-0065', amountMinor: minor(6_565) });
    await pushAs(hub, token, [earlier]);
    hub.advanceClock(40 * 60 * 1000);
    const later = chain.payment({ accountId: 'acc-0067', amountMinor: minor(6_767) });
    await pushAs(hub, token, [later]);

    expect((await collections(hub)).collections.map((c) => c.factId)).toEqual([
      later.id,
      earlier.id,
    ]);
    expect((await collections(hub, '?limit=1')).collections.map((c) => c.factId)).toEqual([
      later.id,
    ]);
  });

  test('a limit outside 1 to 1000 is refused with 400 invalid-request', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app);
    const response = await request(hub.app, 'GET', '/api/collections?limit=0', undefined, token);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid-request' });
  });

  test('a payment recorded under an agent who never signed in on its device is listed as not applied, and moves no balance', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const before = await accountState(hub.store, 'acc-0069');
    const chain = new DeviceChain(TABLET_A, 'user-nobody');
    const fact = chain.payment({ accountId: 'acc-0069', amountMinor: minor(6_969) });
    await pushAs(hub, token, [fact]);
    const stored = await hub.store.db
      .selectFrom('facts')
      .select(['id', 'outcome', 'flag_reason'])
      .execute();
    expect(stored).toEqual([
      { id: fact.id, outcome: 'flagged', flag_reason: 'agent-not-on-device' },
    ]);
    expect((await accountState(hub.store, 'acc-0069')).balanceMinor).toBe(before.balanceMinor);

    const body = await collections(hub);

    expect(body.collections.map((c) => [c.factId, c.standing, c.flagReason])).toEqual([
      [fact.id, 'not-applied', 'agent-not-on-device'],
    ]);
    expect(body.totals).toEqual([
      {
        currency: 'KES',
        byStanding: [{ standing: 'not-applied', count: 1, amountMinor: '6969' }],
        appliedMinor: '0',
        reversedMinor: '0',
        netMinor: '0',
      },
    ]);
  });
});
