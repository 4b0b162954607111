/**
 * Goal: only the right people get in, each only through their own door. An agent signs in
 * with a PIN from a device (which registers the device), a supervisor with a password; a
 * failed sign-in says nothing about which part was wrong and writes nothing; a token opens
 * only its role's routes, and only until it expires.
 *
 * Method: the hub app is called in-process with app.request() on a real SQLite store seeded
 * with the demo deployment; its clock is moved on between requests to expire sessions.
 */
import { describe, expect, test } from 'vitest';
import { signInResponseSchema } from '../../shared/api.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';
import {
  amina,
  DeviceChain,
  grace,
  openHub,
  pullBody,
  pushBody,
  request,
  rowCounts,
  signInAgent,
  signInSupervisor,
  TABLET_A,
  TABLET_C,
  type Hub,
} from './harness.ts';

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

async function expectRefused(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: unknown; message: unknown };
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
}

async function sessionCount(hub: Hub): Promise<number> {
  const row = await hub.store.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('agent sign-in', () => {
  test('an agent with the right PIN on an enrolled device gets a month-long token and their route', async () => {
    const hub = await openHub();
    const before = hub.peekClock().getTime();
    const response = await request(hub.app, 'POST', '/api/auth/agent', {
      username: amina.username,
      pin: amina.pin,
      deviceId: TABLET_A,
    });
    expect(response.status).toBe(200);
    const body = signInResponseSchema.parse(await response.json());
    expect(body.user).toEqual({
      id: 'user-amina',
      username: 'amina',
      displayName: 'Amina Otieno',
      role: 'agent',
      routeId: 'route-nyando',
      routeName: 'Nyando',
      areaId: null,
      areaName: null,
    });
    const lifetime = Date.parse(body.expiresAt) - before;
    expect(lifetime).toBeGreaterThanOrEqual(30 * DAY_MS);
    expect(lifetime).toBeLessThan(30 * DAY_MS + HOUR_MS);
    const device = await hub.store.db
      .selectFrom('devices')
      .selectAll()
      .where('id', '=', TABLET_A)
      .executeTakeFirst();
    expect(device).toMatchObject({
      registered_by: 'user-grace',
      head_seq: 0,
      head_hash: GENESIS_HASH,
      status: 'active',
    });
  });

  test('an agent cannot sign in on a device that was never enrolled: 403 device-not-enrolled', async () => {
    const hub = await openHub();
    const counts = await rowCounts(hub.store);
    await expectRefused(
      await request(hub.app, 'POST', '/api/auth/agent', {
        username: amina.username,
        pin: amina.pin,
        deviceId: TABLET_C,
      }),
      403,
      'device-not-enrolled',
    );
    expect(await rowCounts(hub.store)).toEqual(counts);
  });

  test('a wrong PIN is refused with 401 sign-in-failed and registers nothing', async () => {
    const hub = await openHub();
    const counts = await rowCounts(hub.store);
    await expectRefused(
      await request(hub.app, 'POST', '/api/auth/agent', {
        username: amina.username,
        pin: '9081',
        deviceId: TABLET_A,
      }),
      401,
      'sign-in-failed',
    );
    expect(await rowCounts(hub.store)).toEqual(counts);
    expect(await sessionCount(hub)).toBe(0);
  });

  test('an unknown username gets exactly the answer a wrong PIN gets', async () => {
    const hub = await openHub();
    const wrongPin = await request(hub.app, 'POST', '/api/auth/agent', {
      username: amina.username,
      pin: '4455',
      deviceId: TABLET_A,
    });
    const unknown = await request(hub.app, 'POST', '/api/auth/agent', {
      username: 'zawadi',
      pin: amina.pin,
      deviceId: TABLET_A,
    });
    expect(unknown.status).toBe(wrongPin.status);
    expect(await unknown.json()).toEqual(await wrongPin.json());
  });

  test('a supervisor cannot sign in through the agent door', async () => {
    const hub = await openHub();
    await expectRefused(
      await request(hub.app, 'POST', '/api/auth/agent', {
        username: grace.username,
        pin: '1234',
        deviceId: TABLET_A,
      }),
      401,
      'sign-in-failed',
    );
    expect(await sessionCount(hub)).toBe(0);
  });

  test.each(['12a4', '123', '123456789', ''])(
    'a PIN %j that is not 4 to 8 digits is refused with 400 invalid-request',
    async (pin) => {
      const hub = await openHub();
      await expectRefused(
        await request(hub.app, 'POST', '/api/auth/agent', {
          username: amina.username,
          pin,
          deviceId: TABLET_A,
        }),
        400,
        'invalid-request',
      );
    },
  );

  test('the token is not kept in the clear', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const rows = await hub.store.db.selectFrom('sessions').select('token_hash').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).not.toContain(token);
  });

  test('signing in again on a registered device keeps the device’s chain', async () => {
    const hub = await openHub();
    const first = await signInAgent(hub.app, amina, TABLET_A);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const pushed = await request(
      hub.app,
      'POST',
      '/api/sync/push',
      await pushBody(TABLET_A, [
        chain.payment({ accountId: 'acc-0071', amountMinor: minor(7_171) }),
      ]),
      first.token,
    );
    expect(pushed.status).toBe(200);
    const second = await signInAgent(hub.app, amina, TABLET_A);
    const next = await request(
      hub.app,
      'POST',
      '/api/sync/push',
      await pushBody(TABLET_A, [
        chain.payment({ accountId: 'acc-0073', amountMinor: minor(7_373) }),
      ]),
      second.token,
    );
    expect(next.status).toBe(200);
    expect(await next.json()).toMatchObject({ ackedSeq: 2 });
  });
});

describe('supervisor sign-in', () => {
  test('a supervisor with the right password gets a token for a working day and no route', async () => {
    const hub = await openHub();
    const before = hub.peekClock().getTime();
    const body = await signInSupervisor(hub.app);
    expect(body.user).toMatchObject({
      id: 'user-grace',
      role: 'supervisor',
      displayName: 'Grace Wanjiru',
      routeId: null,
      routeName: null,
    });
    const lifetime = Date.parse(body.expiresAt) - before;
    expect(lifetime).toBeGreaterThanOrEqual(12 * HOUR_MS);
    expect(lifetime).toBeLessThan(13 * HOUR_MS);
    expect(await hub.store.db.selectFrom('sessions').select('device_id').execute()).toEqual([
      { device_id: null },
    ]);
  });

  test('a wrong password is refused with 401 sign-in-failed', async () => {
    const hub = await openHub();
    await expectRefused(
      await request(hub.app, 'POST', '/api/auth/supervisor', {
        username: grace.username,
        password: 'gridtally-dem0',
      }),
      401,
      'sign-in-failed',
    );
    expect(await sessionCount(hub)).toBe(0);
  });

  test('an agent cannot sign in through the supervisor door, even with the right PIN', async () => {
    const hub = await openHub();
    await expectRefused(
      await request(hub.app, 'POST', '/api/auth/supervisor', {
        username: amina.username,
        password: amina.pin,
      }),
      401,
      'sign-in-failed',
    );
  });
});

describe('what a token opens', () => {
  test('a push from a device that was never enrolled is refused with 409 device-not-enrolled, nothing written', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app);
    const chain = new DeviceChain(TABLET_C, 'user-grace');
    const counts = await rowCounts(hub.store);
    await expectRefused(
      await request(
        hub.app,
        'POST',
        '/api/sync/push',
        await pushBody(TABLET_C, [
          chain.payment({ accountId: 'acc-0075', amountMinor: minor(7_575) }),
        ]),
        token,
      ),
      409,
      'device-not-enrolled',
    );
    expect(await rowCounts(hub.store)).toEqual(counts);
  });

  test('a supervisor token cannot pull: 403 not-allowed', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app);
    await expectRefused(
      await request(hub.app, 'POST', '/api/sync/pull', pullBody(TABLET_C, 0), token),
      403,
      'not-allowed',
    );
  });

  test('an agent cannot list collections: 403 not-allowed', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    await expectRefused(
      await request(hub.app, 'GET', '/api/collections', undefined, token),
      403,
      'not-allowed',
    );
  });

  test('collections without a token are refused with 401 not-signed-in', async () => {
    const hub = await openHub();
    await expectRefused(await request(hub.app, 'GET', '/api/collections'), 401, 'not-signed-in');
  });

  test('a supervisor session in use ends after a working day, and unused after an hour', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app);
    for (let hour = 0; hour < 11; hour += 1) {
      hub.advanceClock(50 * 60 * 1000);
      expect((await request(hub.app, 'GET', '/api/collections', undefined, token)).status).toBe(
        200,
      );
    }
    hub.advanceClock(HOUR_MS + 40 * 60 * 1000);
    await expectRefused(
      await request(hub.app, 'GET', '/api/collections', undefined, token),
      401,
      'not-signed-in',
    );
    const second = await signInSupervisor(hub.app);
    hub.advanceClock(59 * 60 * 1000);
    const atTheEdge = await request(hub.app, 'GET', '/api/collections', undefined, second.token);
    expect(atTheEdge.status).toBe(200);
    hub.advanceClock(HOUR_MS);
    await expectRefused(
      await request(hub.app, 'GET', '/api/collections', undefined, second.token),
      401,
      'not-signed-in',
    );
  });

  test('an agent session opens pull after 13 days offline, not after 14 unused, and not after a month in use', async () => {
    const hub = await openHub();
    const pull = (token: string) =>
      request(hub.app, 'POST', '/api/sync/pull', pullBody(TABLET_A, 0, 1), token);
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    hub.advanceClock(13 * DAY_MS);
    expect((await pull(token)).status).toBe(200);
    hub.advanceClock(13 * DAY_MS);
    expect((await pull(token)).status).toBe(200);
    hub.advanceClock(4 * DAY_MS);
    await expectRefused(await pull(token), 401, 'not-signed-in');
    const idle = await signInAgent(hub.app, amina, TABLET_A);
    hub.advanceClock(14 * DAY_MS);
    await expectRefused(await pull(idle.token), 401, 'not-signed-in');
  });
});
