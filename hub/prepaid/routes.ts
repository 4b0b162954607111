/**
 * POST /api/prepaid/leases: a signed-in agent's device asks for leases of token counts of the
 * prepaid meters of its route (hub/prepaid/leases.ts). Only for the device the session was
 * opened on, and only while that device is active: a lease hands over the meter's key.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponseSchema } from '../../shared/api.ts';
import { leaseRequestSchema, leaseResponseSchema } from '../../shared/protocol.ts';
import { signedIn } from '../auth/middleware.ts';
import { agentRoutes } from '../auth/scope.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { grantLeases } from './leases.ts';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorResponseSchema } },
});

const leasesRoute = createRoute({
  method: 'post',
  path: '/api/prepaid/leases',
  summary: "A device asks for leases of its route's prepaid meters' token counts",
  ...signedIn('agent'),
  request: {
    body: { content: { 'application/json': { schema: leaseRequestSchema } }, required: true },
  },
  responses: {
    200: {
      description: 'The leases the device holds, and the accounts refused',
      content: { 'application/json': { schema: leaseResponseSchema } },
    },
    400: error('Malformed request'),
    401: error('Not signed in'),
    403: error('Not this device, or the device is revoked'),
  },
});

export function registerPrepaidRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(leasesRoute, async (c) => {
    const request = c.req.valid('json');
    const user = c.get('user');
    if (user.deviceId !== request.deviceId)
      throw new HubError(403, 'device-mismatch', 'This session was opened on another device.');
    const { store, now } = c.get('deps');
    const device = await store.db
      .selectFrom('devices')
      .select('status')
      .where('id', '=', request.deviceId)
      .executeTakeFirst();
    if (device?.status !== 'active')
      throw new HubError(403, 'device-revoked', 'This device may not hold prepaid keys.');
    return c.json(
      await grantLeases(
        store,
        request,
        await agentRoutes(store.db, user),
        `user:${user.userId}`,
        now(),
      ),
      200,
    );
  });
}
