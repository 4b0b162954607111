/**
 * Bearer-token authentication for a role. A missing, unknown or expired token is refused with
 * `not-signed-in`; a token of the wrong role with `not-allowed`.
 */
import { createMiddleware } from 'hono/factory';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { findSession } from './sessions.ts';

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
