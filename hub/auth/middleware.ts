/**
 * Bearer-token authentication for a role. A missing, unknown or expired token is refused with
 * `not-signed-in`; a token of the wrong role with `not-allowed`.
 */
import { createMiddleware } from 'hono/factory';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { findSession } from './sessions.ts';

/** The OpenAPI name of the scheme: `Authorization: Bearer <token>` from a sign-in answer. */
export const BEARER_SCHEME = 'bearer';

/**
 * What a route that needs a signed-in `role` spreads into its `createRoute`: the middleware that
 * checks the token, and the OpenAPI statement that the route needs one.
 */
export function signedIn(role: 'agent' | 'supervisor') {
  return {
    middleware: [requireRole(role)],
    security: [{ [BEARER_SCHEME]: [] }],
  };
}

export function requireRole(role: 'agent' | 'supervisor') {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const { store, now } = c.get('deps');
    const user = token ? await findSession(store, token, now()) : undefined;
    if (!user)
      throw new HubError(
        401,
        'not-signed-in',
        'Sign in first; the session is missing or has expired.',
      );
    if (user.role !== role)
      throw new HubError(403, 'not-allowed', `This needs a signed-in ${role}.`);
    c.set('user', user);
    await next();
  });
}
