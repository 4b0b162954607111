/**
 * Goal: the hostile probes of issue 12 each fail against the hub. An agent's PIN cannot be
 * guessed without an enrolled tablet, nor with one past five tries; a supervisor's password
 * locks after ten; tries are limited per address and per account; secrets are hashed at OWASP's
 * strength off the event loop; bodies are bounded per route before they are read, plain and
 * gzip, and routes that need a session read nothing without one; `/api/quote` answers 4xx for
 * any number out of bounds; every answer carries the security headers and none a CORS grant;
 * signing out ends the session on the hub; a revoked tablet cannot enrol again; a lone
 * surrogate is never stored.
 *
 * Method: the hub app in-process on a seeded SQLite store (and PostgreSQL in the
 * hub-on-postgres project), its clock stepped to expire locks; requests from "addresses" are
 * calls with a socket address in the server environment, as @hono/node-server passes it.
 * Sign-in at full strength builds its own app on the same store with the default hashing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../hub/app.ts';
import { needsRehash, SCRYPT_PARAMETERS, hashSecret } from '../../hub/auth/secrets.ts';
import { LOCKOUTS, lockAfter, THROTTLES } from '../../hub/auth/throttle.ts';
import { BODY_LIMITS } from '../../hub/http/edge.ts';
import { revokeDevice } from '../../hub/devices/enrolment.ts';
import { issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import { minor } from '../../shared/money.ts';
import { TEST_HASHING } from '../support/hashing.ts';
import {
  amina,
  DeviceChain,
  deviceKey,
  grace,
  openHub,
  pushBody,
  request,
  rowCounts,
  signInAgent,
  signInAdmin,
  signInSupervisor,
  TABLET_A,
  TABLET_B,
  type App,
  type Hub,
} from './harness.ts';

const MINUTE_MS = 60_000;
const MADE_UP_DEVICE = '0190e3c0-0000-7000-8000-00000000beef';

function from(address: string) {
  return { incoming: { socket: { remoteAddress: address } } };
}

async function post(app: App, path: string, body: unknown, address = '198.51.100.7') {
  return app.request(
    path,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    from(address),
  );
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

/**
 * The test hub's clock steps a second at every reading, and a sign-in reads it several times:
 * tests of per-minute limits use an app on the same store whose clock stands still until moved.
 */
function stillClock(hub: Hub) {
  let nowMs = hub.peekClock().getTime();
  const app = createApp({
    store: hub.store,
    now: () => new Date(nowMs),
    secretHashing: TEST_HASHING,
  });
  return {
    app,
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

const agentTry = (app: App, pin: string, deviceId = TABLET_A, address?: string) =>
  post(app, '/api/auth/agent', { username: amina.username, pin, deviceId }, address);

const supervisorTry = (app: App, password: string, address?: string) =>
  post(app, '/api/auth/supervisor', { username: grace.username, password }, address);

describe('an agent PIN', () => {
  test('on a made-up device gets the same answer right or wrong: the PIN is not checked', async () => {
    const hub = await openHub();
    const right = await agentTry(hub.app, amina.pin, MADE_UP_DEVICE);
    const wrong = await agentTry(hub.app, '0000', MADE_UP_DEVICE);
    expect([right.status, await errorOf(right)]).toEqual([403, 'device-not-enrolled']);
    expect([wrong.status, await errorOf(wrong)]).toEqual([403, 'device-not-enrolled']);
  });

  test('locks after five wrong tries on a device, refuses even the right one while locked, and doubles the lock', async () => {
    const hub = await openHub();
    for (let i = 0; i < 5; i += 1)
      expect((await agentTry(hub.app, `000${i}`)).status, `try ${i + 1}`).toBe(401);
    const locked = await agentTry(hub.app, amina.pin);
    expect(locked.status).toBe(429);
    expect(await errorOf(locked)).toBe('sign-in-locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another tablet is another subject: the PIN's owner can still work there.
    expect((await agentTry(hub.app, amina.pin, TABLET_B)).status).toBe(200);
    hub.advanceClock(MINUTE_MS);
    expect((await agentTry(hub.app, '9999')).status).toBe(401);
    const longer = await agentTry(hub.app, amina.pin);
    expect(await errorOf(longer)).toBe('sign-in-locked');
    expect(Number(longer.headers.get('retry-after'))).toBeGreaterThan(60);
    hub.advanceClock(2 * MINUTE_MS);
    expect((await agentTry(hub.app, amina.pin)).status).toBe(200);
    // The right PIN cleared the count: five more wrong tries before the next lock.
    for (let i = 0; i < 4; i += 1) expect((await agentTry(hub.app, '1111')).status).toBe(401);
    expect((await agentTry(hub.app, amina.pin)).status).toBe(200);
  });

  test('the back-off grows from a minute to a day and no further', () => {
    const pin = LOCKOUTS.pin;
    expect([4, 5, 6, 7].map((failures) => lockAfter(pin, failures))).toEqual([
      undefined,
      MINUTE_MS,
      2 * MINUTE_MS,
      4 * MINUTE_MS,
    ]);
    expect(lockAfter(pin, 100)).toBe(24 * 60 * MINUTE_MS);
  });
});

describe('a supervisor password', () => {
  test('200 wrong tries in a row are not all answered: ten are, then the account is locked, right password or not', async () => {
    const hub = await openHub();
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const response = await supervisorTry(hub.app, `guess-${i}`, `203.0.113.${i % 250}`);
      statuses.push(response.status);
      if (response.status === 429) break;
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    const right = await supervisorTry(hub.app, grace.password);
    expect([right.status, await errorOf(right)]).toEqual([429, 'sign-in-locked']);
  });
});

describe('rate limits', () => {
  test('one address gets its sign-in tries a minute, then 429 too-many-requests; another address does not', async () => {
    const hub = { app: stillClock(await openHub()).app };
    const limit = THROTTLES.signInAddress.limit;
    const usernames = Array.from({ length: limit + 1 }, (_, i) => `nobody-${i}`);
    const answers: number[] = [];
    for (const username of usernames)
      answers.push(
        (await post(hub.app, '/api/auth/supervisor', { username, password: 'x' }, '192.0.2.1'))
          .status,
      );
    expect(answers.slice(0, limit).every((status) => status === 401)).toBe(true);
    const refused = await post(
      hub.app,
      '/api/auth/supervisor',
      { username: grace.username, password: grace.password },
      '192.0.2.1',
    );
    expect([refused.status, await errorOf(refused)]).toEqual([429, 'too-many-requests']);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect((await supervisorTry(hub.app, grace.password, '192.0.2.2')).status).toBe(200);
  });

  test('the limits live in the store: a second hub process on it, or a restarted one, keeps the lock', async () => {
    const hub = await openHub();
    for (let i = 0; i < 5; i += 1) await agentTry(hub.app, `987${i}`);
    const restarted = createApp({ store: hub.store, now: () => hub.peekClock() });
    const answer = await agentTry(restarted, amina.pin);
    expect([answer.status, await errorOf(answer)]).toEqual([429, 'sign-in-locked']);
  });

  test('enrolment tries from one address are limited', async () => {
    const hub = await openHub();
    const limit = THROTTLES.enrolAddress.limit;
    const key = await crypto.subtle.exportKey('jwk', (await deviceKey(TABLET_A)).publicKey);
    const body = {
      code: 'ABCD-EFGH-JKMN',
      deviceId: MADE_UP_DEVICE,
      publicKey: { kty: 'EC', crv: 'P-256', x: key.x, y: key.y },
    };
    for (let i = 0; i < limit; i += 1)
      expect(await errorOf(await post(hub.app, '/api/devices/enrol', body, '192.0.2.9'))).toBe(
        'enrolment-code-invalid',
      );
    const refused = await post(hub.app, '/api/devices/enrol', body, '192.0.2.9');
    expect([refused.status, await errorOf(refused)]).toEqual([429, 'too-many-requests']);
  });

  test('quotes from one address are limited', async () => {
    const hub = { app: stillClock(await openHub()).app };
    const body = { tariffId: 'demo-domestic', usage: { period: QUOTE_PERIOD, kwh: 10 } };
    for (let i = 0; i < THROTTLES.quoteAddress.limit; i += 1)
      expect((await post(hub.app, '/api/quote', body, '192.0.2.20')).status).toBe(200);
    expect((await post(hub.app, '/api/quote', body, '192.0.2.20')).status).toBe(429);
  });

  test('a device past its pushes a minute is answered 429 and its facts stay unstored until it sends again', async () => {
    const opened = await openHub();
    const clock = stillClock(opened);
    const hub = { ...opened, app: clock.app, advanceClock: clock.advance };
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const limit = THROTTLES.pushDevice.limit;
    const empty = await pushBody(TABLET_A, [
      chain.payment({ accountId: 'acc-0001', amountMinor: minor(1_000) }),
    ]);
    for (let i = 0; i < limit; i += 1) {
      const answer = await post(hub.app, '/api/sync/push', empty, `10.0.${i}.1`);
      expect(answer.status).toBe(200);
    }
    const next = chain.payment({ accountId: 'acc-0001', amountMinor: minor(2_000) });
    const refused = await post(hub.app, '/api/sync/push', await pushBody(TABLET_A, [next]));
    expect(refused.status).toBe(429);
    expect(await factStored(hub, next.id)).toBe(false);
    hub.advanceClock(MINUTE_MS);
    const later = await post(hub.app, '/api/sync/push', await pushBody(TABLET_A, [next]));
    expect(later.status).toBe(200);
    expect(await factStored(hub, next.id)).toBe(true);
  });
});

async function factStored(hub: Hub, id: string): Promise<boolean> {
  const row = await hub.store.db
    .selectFrom('facts')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

describe('secrets at rest', () => {
  test('new hashes use OWASP’s scrypt strength, and a weaker stored hash is upgraded at the next sign-in', async () => {
    const hub = await openHub();
    // OWASP's Password Storage Cheat Sheet: N=2^17 r=8 p=1 or one of its equivalents.
    const owasp = [
      [2 ** 17, 8, 1],
      [2 ** 16, 8, 2],
      [2 ** 15, 8, 3],
      [2 ** 14, 8, 5],
      [2 ** 13, 8, 10],
    ];
    expect(owasp).toContainEqual([SCRYPT_PARAMETERS.N, SCRYPT_PARAMETERS.r, SCRYPT_PARAMETERS.p]);
    const before = await storedHash(hub, 'user-grace');
    expect(needsRehash(before)).toBe(true);
    // A hub at full strength on the test store, whose seed hashed cheaply.
    const strong = createApp({ store: hub.store, now: () => hub.peekClock() });
    expect((await supervisorTry(strong, grace.password)).status).toBe(200);
    const after = await storedHash(hub, 'user-grace');
    expect(after.split('$').slice(1, 4).map(Number)).toEqual([
      SCRYPT_PARAMETERS.N,
      SCRYPT_PARAMETERS.r,
      SCRYPT_PARAMETERS.p,
    ]);
    expect(needsRehash(after)).toBe(false);
    expect((await supervisorTry(strong, grace.password)).status).toBe(200);
    expect((await supervisorTry(strong, 'not-it')).status).toBe(401);
  });

  test('hashing runs off the event loop: timers keep firing while sign-ins hash', async () => {
    const started = performance.now();
    await hashSecret('measure-one');
    const oneHashMs = performance.now() - started;
    let longestGapMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 5);
    await Promise.all(Array.from({ length: 4 }, (_, i) => hashSecret(`secret-${i}`)));
    clearInterval(ticker);
    // A synchronous hash would stall the loop for at least one hash's time.
    expect(longestGapMs).toBeLessThan(oneHashMs / 2);
  });
});

async function storedHash(hub: Hub, userId: string): Promise<string> {
  const row = await hub.store.db
    .selectFrom('users')
    .select('secret_hash')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.secret_hash;
}

/** A body that counts how much of it the hub pulled: chunks of 64 KiB, `total` bytes in all. */
function countedBody(total: number, chunk = 64 * 1024) {
  const pulled = { bytes: 0 };
  const piece = new Uint8Array(chunk).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      pulled.bytes += chunk;
      controller.enqueue(piece);
    },
  });
  return { stream, pulled };
}

function streamed(app: App, path: string, body: ReadableStream<Uint8Array>, token?: string) {
  return app.request(
    path,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body,
      duplex: 'half',
    } as RequestInit,
    from('198.51.100.99'),
  );
}

describe('request bodies', () => {
  test('a 50 MB push is refused with 413 after its route’s limit, not read whole', async () => {
    const hub = await openHub();
    const before = await rowCounts(hub.store);
    const { stream, pulled } = countedBody(50 * 1024 * 1024);
    const response = await streamed(hub.app, '/api/sync/push', stream);
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toBe('request-too-large');
    const limit = BODY_LIMITS['POST /api/sync/push'] ?? 0;
    expect(pulled.bytes).toBeLessThanOrEqual(limit + 2 * 64 * 1024);
    expect(await rowCounts(hub.store)).toEqual(before);
  });

  test('a route that needs a session reads not one byte of a body sent without one', async () => {
    const hub = await openHub();
    const { stream, pulled } = countedBody(50 * 1024 * 1024);
    const response = await streamed(hub.app, '/api/sync/upload', stream);
    expect([response.status, await errorOf(response)]).toEqual([401, 'not-signed-in']);
    expect(pulled.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  test('a quote is bounded too: a large body, and a small gzip that inflates past the limit', async () => {
    const hub = await openHub();
    const { stream } = countedBody(2 * 1024 * 1024);
    expect((await streamed(hub.app, '/api/quote', stream)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    const response = await hub.app.request(
      '/api/quote',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: new Uint8Array(bomb),
      },
      from('198.51.100.8'),
    );
    expect([response.status, await errorOf(response)]).toEqual([413, 'request-too-large']);
  });

  test('a body declared larger than the limit is refused from its Content-Length alone', async () => {
    const hub = await openHub();
    const response = await hub.app.request('/api/auth/supervisor', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) },
      body: '{}',
    });
    expect(response.status).toBe(413);
  });
});

const QUOTE_PERIOD = { from: '2026-10-01', to: '2026-11-01' };

function flatTariff(rate: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'probe',
    version: 1,
    name: 'Probe',
    currency: 'USD',
    effectiveFrom: '2026-01-01',
    energy: [{ kind: 'flat', rate }],
    ...extra,
  };
}

describe('POST /api/quote never answers 5xx', () => {
  test.each([
    [
      'a rate of 999999999.999999999',
      { tariff: flatTariff('999999999.999999999') },
      'invalid-tariff',
    ],
    ['10¹² kWh', { tariff: flatTariff('0.25'), kwh: 1e12 }, 'invalid-request'],
    [
      'a percentage of 10¹⁴',
      {
        tariff: flatTariff('1', {
          charges: [
            {
              kind: 'percentage',
              id: 'vat',
              group: 'tax',
              percent: '99999999999999',
              of: ['energy'],
            },
          ],
        }),
      },
      'invalid-tariff',
    ],
    [
      'in-range numbers whose bill passes the range',
      { tariff: flatTariff('1000000'), kwh: '1000000000' },
      'amount-out-of-range',
    ],
    [
      '101 versions',
      { tariff: Array.from({ length: 101 }, () => flatTariff('1')) },
      'invalid-request',
    ],
    [
      'a period of 8,000 years',
      { tariff: flatTariff('1'), period: { from: '0001-01-01', to: '9999-12-31' } },
      'invalid-request',
    ],
  ])('%s is a 400 with a clear code', async (_name, probe, code) => {
    const hub = await openHub();
    const {
      tariff,
      kwh = 10,
      period = QUOTE_PERIOD,
    } = probe as {
      tariff: unknown;
      kwh?: unknown;
      period?: unknown;
    };
    const response = await post(hub.app, '/api/quote', { tariff, usage: { period, kwh } });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe(code);
  });

  test('240,000 blocks are refused before they are parsed: too large a body', async () => {
    const hub = await openHub();
    const blocks = [
      ...Array.from({ length: 240_000 }, (_, i) => ({ upToKwh: i + 1, rate: '1' })),
      { upToKwh: null, rate: '1' },
    ];
    const tariff = flatTariff('1', { energy: [{ kind: 'blocks', period: 'month', blocks }] });
    const response = await post(hub.app, '/api/quote', {
      tariff,
      usage: { period: QUOTE_PERIOD, kwh: 1 },
    });
    expect(response.status).toBe(413);
  });

  test('a tariff version with a ladder of 101 blocks is refused at publishing too', async () => {
    const hub = await openHub();
    const { token } = await signInAdmin(hub.app);
    const blocks = [
      ...Array.from({ length: 100 }, (_, i) => ({ upToKwh: i + 1, rate: '1' })),
      { upToKwh: null, rate: '1' },
    ];
    const response = await request(
      hub.app,
      'POST',
      '/api/tariffs/demo-domestic/versions',
      {
        ...flatTariff('1', { energy: [{ kind: 'blocks', period: 'month', blocks }] }),
        id: 'demo-domestic',
        currency: 'KES',
        version: 2,
        effectiveFrom: '2027-01-01',
      },
      token,
    );
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe('invalid-tariff');
  });
});

describe('headers', () => {
  test('every answer has a strict CSP, nosniff, no framing and no x-powered-by', async () => {
    const hub = await openHub();
    for (const path of ['/api/health', '/api/nothing-here']) {
      const response = await hub.app.request(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  test('no CORS grant to another origin, for a simple request or a preflight', async () => {
    const hub = await openHub();
    const origin = { origin: 'https://evil.example' };
    const simple = await hub.app.request('/api/health', { headers: origin });
    const preflight = await hub.app.request('/api/collections', {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET' },
    });
    for (const response of [simple, preflight])
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('sessions', () => {
  test('signing out ends the session on the hub for a supervisor and for an agent', async () => {
    const hub = await openHub();
    const supervisor = await signInSupervisor(hub.app);
    const agent = await signInAgent(hub.app, amina, TABLET_A);
    for (const token of [supervisor.token, agent.token]) {
      const out = await request(hub.app, 'POST', '/api/auth/sign-out', undefined, token);
      expect(out.status).toBe(200);
    }
    const collections = await request(
      hub.app,
      'GET',
      '/api/collections',
      undefined,
      supervisor.token,
    );
    expect([collections.status, await errorOf(collections)]).toEqual([401, 'not-signed-in']);
    const again = await request(hub.app, 'POST', '/api/auth/sign-out', undefined, agent.token);
    expect(again.status).toBe(401);
  });

  test('a token is stored only as its hash and is 256 bits', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app);
    expect(Buffer.from(token, 'base64url').length).toBe(32);
    const rows = await hub.store.db.selectFrom('sessions').select('token_hash').execute();
    expect(rows.map((row) => row.token_hash)).not.toContain(token);
  });
});

describe('devices', () => {
  test('a revoked tablet enrolling again with a fresh code is refused, and the code still enrols another', async () => {
    const hub = await openHub();
    await revokeDevice(hub.store, TABLET_A, 'user-grace', hub.peekClock());
    const { code } = await issueEnrolmentCode(hub.store, 'user-grace', hub.peekClock());
    const key = await crypto.subtle.exportKey('jwk', (await deviceKey(TABLET_A)).publicKey);
    const publicKey = { kty: 'EC', crv: 'P-256', x: key.x, y: key.y };
    const again = await post(hub.app, '/api/devices/enrol', {
      code,
      deviceId: TABLET_A,
      publicKey,
    });
    expect([again.status, await errorOf(again)]).toEqual([403, 'device-revoked']);
    const fresh = await post(hub.app, '/api/devices/enrol', {
      code,
      deviceId: MADE_UP_DEVICE,
      publicKey,
    });
    expect(fresh.status).toBe(201);
  });
});

describe('text', () => {
  test('a contact value with a lone surrogate is flagged body-invalid and nothing mangled is stored', async () => {
    const hub = await openHub();
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const edit = chain.contact({
      accountId: 'acc-0001',
      field: 'name',
      value: 'Wanjiru \ud800',
      previous: '',
      baseChangeSeq: 0,
    });
    const response = await post(hub.app, '/api/sync/push', await pushBody(TABLET_A, [edit]));
    expect(response.status).toBe(200);
    const stored = await hub.store.db
      .selectFrom('facts')
      .select(['outcome', 'flag_reason', 'flag_detail', 'document'])
      .where('id', '=', edit.id)
      .executeTakeFirstOrThrow();
    expect([stored.outcome, stored.flag_reason]).toEqual(['flagged', 'body-invalid']);
    expect(stored.document).toContain('\\ud800');
    expect(stored.document).not.toContain('\ufffd');
    const edits = await hub.store.db.selectFrom('contact_edits').select('value').execute();
    expect(edits.map((row) => row.value).join('')).not.toContain('\ufffd');
  });

  test('a device label with a lone surrogate is refused with 400', async () => {
    const hub = await openHub();
    const { code } = await issueEnrolmentCode(hub.store, 'user-grace', hub.peekClock());
    const key = await crypto.subtle.exportKey('jwk', (await deviceKey(MADE_UP_DEVICE)).publicKey);
    const response = await post(hub.app, '/api/devices/enrol', {
      code,
      deviceId: MADE_UP_DEVICE,
      publicKey: { kty: 'EC', crv: 'P-256', x: key.x, y: key.y },
      label: 'Tablet \udc00',
    });
    expect([response.status, await errorOf(response)]).toEqual([400, 'invalid-request']);
  });
});

describe('card data', () => {
  test('a push whose contact edit holds a card number is refused whole, and nothing of it is stored', async () => {
    const hub = await openHub();
    const before = await rowCounts(hub.store);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const payment = chain.payment({ accountId: 'acc-0001', amountMinor: minor(4_100) });
    const edit = chain.contact({
      accountId: 'acc-0001',
      field: 'address',
      value: 'card 4111 1111 1111 1111',
      previous: '',
      baseChangeSeq: 0,
    });
    const response = await post(
      hub.app,
      '/api/sync/push',
      await pushBody(TABLET_A, [payment, edit]),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'card-number-refused',
      details: { factId: edit.id, field: 'body.value' },
    });
    expect(await rowCounts(hub.store)).toEqual(before);
    const texts = await hub.store.db.selectFrom('facts').select('document').execute();
    expect(texts.some((row) => row.document.includes('4111'))).toBe(false);
  });

  test('a phone number is digits and is taken, whatever Luhn says of it', async () => {
    const hub = await openHub();
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const edit = chain.contact({
      accountId: 'acc-0001',
      field: 'phone',
      value: '4111111111111111',
      previous: '',
      baseChangeSeq: 0,
    });
    const response = await post(hub.app, '/api/sync/push', await pushBody(TABLET_A, [edit]));
    expect(response.status).toBe(200);
  });

  test('a device label or a tariff label with a card number is refused with 400', async () => {
    const hub = await openHub();
    const { code } = await issueEnrolmentCode(hub.store, 'user-grace', hub.peekClock());
    const key = await crypto.subtle.exportKey('jwk', (await deviceKey(MADE_UP_DEVICE)).publicKey);
    const enrol = await post(hub.app, '/api/devices/enrol', {
      code,
      deviceId: MADE_UP_DEVICE,
      publicKey: { kty: 'EC', crv: 'P-256', x: key.x, y: key.y },
      label: 'Tablet 5555 5555 5555 4444',
    });
    expect([enrol.status, await errorOf(enrol)]).toEqual([400, 'invalid-request']);
    const quote = await post(hub.app, '/api/quote', {
      tariff: flatTariff('1', { name: 'Card 4111111111111111' }),
      usage: { period: QUOTE_PERIOD, kwh: 1 },
    });
    expect([quote.status, await errorOf(quote)]).toEqual([400, 'invalid-tariff']);
  });
});

describe('found by the fuzz test', () => {
  test('publishing a tariff version with no body and no content type is a 400, not a 500', async () => {
    const hub = await openHub();
    const { token } = await signInAdmin(hub.app);
    const response = await hub.app.request('/api/tariffs/demo-domestic/versions', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new Uint8Array(0),
    });
    expect([response.status, await errorOf(response)]).toEqual([400, 'invalid-tariff']);
  });
});

describe('source maps', () => {
  test('are not served unless asked for', async () => {
    const hub = await openHub();
    const root = mkdtempSync(join(tmpdir(), 'gridtally-maps-'));
    try {
      writeFileSync(join(root, 'app.js'), 'export const a = 1;\n');
      writeFileSync(join(root, 'app.js.map'), '{"version":3,"sources":["secret.ts"]}');
      const served = (options: { serveSourceMaps?: boolean }) =>
        createApp({ store: hub.store, now: () => new Date() }, { staticDir: root, ...options });
      expect((await served({}).request('/app.js')).status).toBe(200);
      const hidden = await served({}).request('/app.js.map');
      expect(hidden.status).toBe(404);
      expect(await hidden.text()).not.toContain('secret.ts');
      expect((await served({ serveSourceMaps: true }).request('/app.js.map')).status).toBe(200);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the lock-out table', () => {
  test('forgets wrong tries a day old, and keeps the recent ones and a running lock', async () => {
    const opened = await openHub();
    const clock = stillClock(opened);
    for (let i = 0; i < 3; i += 1)
      await post(clock.app, '/api/auth/supervisor', { username: `nobody-${i}`, password: 'x' });
    clock.advance(25 * 60 * 60_000);
    for (let i = 0; i < 5; i += 1) await agentTry(clock.app, `55${i}0`);
    clock.advance(30_000);
    await post(clock.app, '/api/auth/supervisor', { username: 'someone-new', password: 'x' });
    const kept = await opened.store.db.selectFrom('lockouts').select('subject').execute();
    expect(kept.map((row) => row.subject).sort()).toEqual(
      [`pin:${amina.username}@${TABLET_A}`, 'password:someone-new'].sort(),
    );
    expect((await agentTry(clock.app, amina.pin)).status).toBe(429);
  });
});
