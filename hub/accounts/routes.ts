/**
 * GET /api/accounts/{id}: one account in full (hub/accounts/detail.ts), for an agent of the
 * account's route or a supervisor of its region. An account out of the caller's scope is
 * answered exactly as one that does not exist: its number says nothing to a stranger.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { accountDetailSchema } from '../../shared/account-detail.ts';
import { errorResponseSchema } from '../../shared/api.ts';
import { signedIn } from '../auth/middleware.ts';
import { regionOf } from '../auth/scope.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { accountDetail } from './detail.ts';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorResponseSchema } },
});

const detailRoute = createRoute({
  method: 'get',
  path: '/api/accounts/{id}',
  summary: 'One account in full: balance, payments from every channel, bills, readings',
  ...signedIn('agent', 'supervisor'),
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: {
      description: 'The account as the hub holds it now',
      content: { 'application/json': { schema: accountDetailSchema } },
    },
    401: error('Not signed in'),
    404: error('No such account in your scope'),
  },
});

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(detailRoute, async (c) => {
    const { id } = c.req.valid('param');
    const user = c.get('user');
    const { store, now } = c.get('deps');
    const detail = await accountDetail(
      store,
      id,
      user.role === 'agent'
        ? { kind: 'route', routeId: user.routeId }
        : { kind: 'region', regionId: regionOf(user) },
      now(),
    );
    if (!detail) throw new HubError(404, 'not-found', 'No such account on your route.');
    return c.json(detail, 200);
  });
}
