/**
 * Goal: no request can make the hub fail or change what it holds. At least 100,000 generated
 * requests across every endpoint (and paths that are none): malformed and deeply nested JSON,
 * `__proto__` keys, huge and odd numbers, odd Unicode with lone surrogates, wrong types, wrong
 * content types and encodings, bodies over the limit and bodies streamed in chunks, with no
 * token, a forged one, an agent's and a supervisor's. Every answer is below 500, the process
 * stays up, no prototype is polluted, and the store is as it was, but for the bookkeeping of
 * sign-in (sessions, rate-limit counters, lock-outs).
 *
 * Method: fast-check generates each request from a valid sample of its route, mutated, or from
 * nothing; the hub app answers in-process on a seeded SQLite store (the same store and routes
 * the other hub tests use), with a clock that stands still. Requests that could legitimately
 * change the store are never built: pushes are signed by a key the hub does not know (a push
 * that verifies is ingest's business, tested with the independent model in
 * tests/hub/ingest-model.test.ts), and no valid token goes to the two routes that change
 * something with any body (a new enrolment code; signing out). A failure prints the seed and the smallest request that fails.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../hub/app.ts';
import { positiveFromEnv } from '../support/env.ts';
import { TEST_HASHING } from '../support/hashing.ts';
import { storedDump } from './dump.ts';
import {
  amina,
  DeviceChain,
  openHub,
  pullBody,
  pushBody,
  signInAgent,
  signInAdmin,
  TABLET_A,
  TABLET_C,
  type App,
} from '../hub/harness.ts';
import { hubErrorCodes } from '../../shared/errors.ts';
import { minor } from '../../shared/money.ts';
import { outboxFile, REPUBLISHED_VERSION, UNISSUED_CODE_ENROLMENT } from '../hub/samples.ts';

const RUNS = positiveFromEnv('GRIDTALLY_FUZZ_RUNS', 100_000);
const SEED = positiveFromEnv('GRIDTALLY_FUZZ_SEED', 20261207);
/** About two minutes alone on this machine; beside the rest of the suite, up to three times that. */
const FUZZ_TIMEOUT_MS = 900_000;

/** Values that have broken servers: prototype keys, numbers at and past the edges, odd text. */
const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(
    '__proto__',
    'constructor',
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__": {"polluted": true}}'),
    { constructor: { prototype: { polluted: true } } },
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    -0,
    5e-324,
    0.1 + 0.2,
    '\ud800',
    '\udfff\ud800',
    '\u0000',
    '\u202e',
    'ｅ\u0301',
    '💡'.repeat(3000),
    'x'.repeat(70_000),
    '9'.repeat(400),
    '-1',
    '1e999',
    '',
    ' ',
    null,
    true,
    [],
    {},
    Array.from({ length: 2000 }, (_, i) => i),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => Number(n)),
  fc.jsonValue({ maxDepth: 4 }),
);

type Json = unknown;

/** A copy of `value` with the thing at one path replaced, removed, or a key added beside it. */
function mutate(value: Json, choices: readonly number[], replacement: unknown): Json {
  if (choices.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const [choice = 0, ...rest] = choices;
  if (Array.isArray(value)) {
    if (value.length === 0) return [replacement];
    const index = choice % value.length;
    return value.map((item, i) => (i === index ? mutate(item, rest, replacement) : item));
  }
  const keys = Object.keys(value);
  const record = value as Record<string, Json>;
  const copy: Record<string, Json> = { ...record };
  const key = keys[choice % Math.max(keys.length, 1)];
  const action = choice % 7;
  if (key === undefined || action === 5) {
    Object.defineProperty(copy, choice % 2 === 0 ? '__proto__' : 'constructor', {
      value: replacement,
      enumerable: true,
    });
  } else if (action === 6) {
    return Object.fromEntries(Object.entries(copy).filter(([name]) => name !== key));
  } else {
    copy[key] = mutate(record[key], rest, replacement);
  }
  return copy;
}

interface Samples {
  readonly agentToken: string;
  readonly supervisorToken: string;
  readonly bodies: Readonly<Record<string, Json>>;
}

/** Every route, its method and path with parameters filled, and a valid sample body. */
const ROUTES = [
  ['POST', '/api/auth/agent'],
  ['POST', '/api/auth/supervisor'],
  ['POST', '/api/auth/sign-out'],
  ['POST', '/api/sync/push'],
  ['POST', '/api/sync/pull'],
  ['POST', '/api/sync/upload'],
  ['POST', '/api/quote'],
  ['POST', '/api/tariffs/demo-domestic/versions'],
  ['POST', '/api/devices/enrolment-codes'],
  ['POST', '/api/devices/enrol'],
  ['POST', `/api/devices/${TABLET_C}/revoke`],
  ['GET', '/api/devices'],
  ['GET', '/api/collections'],
  ['GET', '/api/flags'],
  ['GET', '/api/health'],
  ['GET', '/api/openapi.json'],
  ['GET', '/api/accounts?q=GT-1000'],
  ['GET', '/api/accounts/acc-0001'],
  ['GET', '/api/agents'],
  ['PUT', '/api/agents/user-amina/assignment'],
] as const;

const otherPaths = fc.oneof(
  fc.constantFrom(
    '/api',
    '/api/',
    '/api/../etc/passwd',
    '/api/%2e%2e/%2e%2e',
    '/api/devices/not-a-uuid/revoke',
    '/api/tariffs/%00/versions',
    '/api/tariffs/' + 'x'.repeat(5000) + '/versions',
    '/index.html',
    '/assets/x.js.map',
    '/api/collections?from=9999-99-99&limit=-1',
    '/api/collections?limit=1e999&__proto__[polluted]=1',
    '/api/flags?' + 'a=1&'.repeat(2000),
  ),
  fc.webPath().map((path) => `/api${path}`),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((text) => `/api/${encodeURIComponent(text)}`),
);

/** `arbitrary` once in `oneIn` draws, otherwise null. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/**
 * The bodies that are long runs of one thing, sent as their bytes: `open` repeated `depth` times
 * (JSON nested that deep, never closed), and `kib` KiB of spaces. Each is the first bytes of the
 * longest such body, encoded once here, so that a request does not build and encode a string of
 * up to 1.4 MB (the bytes are the same).
 */
const OPENINGS = ['[', '{"a":', '[{"b":['] as const;
const DEEPEST = 200_000;
const MOST_KIB = 40;
const encoder = new TextEncoder();
const deepest = Object.fromEntries(
  OPENINGS.map((open) => [open, encoder.encode(open.repeat(DEEPEST))]),
) as Record<(typeof OPENINGS)[number], Uint8Array>;
const spaces = encoder.encode(' '.repeat(MOST_KIB * 1024));

const requestArbitrary = fc.record({
  route: fc.integer({ min: 0, max: ROUTES.length - 1 }),
  otherPath: rarely(otherPaths, 8),
  method: rarely(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), 6),
  auth: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('agent', 'supervisor') },
    { weight: 1, arbitrary: fc.constantFrom('none', 'forged', 'garbage') },
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/json; charset=utf-16',
    undefined,
  ),
  encoding: fc.oneof(
    { weight: 12, arbitrary: fc.constant('none') },
    { weight: 3, arbitrary: fc.constant('gzip') },
    { weight: 1, arbitrary: fc.constantFrom('bad-gzip', 'br', 'gzip, gzip') },
  ),
  body: fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.array(fc.nat(), { maxLength: 6 }), hostileValue) },
    { weight: 1, arbitrary: fc.constant('sample' as const) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((value) => ({ raw: value })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...OPENINGS), fc.integer({ min: 1, max: DEEPEST }))
        .map(([open, depth]) => ({ open, depth })),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary' }).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: MOST_KIB }).map((kib) => ({ kib })) },
  ),
  /** One body in eight streamed in chunks with no length given; the rest sent whole. */
  chunked: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});

type Generated = typeof requestArbitrary extends fc.Arbitrary<infer T> ? T : never;

function bodyText(generated: Generated, sample: Json): string | Uint8Array | undefined {
  const body = generated.body;
  if (body === 'sample') return JSON.stringify(sample);
  if (Array.isArray(body)) return JSON.stringify(mutate(sample, body[0], body[1]) ?? null);
  if ('raw' in body) return JSON.stringify(body.raw);
  if ('bytes' in body) return body.bytes;
  if ('open' in body) return deepest[body.open].subarray(0, body.open.length * body.depth);
  if ('kib' in body) return spaces.subarray(0, body.kib * 1024);
  return body.text;
}

/** The routes a valid token changes something with whatever the body: see toRequest. */
const CHANGES_WITH_TOKEN: ReadonlySet<string> = new Set([
  '/api/devices/enrolment-codes',
  '/api/auth/sign-out',
  '/api/agents/user-amina/assignment',
]);

function toRequest(generated: Generated, samples: Samples): [string, RequestInit] {
  const [routeMethod, routePath] = ROUTES[generated.route] ?? ROUTES[0];
  const path = generated.otherPath ?? routePath;
  const method = generated.method ?? routeMethod;
  const headers: Record<string, string> = {};
  if (generated.contentType) headers['content-type'] = generated.contentType;
  // The routes a valid token changes something with whatever the body: a new enrolment code,
  // signing out (which would leave every later request without a session), an assignment.
  const changesWithToken = CHANGES_WITH_TOKEN.has(path);
  const token =
    generated.auth === 'agent' && !changesWithToken
      ? samples.agentToken
      : generated.auth === 'supervisor' && !changesWithToken
        ? samples.supervisorToken
        : generated.auth === 'forged'
          ? 'A'.repeat(43)
          : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  if (generated.auth === 'garbage') headers.authorization = 'Bearer \u00ff' + '"'.repeat(10);
  if (method === 'GET' || method === 'HEAD') return [path, { method, headers }];
  let payload = bodyText(generated, samples.bodies[routePath] ?? {});
  if (payload === undefined) return [path, { method, headers }];
  if (generated.encoding === 'gzip') payload = new Uint8Array(gzipSync(payload));
  if (generated.encoding !== 'none')
    headers['content-encoding'] = generated.encoding === 'bad-gzip' ? 'gzip' : generated.encoding;
  const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
  if (!generated.chunked)
    return [path, { method, headers, body: bytes as Uint8Array<ArrayBuffer> }];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 4096)
        controller.enqueue(bytes.slice(at, at + 4096));
      controller.close();
    },
  });
  return [path, { method, headers, body: stream, duplex: 'half' } as RequestInit];
}

const ERROR_CODES: ReadonlySet<unknown> = new Set(hubErrorCodes);

async function samplesFor(app: App): Promise<Samples> {
  const agentToken = (await signInAgent(app, amina, TABLET_A)).token;
  // The admin's: she may call every supervisor's route and publish tariffs, so no body is
  // turned away for its role before the hub reads it.
  const supervisorToken = (await signInAdmin(app)).token;
  const chain = new DeviceChain(TABLET_A, 'user-amina');
  chain.payment({ accountId: 'acc-0001', amountMinor: minor(12_345) });
  // Signed by a key the hub does not hold for TABLET_A: it can never be ingested.
  const push = await pushBody(TABLET_A, chain.facts, TABLET_C);
  return {
    agentToken,
    supervisorToken,
    bodies: {
      '/api/auth/agent': { username: 'amina', pin: '0000', deviceId: TABLET_A },
      '/api/auth/supervisor': { username: 'grace', password: 'not-the-password' },
      '/api/sync/push': push,
      '/api/sync/pull': pullBody(TABLET_A, 0, 5),
      '/api/sync/upload': outboxFile(TABLET_A, [push]),
      '/api/quote': {
        tariffId: 'demo-domestic',
        usage: { period: { from: '2026-10-01', to: '2026-11-01' }, kwh: '123.4' },
      },
      '/api/tariffs/demo-domestic/versions': REPUBLISHED_VERSION,
      '/api/devices/enrol': UNISSUED_CODE_ENROLMENT,
      '/api/agents/user-amina/assignment': { kind: 'area', id: 'area-ahero' },
    },
  };
}

describe('hostile requests', () => {
  test(
    `${RUNS.toLocaleString('en')} generated requests: no 5xx, no crash, no pollution, the store unchanged`,
    async () => {
      const seeded = await openHub();
      // A clock that stands still: a hundred thousand requests on the test hub's stepping clock
      // would outlive every session, and the tokens would open nothing.
      const at = seeded.peekClock();
      const hub = {
        store: seeded.store,
        app: createApp({ store: seeded.store, now: () => at, secretHashing: TEST_HASHING }),
      };
      const samples = await samplesFor(hub.app);
      const before = await storedDump(hub.store);
      const statuses = new Map<number, number>();
      let address = 0;
      await fc.assert(
        fc.asyncProperty(requestArbitrary, async (generated) => {
          const [path, init] = toRequest(generated, samples);
          address = (address + 1) % 65_000;
          const response = await hub.app.request(path, init, {
            incoming: { socket: { remoteAddress: `10.${address >> 8}.${address & 255}.1` } },
          });
          const text = await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          // Plain comparisons, not expect(): three matchers a request cost seconds over a
          // hundred thousand. A failure throws; fast-check shrinks it and prints the seed and
          // the smallest request that fails, after this message.
          const fail = (what: string) =>
            new Error(
              `${init.method} ${path.slice(0, 200)} answered ${response.status}: ${what}\n${text.slice(0, 500)}`,
            );
          if (response.status >= 500) throw fail('a server error');
          // A refusal is a clear error: one of the closed list of codes, with a message.
          if (response.status >= 400 && init.method !== 'HEAD') {
            const refusal = JSON.parse(text) as { error?: unknown; message?: unknown };
            if (!ERROR_CODES.has(refusal.error)) throw fail('a refusal with no known error code');
            if (typeof refusal.message !== 'string') throw fail('a refusal with no message');
          }
          if (({} as Record<string, unknown>).polluted !== undefined)
            throw fail('after it, Object.prototype is polluted');
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: false },
      );
      console.log(
        `[fuzz] seed ${SEED}: ${RUNS} requests, answers by status:`,
        JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b))),
      );
      expect(await storedDump(hub.store)).toEqual(before);
    },
    FUZZ_TIMEOUT_MS,
  );
});
