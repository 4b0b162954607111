/**
 * The hub's edge: what every request meets before a handler reads it. For an API route it
 * finds the route's policy (who may call it, as the route declares with `signedIn`, and the
 * most bytes its body may have), checks the session of a route that needs one before a byte of
 * the body is read, refuses a body over the route's limit with `request-too-large` (413) as it
 * streams in, plain or gzip (then also after inflating), and only then lets the route read it.
 * Every answer carries security headers: a strict Content-Security-Policy the app passes (it
 * has no inline script or style), no sniffing, no framing, no referrer. No CORS header is ever
 * sent: the app and its API share one origin, so other sites' pages cannot call the hub.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Context } from 'hono';
import { findSession } from '../auth/sessions.ts';
import { throttle, type ThrottlePolicy } from '../auth/throttle.ts';
import { BEARER_SCHEME, type Role } from '../auth/middleware.ts';
import type { AppEnv } from './context.ts';
import { HubError } from './errors.ts';
import { inflateBody } from './compression.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * The most bytes a request body may have, per route (STYLE 16), plain or inflated. A route not
 * named here takes DEFAULT_BODY_BYTES; tests/hub/edge.test.ts checks every route is named.
 */
export const BODY_LIMITS: Readonly<Record<string, number>> = {
  'POST /api/auth/agent': 4 * KIB,
  'POST /api/auth/supervisor': 4 * KIB,
  'POST /api/auth/sign-out': 4 * KIB,
  'POST /api/auth/second-factor': 16 * KIB,
  'POST /api/auth/second-factor/passkey-options': 4 * KIB,
  'GET /api/auth/second-factors': 0,
  'POST /api/auth/totp/setup': 4 * KIB,
  'POST /api/auth/totp/confirm': 4 * KIB,
  'POST /api/auth/passkeys/options': 4 * KIB,
  'POST /api/auth/passkeys': 16 * KIB,
  /** 1,000 facts, each body at most 4,096 characters (up to three bytes each) and its envelope. */
  'POST /api/sync/push': 16 * MIB,
  'POST /api/sync/pull': 16 * KIB,
  /** An exported outbox: weeks of a tablet's facts, uploaded by a supervisor. */
  'POST /api/sync/upload': 64 * MIB,
  /** Up to 100 versions of one tariff, each within the tariff document's limits. */
  'POST /api/quote': 512 * KIB,
  'POST /api/tariffs/{tariffId}/versions': 256 * KIB,
  'POST /api/devices/enrolment-codes': 4 * KIB,
  'POST /api/devices/enrol': 8 * KIB,
  'POST /api/devices/{id}/revoke': 4 * KIB,
  /** 500 account ids of up to 64 characters each, and the device's id. */
  'POST /api/prepaid/leases': 64 * KIB,
  'GET /api/accounts/{id}': 0,
  'GET /api/devices': 0,
  'GET /api/collections': 0,
  'GET /api/flags': 0,
  'GET /api/health': 0,
};

/** Any other path under /api: only a small body is read before it is answered `not-found`. */
export const DEFAULT_BODY_BYTES = 4 * KIB;

export interface RoutePolicy {
  readonly key: string;
  readonly pattern: RegExp;
  readonly method: string;
  /** The roles a session may have, or null for a route anyone may call. */
  readonly roles: readonly Role[] | null;
  readonly maxBodyBytes: number;
}

interface RouteDefinition {
  readonly type: string;
  readonly route?: {
    readonly method: string;
    readonly path: string;
    readonly security?: readonly Record<string, readonly string[]>[];
  };
}

/** Each route's policy, read from the OpenAPI definitions the routes registered. */
export function routePolicies(definitions: readonly RouteDefinition[]): RoutePolicy[] {
  return definitions.flatMap((definition) => {
    const route = definition.route;
    if (definition.type !== 'route' || !route) return [];
    const method = route.method.toUpperCase();
    const key = `${method} ${route.path}`;
    const scopes = route.security?.flatMap((scheme) => scheme[BEARER_SCHEME] ?? []) ?? [];
    const roles = route.security ? (scopes as Role[]) : null;
    const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
    return [
      {
        key,
        method,
        pattern: new RegExp(`^${source}$`),
        roles,
        maxBodyBytes: BODY_LIMITS[key] ?? DEFAULT_BODY_BYTES,
      },
    ];
  });
}

function tooLarge(limit: number): HubError {
  return new HubError(
    413,
    'request-too-large',
    `The request body is larger than this route takes (${limit} bytes).`,
  );
}

/**
 * The address a request came from: the socket's peer, or, behind a reverse proxy the operator
 * names with HUB_TRUST_PROXY=1, the last address the proxy appended to X-Forwarded-For (the
 * ones before it are the client's own word). In-process calls have no socket: `local`.
 */
export function clientAddress(c: Context<AppEnv>): string {
  if (c.get('deps').trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  return incoming?.socket?.remoteAddress ?? 'local';
}

/**
 * What a route counted per address spreads into its `createRoute`: the count runs before the
 * body is read or validated.
 */
export function limitedByAddress(policy: ThrottlePolicy) {
  return {
    middleware: [
      createMiddleware<AppEnv>(async (c, next) => {
        const { store, now } = c.get('deps');
        await throttle(store, policy, clientAddress(c), now());
        await next();
      }),
    ],
  };
}

/** The edge for /api/*, given the policies filled in once every route is registered. */
export function apiEdge(policies: () => readonly RoutePolicy[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const policy = policies().find(
      (candidate) => candidate.method === method && candidate.pattern.test(c.req.path),
    );
    if (policy?.roles) await authenticate(c, policy.roles);
    const limit = policy?.maxBodyBytes ?? DEFAULT_BODY_BYTES;
    const limited = bodyLimit({
      maxSize: limit,
      onError: () => {
        throw tooLarge(limit);
      },
    });
    await limited(c, async () => {
      await inflateBody(c, limit);
      await next();
    });
  });
}

async function authenticate(c: Context<AppEnv>, roles: readonly Role[]): Promise<void> {
  const header = c.req.header('authorization') ?? '';
  const token = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header)?.[1];
  const { store, now, sessionLifetimes } = c.get('deps');
  const user = token ? await findSession(store, token, now(), sessionLifetimes) : undefined;
  if (!user)
    throw new HubError(
      401,
      'not-signed-in',
      'Sign in first; the session is missing or has expired.',
    );
  if (!roles.includes(user.role))
    throw new HubError(403, 'not-allowed', `This needs a signed-in ${roles.join(' or ')}.`);
  c.set('user', user);
}

/**
 * Headers on every answer. `connect-src 'self'` is all the app needs: it talks only to its own
 * hub; `img-src data:` carries the QR codes it draws; Web Serial and WebUSB stay allowed for
 * this origin only (the printers and card readers of issue 14).
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    workerSrc: ["'self'"],
    manifestSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  xContentTypeOptions: 'nosniff',
  permissionsPolicy: {
    serial: ['self'],
    usb: ['self'],
    camera: [],
    microphone: [],
    geolocation: [],
  },
});

/** Registers the edge on an app whose routes are registered after it. */
export function useEdge(app: OpenAPIHono<AppEnv>): () => void {
  let policies: RoutePolicy[] = [];
  app.use('*', securityHeaders);
  app.use(
    '/api/*',
    apiEdge(() => policies),
  );
  return () => {
    policies = routePolicies(app.openAPIRegistry.definitions as readonly RouteDefinition[]);
  };
}
