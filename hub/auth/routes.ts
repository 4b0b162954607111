/**
 * Sign-in. Agents sign in with username and PIN from a device, which registers the device;
 * supervisors with username and password. A failed sign-in does not say which part was wrong.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  agentSignInSchema,
  errorResponseSchema,
  signInResponseSchema,
  supervisorSignInSchema,
  type User,
} from '../../shared/api.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { verifySecret } from './secrets.ts';
import { createSession, findUser } from './sessions.ts';

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
  summary: 'A supervisor signs in with a password',
  request: {
    body: { content: { 'application/json': { schema: supervisorSignInSchema } }, required: true },
  },
  responses,
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

async function signIn(
  deps: AppEnv['Variables']['deps'],
  username: string,
  secret: string,
  role: User['role'],
  deviceId: string | null,
) {
  const row = await findUser(deps.store, username);
  if (!row || row.role !== role || !verifySecret(secret, row.secret_hash)) throw failed();
  if (deviceId !== null) await requireActiveDevice(deps, deviceId);
  const user: User = {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    routeId: row.route_id,
    routeName: row.route_name,
  };
  const session = await createSession(deps.store, user, deviceId, deps.now());
  return { ...session, user };
}

export function registerAuthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(agentRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(
      await signIn(c.get('deps'), body.username, body.pin, 'agent', body.deviceId),
      200,
    );
  });
  app.openapi(supervisorRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(
      await signIn(c.get('deps'), body.username, body.password, 'supervisor', null),
      200,
    );
  });
}
