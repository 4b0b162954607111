/**
 * Goal: who may call what, as a matrix. Every endpoint the hub describes is called by every
 * kind of caller, in scope and out of it: nobody (no token), an agent on her own tablet, the
 * same agent reaching for another tablet's or another route's data, a supervisor of the data's
 * region and one of another region, and an admin (every region, and the tariffs). Each
 * answer is checked, and what an agent is given is only her route's. An endpoint added to the
 * hub without a row here fails the first test.
 *
 * Method: the hub app in-process on a seeded store; the rows name the status each caller gets.
 * Public routes answer everyone alike (their own checks, a PIN, a code, a device's signature,
 * decide); a refusal for want of a session is 401 `not-signed-in`, for the wrong role 403
 * `not-allowed`; a call in the right role but out of scope gets the route's own refusal.
 */
import { describe, expect, test } from 'vitest';
import { demoStsMeterNumber } from '../../hub/demo/sts.ts';
import { demoTariff } from '../../hub/demo/tariff.ts';
import { minor } from '../../shared/money.ts';
import { boughtBefore, purchaseFor } from '../../shared/topup.ts';
import type { PushRequest } from '../../shared/protocol.ts';
import { outboxFile, REPUBLISHED_VERSION, UNISSUED_CODE_ENROLMENT } from './samples.ts';
import {
  amina,
  baraka,
  DeviceChain,
  grace,
  openHub,
  otieno,
  pullBody,
  pushBody,
  request,
  signInAdmin,
  signInAgent,
  signInSupervisor,
  TABLET_A,
  TABLET_B,
  type Hub,
} from './harness.ts';

type Caller =
  'nobody' | 'agent' | 'agent-out-of-scope' | 'supervisor' | 'supervisor-out-of-scope' | 'admin';
const CALLERS: readonly Caller[] = [
  'nobody',
  'agent',
  'agent-out-of-scope',
  'supervisor',
  'supervisor-out-of-scope',
  'admin',
];

interface Tokens {
  readonly agent: string;
  readonly supervisor: string;
  /** Otieno, who oversees another region than the demo's (tests/hub/harness.ts). */
  readonly otherSupervisor: string;
  readonly admin: string;
}

/** A fresh session for the caller, for rows that end one (sign-out). */
async function tokenOf(hub: Hub, caller: Caller, tokens: Tokens): Promise<string | undefined> {
  if (caller === 'nobody') return undefined;
  if (caller === 'supervisor-out-of-scope') return tokens.otherSupervisor;
  if (caller === 'admin') return tokens.admin;
  return caller === 'supervisor' ? tokens.supervisor : tokens.agent;
}

interface Row {
  /** Calls the route as the caller; `token` is the caller's session, if any. */
  readonly call: (hub: Hub, caller: Caller, token: string | undefined) => Promise<Response>;
  readonly expect: Readonly<Record<Caller, number>>;
}

/** A supervisor's route: an admin, who oversees every region, is answered as the supervisor. */
const signedInOnly = (
  supervisor: number,
  otherRegion = supervisor,
  admin = supervisor,
): Row['expect'] => ({
  nobody: 401,
  agent: 403,
  'agent-out-of-scope': 403,
  supervisor,
  'supervisor-out-of-scope': otherRegion,
  admin,
});

const everyone = (status: number): Row['expect'] => ({
  nobody: status,
  agent: status,
  'agent-out-of-scope': status,
  supervisor: status,
  'supervisor-out-of-scope': status,
  admin: status,
});

/** A push by TABLET_A signed with its key, or, out of scope, one claiming TABLET_B. */
async function push(caller: Caller): Promise<PushRequest> {
  const device = caller === 'agent-out-of-scope' ? TABLET_B : TABLET_A;
  const chain = new DeviceChain(device, 'user-amina');
  chain.payment({ accountId: 'acc-0001', amountMinor: minor(1_500) });
  return pushBody(device, chain.facts, TABLET_A);
}

const sales = new WeakMap<Hub, Promise<{ mine: string; theirs: string }>>();

/**
 * One STS top-up stored per hub on each route: Amina's on tablet A (customer 139, Nyando) and
 * Baraka's on tablet B (customer 58, Kabondo), as their tablets record them.
 */
function stsSales(hub: Hub): Promise<{ mine: string; theirs: string }> {
  const made =
    sales.get(hub) ??
    (async () => {
      const sale = async (device: string, agentId: string, n: number) => {
        const chain = new DeviceChain(device, agentId);
        const purchase = purchaseFor({
          versions: [demoTariff],
          tariffId: demoTariff.id,
          amountMinor: minor(10_000),
          saleDate: '2026-11-19',
          bought: boughtBefore([], '2026-11-19'),
          unitWh: 100,
        });
        if (!purchase.ok) throw new Error(purchase.error);
        const fact = chain.payment({
          accountId: `acc-${String(n).padStart(4, '0')}`,
          amountMinor: minor(10_000),
          topUp: {
            system: 'sts',
            tariffId: demoTariff.id,
            tariffVersion: purchase.value.tariffVersion,
            energyWh: purchase.value.energyWh,
            costMinor: purchase.value.costMinor,
            meterNumber: demoStsMeterNumber(n),
          },
        });
        const pushed = await request(
          hub.app,
          'POST',
          '/api/sync/push',
          await pushBody(device, chain.facts),
        );
        expect(pushed.status).toBe(200);
        return fact.id;
      };
      return {
        mine: await sale(TABLET_A, 'user-amina', 139),
        theirs: await sale(TABLET_B, 'user-baraka', 58),
      };
    })();
  sales.set(hub, made);
  return made;
}

const MATRIX: Readonly<Record<string, Row>> = {
  'POST /api/auth/agent': {
    call: (hub) =>
      request(hub.app, 'POST', '/api/auth/agent', {
        username: amina.username,
        pin: amina.pin,
        deviceId: TABLET_A,
      }),
    expect: everyone(200),
  },
  'POST /api/auth/supervisor': {
    call: (hub) =>
      request(hub.app, 'POST', '/api/auth/supervisor', {
        username: grace.username,
        password: grace.password,
      }),
    expect: everyone(200),
  },
  'POST /api/auth/sign-out': {
    // Each caller signs out a session of its own, made for this call.
    call: async (hub, caller) => {
      const token =
        caller === 'nobody'
          ? undefined
          : caller === 'supervisor'
            ? (await signInSupervisor(hub.app)).token
            : caller === 'supervisor-out-of-scope'
              ? await signInOther(hub)
              : caller === 'admin'
                ? (await signInAdmin(hub.app)).token
                : (await signInAgent(hub.app, amina, TABLET_A)).token;
      return request(hub.app, 'POST', '/api/auth/sign-out', undefined, token);
    },
    expect: {
      nobody: 401,
      agent: 200,
      'agent-out-of-scope': 200,
      supervisor: 200,
      'supervisor-out-of-scope': 200,
      admin: 200,
    },
  },
  'POST /api/auth/second-factor': {
    // A challenge comes only from a right password: a made-up one is refused whoever sends it.
    call: (hub, _caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/auth/second-factor',
        { challenge: 'made-up', totp: '123456' },
        token,
      ),
    expect: everyone(401),
  },
  'POST /api/auth/second-factor/passkey-options': {
    call: (hub, _caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/auth/second-factor/passkey-options',
        { challenge: 'made-up' },
        token,
      ),
    expect: everyone(401),
  },
  'GET /api/auth/second-factors': {
    call: (hub, _caller, token) =>
      request(hub.app, 'GET', '/api/auth/second-factors', undefined, token),
    expect: signedInOnly(200),
  },
  'POST /api/auth/totp/setup': {
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', '/api/auth/totp/setup', undefined, token),
    expect: signedInOnly(200),
  },
  'POST /api/auth/totp/confirm': {
    // Nothing set up yet: a supervisor is let in and told the code is not right.
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', '/api/auth/totp/confirm', { code: '123456' }, token),
    expect: signedInOnly(400),
  },
  'POST /api/auth/passkeys/options': {
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', '/api/auth/passkeys/options', undefined, token),
    expect: signedInOnly(200),
  },
  'POST /api/auth/passkeys': {
    // A registration nobody opened: a supervisor is let in and told it is gone (401).
    call: (hub, _caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/auth/passkeys',
        { registration: 'made-up', response: { id: 'x' } },
        token,
      ),
    expect: signedInOnly(401),
  },
  'POST /api/sync/push': {
    // Authenticated by the device's signature, not a session: another device's push fails it.
    call: async (hub, caller) => request(hub.app, 'POST', '/api/sync/push', await push(caller)),
    expect: { ...everyone(200), 'agent-out-of-scope': 401 },
  },
  'POST /api/sync/pull': {
    call: (hub, caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/sync/pull',
        pullBody(caller === 'agent-out-of-scope' ? TABLET_B : TABLET_A, 0, 5),
        token,
      ),
    expect: {
      nobody: 401,
      agent: 200,
      'agent-out-of-scope': 403,
      supervisor: 403,
      'supervisor-out-of-scope': 403,
      admin: 403,
    },
  },
  'POST /api/prepaid/leases': {
    // A lease hands over a meter's key: only to an agent's own device (another account of
    // another route is refused inside a 200, tested in tests/hub/topups.test.ts).
    call: (hub, caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/prepaid/leases',
        {
          deviceId: caller === 'agent-out-of-scope' ? TABLET_B : TABLET_A,
          accountIds: ['acc-0109'],
        },
        token,
      ),
    expect: {
      nobody: 401,
      agent: 200,
      'agent-out-of-scope': 403,
      supervisor: 403,
      'supervisor-out-of-scope': 403,
      admin: 403,
    },
  },
  'POST /api/prepaid/sts/vends': {
    // An STS top-up's token: to the device that recorded it or an agent of its account's route;
    // another route's sale, recorded by another tablet, is not found for her.
    call: async (hub, caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/prepaid/sts/vends',
        { factId: (await stsSales(hub))[caller === 'agent-out-of-scope' ? 'theirs' : 'mine'] },
        token,
      ),
    expect: {
      nobody: 401,
      agent: 200,
      'agent-out-of-scope': 404,
      supervisor: 403,
      'supervisor-out-of-scope': 403,
      admin: 403,
    },
  },
  'POST /api/sync/upload': {
    call: async (hub, _caller, token) =>
      request(
        hub.app,
        'POST',
        '/api/sync/upload',
        outboxFile(TABLET_A, [await push('agent')]),
        token,
      ),
    expect: signedInOnly(200, 403),
  },
  'POST /api/quote': {
    call: (hub) =>
      request(hub.app, 'POST', '/api/quote', {
        tariffId: 'demo-domestic',
        usage: { period: { from: '2026-10-01', to: '2026-11-01' }, kwh: 42 },
      }),
    expect: everyone(200),
  },
  'POST /api/tariffs/{tariffId}/versions': {
    // Tariffs are the admin's: she is let in and told version 1 exists (409); nobody else is.
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', '/api/tariffs/demo-domestic/versions', REPUBLISHED_VERSION, token),
    expect: signedInOnly(403, 403, 409),
  },
  'POST /api/devices/enrolment-codes': {
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', '/api/devices/enrolment-codes', undefined, token),
    expect: signedInOnly(201),
  },
  'POST /api/devices/enrol': {
    // Gated by a code, not a session: a made-up code is refused whoever sends it.
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', '/api/devices/enrol', UNISSUED_CODE_ENROLMENT, token),
    expect: everyone(403),
  },
  'POST /api/devices/{id}/revoke': {
    // Grace revokes her region's tablet; to Otieno, of another region, it is no device at all.
    call: (hub, _caller, token) =>
      request(hub.app, 'POST', `/api/devices/${TABLET_A}/revoke`, undefined, token),
    expect: signedInOnly(200, 404),
  },
  'GET /api/devices': {
    call: (hub, _caller, token) => request(hub.app, 'GET', '/api/devices', undefined, token),
    expect: signedInOnly(200),
  },
  'GET /api/accounts/{id}': {
    // An account of Amina's route; out of scope, one of Baraka's: answered as not there (404).
    call: (hub, caller, token) =>
      request(
        hub.app,
        'GET',
        `/api/accounts/${caller === 'agent-out-of-scope' ? 'acc-0002' : 'acc-0001'}`,
        undefined,
        token,
      ),
    expect: {
      nobody: 401,
      agent: 200,
      'agent-out-of-scope': 404,
      supervisor: 200,
      'supervisor-out-of-scope': 404,
      admin: 200,
    },
  },
  'GET /api/accounts': {
    // A field agent searches her route on her tablet; supervisors their region (an empty
    // answer for another region's: tests/hub/areas.test.ts).
    call: (hub, _caller, token) =>
      request(hub.app, 'GET', '/api/accounts?q=GT-10001', undefined, token),
    expect: signedInOnly(200),
  },
  'GET /api/agents': {
    call: (hub, _caller, token) => request(hub.app, 'GET', '/api/agents', undefined, token),
    expect: signedInOnly(200),
  },
  'PUT /api/agents/{id}/assignment': {
    // Amina to the area of her region; to Otieno, of another region, she is no agent at all.
    call: (hub, _caller, token) =>
      request(
        hub.app,
        'PUT',
        '/api/agents/user-amina/assignment',
        { kind: 'area', id: 'area-ahero' },
        token,
      ),
    expect: signedInOnly(200, 404),
  },
  'GET /api/collections': {
    call: (hub, _caller, token) => request(hub.app, 'GET', '/api/collections', undefined, token),
    expect: signedInOnly(200),
  },
  'GET /api/flags': {
    call: (hub, _caller, token) => request(hub.app, 'GET', '/api/flags', undefined, token),
    expect: signedInOnly(200),
  },
  'GET /api/health': {
    call: (hub) => request(hub.app, 'GET', '/api/health'),
    expect: everyone(200),
  },
};

async function signInOther(hub: Hub): Promise<string> {
  const response = await request(hub.app, 'POST', '/api/auth/supervisor', {
    username: otieno.username,
    password: otieno.password,
  });
  return ((await response.json()) as { token: string }).token;
}

describe('the authorization matrix', () => {
  test('has a row for every endpoint the hub describes, and none for an endpoint it does not', async () => {
    const hub = await openHub();
    const doc = (await (await request(hub.app, 'GET', '/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const described = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(Object.keys(MATRIX).sort()).toEqual(described.sort());
  });

  test.each(Object.entries(MATRIX))(
    '%s answers each caller as the matrix says',
    async (route, row) => {
      const hub = await openHub();
      const tokens = {
        agent: (await signInAgent(hub.app, amina, TABLET_A)).token,
        supervisor: (await signInSupervisor(hub.app)).token,
        otherSupervisor: await signInOther(hub),
        admin: (await signInAdmin(hub.app)).token,
      };
      const answers: Record<string, number> = {};
      for (const caller of CALLERS) {
        const response = await row.call(hub, caller, await tokenOf(hub, caller, tokens));
        answers[caller] = response.status;
        // A route that needs a session refuses nobody for want of one, before anything else.
        const secured = row.expect.nobody === 401 && row.expect.supervisor !== 401;
        if (caller === 'nobody' && secured)
          expect(await response.json(), `${route} as ${caller}`).toMatchObject({
            error: 'not-signed-in',
          });
        if (response.status === 403 && row.expect.supervisor !== 403 && caller.startsWith('agent'))
          expect(await response.json(), `${route} as ${caller}`).toMatchObject({
            error: 'not-allowed',
          });
      }
      expect(answers).toEqual(row.expect);
    },
  );

  test('an agent pulls only her route’s accounts, and another agent only his', async () => {
    const hub = await openHub();
    for (const [agent, device, route] of [
      [amina, TABLET_A, 'route-nyando'],
      [baraka, TABLET_B, 'route-kabondo'],
    ] as const) {
      const { token } = await signInAgent(hub.app, agent, device);
      const response = await request(
        hub.app,
        'POST',
        '/api/sync/pull',
        pullBody(device, 0, 500),
        token,
      );
      const page = (await response.json()) as { accounts: { id: string }[] };
      expect(page.accounts.length).toBeGreaterThan(0);
      const routes = await hub.store.db
        .selectFrom('accounts')
        .select('route_id')
        .distinct()
        .where(
          'id',
          'in',
          page.accounts.map((account) => account.id),
        )
        .execute();
      expect(routes.map((row) => row.route_id)).toEqual([route]);
    }
  });

  test('a supervisor sees her region’s collections, review list and devices, and none of another region’s', async () => {
    const hub = await openHub();
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    chain.payment({ accountId: 'acc-0001', amountMinor: minor(7_300) });
    // In another currency than the account's: stored, flagged, on the review list.
    chain.payment({ accountId: 'acc-0001', amountMinor: minor(7_400), currency: 'USD' });
    await request(hub.app, 'POST', '/api/sync/push', await pushBody(TABLET_A, chain.facts));
    const grace = (await signInSupervisor(hub.app)).token;
    const other = await signInOther(hub);
    const read = async (path: string, token: string) =>
      (await (await request(hub.app, 'GET', path, undefined, token)).json()) as Record<
        string,
        unknown[]
      >;
    expect((await read('/api/collections', grace)).collections?.length).toBe(2);
    expect(await read('/api/collections', other)).toEqual({ collections: [], totals: [] });
    expect((await read('/api/devices', grace)).devices?.length).toBe(2);
    expect((await read('/api/devices', other)).devices).toEqual([]);
    expect((await read('/api/flags', grace)).flags?.length).toBe(1);
    expect((await read('/api/flags', other)).flags).toEqual([]);
    // The admin oversees every region: she sees what Grace sees.
    const admin = (await signInAdmin(hub.app)).token;
    expect((await read('/api/collections', admin)).collections?.length).toBe(2);
    expect((await read('/api/devices', admin)).devices?.length).toBe(2);
    expect((await read('/api/flags', admin)).flags?.length).toBe(1);
  });
});
