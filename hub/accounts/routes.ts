/**
 * GET /api/accounts/{id}: one account in full (hub/accounts/detail.ts), for an agent of the
 * account's route, a village agent (any account of her area's region: walk-in customers come
 * from anywhere near) or a supervisor of its region. An account out of the caller's scope is answered exactly as one
 * that does not exist: its number says nothing to a stranger.
 *
 * GET /api/accounts?q=: customers found by number, meter, phone or name (hub/accounts/search.ts),
 * for a village agent (her area's region) or a supervisor (her region), 60 searches a minute
 * each. A field agent holds her whole route on her tablet and searches there.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { accountDetailSchema } from '../../shared/account-detail.ts';
import { accountSearchResponseSchema, errorResponseSchema } from '../../shared/api.ts';
import { signedIn } from '../auth/middleware.ts';
import { regionOf, villageRegion } from '../auth/scope.ts';
import { throttle, THROTTLES } from '../auth/throttle.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { accountDetail, type DetailScope } from './detail.ts';
import { searchDeployment } from './search.ts';
import type { SessionUser } from '../http/context.ts';

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

const searchRoute = createRoute({
  method: 'get',
  path: '/api/accounts',
  summary: 'Customers of the deployment (or the region) by number, meter, phone or name',
  ...signedIn('agent', 'supervisor'),
  request: {
    query: z.object({ q: z.string().trim().min(2).max(64) }),
  },
  responses: {
    200: {
      description: 'Up to 20 customers, in account number order, and whether there are more',
      content: { 'application/json': { schema: accountSearchResponseSchema } },
    },
    400: error('No query, or one shorter than 2 or longer than 64 characters'),
    401: error('Not signed in'),
    403: error('A field agent: her route is on her tablet'),
  },
});

/** Which accounts the caller may read in full. */
async function detailScope(db: Kysely<Database>, user: SessionUser): Promise<DetailScope> {
  if (user.role !== 'agent') return { kind: 'region', regionId: regionOf(user) };
  return user.areaId !== null
    ? { kind: 'deployment', regionId: await villageRegion(db, user) }
    : { kind: 'route', routeId: user.routeId };
}

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(searchRoute, async (c) => {
    const { q } = c.req.valid('query');
    const user = c.get('user');
    if (user.role === 'agent' && user.areaId === null)
      throw new HubError(403, 'not-allowed', 'A field agent searches her route on her tablet.');
    const { store, now } = c.get('deps');
    await throttle(store, THROTTLES.accountSearchUser, user.userId, now());
    const regionId = user.role === 'agent' ? await villageRegion(store.db, user) : regionOf(user);
    return c.json(await searchDeployment(store, q, regionId), 200);
  });
  app.openapi(detailRoute, async (c) => {
    const { id } = c.req.valid('param');
    const user = c.get('user');
    const { store, now } = c.get('deps');
    const detail = await accountDetail(store, id, await detailScope(store.db, user), now());
    if (!detail) throw new HubError(404, 'not-found', 'No such account on your route.');
    return c.json(detail, 200);
  });
}
