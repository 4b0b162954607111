/**
 * Sign-in and sign-out. Agents sign in with username and PIN from an enrolled device, which
 * records the agent on the device; supervisors with username and password. A failed sign-in
 * does not say which part was wrong; tries are limited and wrong secrets lock (throttle.ts).
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  agentSignInSchema,
  errorResponseSchema,
  signInResponseSchema,
  signOutResponseSchema,
  supervisorSignInResponseSchema,
  supervisorSignInSchema,
  type User,
} from '../../shared/api.ts';
import { assert } from '../../shared/assert.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { clientAddress } from '../http/edge.ts';
import { signedIn } from './middleware.ts';
import { decoyHash, hashSecret, needsRehash, verifySecret } from './secrets.ts';
import {
  createSession,
  DEFAULT_SESSION_LIFETIMES,
  endSession,
  findUser,
  toUser,
} from './sessions.ts';
import { methodsOf, openChallenge, secondFactorsOf } from './mfa.ts';
import { deviceUnlock } from './unlock.ts';
import {
  clearWrongSecrets,
  LOCKOUTS,
  recordWrongSecret,
  refuseWhileLocked,
  throttle,
  THROTTLES,
} from './throttle.ts';

const failed = () => new HubError(401, 'sign-in-failed', 'The username or the secret is wrong.');

const responses = {
  200: {
    description: 'Signed in',
    content: { 'application/json': { schema: signInResponseSchema } },
  },
  400: {
    description: 'Malformed request',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  401: {
    description: 'Wrong username or secret',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  403: {
    description: 'The device is not enrolled, or revoked',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  429: {
    description: 'Too many tries: from this address, for this account, or locked after wrong ones',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
};

const agentRoute = createRoute({
  method: 'post',
  path: '/api/auth/agent',
  summary: 'An agent signs in with a PIN from a device',
  request: {
    body: { content: { 'application/json': { schema: agentSignInSchema } }, required: true },
  },
  responses,
});

const supervisorRoute = createRoute({
  method: 'post',
  path: '/api/auth/supervisor',
  summary: 'A supervisor signs in with a password; with a second factor, that comes next',
  request: {
    body: { content: { 'application/json': { schema: supervisorSignInSchema } }, required: true },
  },
  responses: {
    ...responses,
    200: {
      description: 'Signed in, or a challenge for the second factor',
      content: { 'application/json': { schema: supervisorSignInResponseSchema } },
    },
  },
});

const signOutRoute = createRoute({
  method: 'post',
  path: '/api/auth/sign-out',
  summary: 'Ends the session: its token opens nothing from now on',
  ...signedIn('agent', 'supervisor'),
  responses: {
    200: {
      description: 'Signed out',
      content: { 'application/json': { schema: signOutResponseSchema } },
    },
    401: {
      description: 'Not signed in',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
  },
});

/** An agent signs in only on a device enrolled by a supervisor and not revoked. */
async function requireActiveDevice(
  deps: AppEnv['Variables']['deps'],
  deviceId: string,
): Promise<void> {
  const device = await deps.store.db
    .selectFrom('devices')
    .select('status')
    .where('id', '=', deviceId)
    .executeTakeFirst();
  if (!device)
    throw new HubError(
      403,
      'device-not-enrolled',
      'This device is not enrolled. Enrol it with a code from a supervisor.',
    );
  if (device.status === 'revoked')
    throw new HubError(403, 'device-revoked', 'This device has been revoked by a supervisor.');
}

interface SignInAttempt {
  readonly username: string;
  readonly secret: string;
  readonly role: User['role'];
  /** The agent's device; null for a supervisor. */
  readonly deviceId: string | null;
  readonly address: string;
}

/**
 * The order is the protection: tries are counted (per address and per account) before
 * anything is looked up; an agent's device is checked before the PIN, so no answer from a
 * device that is not enrolled says whether a PIN was right; a locked subject is refused before
 * its secret is checked; the secret is checked off the event loop, against a decoy hash when the
 * account does not exist, so timing says nothing either.
 */
async function signIn(deps: AppEnv['Variables']['deps'], attempt: SignInAttempt) {
  const { store } = deps;
  await throttle(store, THROTTLES.signInAddress, attempt.address, deps.now());
  await throttle(store, THROTTLES.signInAccount, attempt.username, deps.now());
  if (attempt.deviceId !== null) await requireActiveDevice(deps, attempt.deviceId);
  const lockout = attempt.role === 'agent' ? LOCKOUTS.pin : LOCKOUTS.password;
  const subject =
    attempt.deviceId === null ? attempt.username : `${attempt.username}@${attempt.deviceId}`;
  await refuseWhileLocked(store, lockout, subject, deps.now());
  const row = await findUser(store, attempt.username);
  const hashing = deps.secretHashing;
  const stored = row?.role === attempt.role ? row.secret_hash : await decoyHash(hashing);
  const right = (await verifySecret(attempt.secret, stored)) && row?.role === attempt.role;
  if (!row || !right) {
    await recordWrongSecret(store, lockout, subject, deps.now());
    throw failed();
  }
  // A supervisor with a second factor is not signed in yet, and wrong tries keep counting until
  // the second factor holds too: the right password cannot buy fresh guesses at a code.
  if (attempt.role === 'supervisor') {
    const methods = methodsOf(await secondFactorsOf(store, row.id));
    if (methods.length > 0) {
      const { token, expiresAt } = await openChallenge(store, row.id, 'sign-in', deps.now());
      return { secondFactor: { challenge: token, methods, expiresAt } };
    }
  }
  await clearWrongSecrets(store, lockout, subject);
  if (needsRehash(row.secret_hash, hashing)) {
    const upgraded = await hashSecret(attempt.secret, hashing);
    await store.db
      .updateTable('users')
      .set({ secret_hash: upgraded })
      .where('id', '=', row.id)
      .execute();
  }
  const user = toUser(row);
  const session = await createSession(
    store,
    user,
    attempt.deviceId,
    deps.now(),
    deps.sessionLifetimes,
  );
  return { ...session, user };
}

export function registerAuthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(agentRoute, async (c) => {
    const body = c.req.valid('json');
    const attempt = {
      username: body.username,
      secret: body.pin,
      role: 'agent' as const,
      deviceId: body.deviceId,
      address: clientAddress(c),
    };
    const deps = c.get('deps');
    const answer = await signIn(deps, attempt);
    // Agents sign in with a PIN on an enrolled tablet: no second factor is ever asked of them.
    assert(!('secondFactor' in answer), 'an agent is never asked for a second factor');
    const unlock = await deviceUnlock(
      deps.store,
      body.deviceId,
      deps.now(),
      answer.expiresAt,
      deps.sessionLifetimes ?? DEFAULT_SESSION_LIFETIMES,
    );
    return c.json({ ...answer, unlock }, 200);
  });
  app.openapi(supervisorRoute, async (c) => {
    const body = c.req.valid('json');
    const attempt = {
      username: body.username,
      secret: body.password,
      role: 'supervisor' as const,
      deviceId: null,
      address: clientAddress(c),
    };
    return c.json(await signIn(c.get('deps'), attempt), 200);
  });
  app.openapi(signOutRoute, async (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (token !== undefined) await endSession(c.get('deps').store, token);
    return c.json({ signedOut: true as const }, 200);
  });
}
