/**
 * POST /api/prepaid/leases: a signed-in agent's device asks for leases of token counts of the
 * prepaid meters of its route (hub/prepaid/leases.ts). Only for the device the session was
 * opened on, and only while that device is active: a lease hands over the meter's key.
 *
 * POST /api/prepaid/sts/vends: an online tablet asks for the token of an STS top-up it
 * recorded, by the payment's fact id (hub/prepaid/sts/deliver.ts): the device that recorded
 * it, or an agent whose route holds the account. Not stored yet: 404, push first.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponseSchema } from '../../shared/api.ts';
import {
  leaseRequestSchema,
  leaseResponseSchema,
  stsVendAnswerSchema,
  stsVendRequestSchema,
} from '../../shared/protocol.ts';
import { signedIn } from '../auth/middleware.ts';
import { agentRoutes } from '../auth/scope.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { grantLeases } from './leases.ts';
import { stsSaleAccount, vendTopUp } from './sts/deliver.ts';
import { stsVendingOf } from './sts/vending.ts';

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

const stsVendRoute = createRoute({
  method: 'post',
  path: '/api/prepaid/sts/vends',
  summary: "A tablet asks for the token of an STS top-up it recorded, by the payment's fact id",
  ...signedIn('agent'),
  request: {
    body: { content: { 'application/json': { schema: stsVendRequestSchema } }, required: true },
  },
  responses: {
    200: {
      description: 'The tokens vended, or why there are none',
      content: { 'application/json': { schema: stsVendAnswerSchema } },
    },
    400: error('Malformed request'),
    401: error('Not signed in'),
    404: error('No STS top-up of this agent by that id at the hub (not pushed yet?)'),
  },
});

export function registerPrepaidRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(stsVendRoute, async (c) => {
    const { factId } = c.req.valid('json');
    const user = c.get('user');
    const deps = c.get('deps');
    const { store } = deps;
    const accountId = await stsSaleAccount(store, factId);
    const fact = await store.db
      .selectFrom('facts')
      .select('device_id')
      .where('id', '=', factId)
      .executeTakeFirst();
    const account = accountId
      ? await store.db
          .selectFrom('accounts')
          .select('route_id')
          .where('id', '=', accountId)
          .executeTakeFirst()
      : undefined;
    const mine =
      (fact !== undefined && fact.device_id === user.deviceId) ||
      (account !== undefined && (await agentRoutes(store.db, user)).includes(account.route_id));
    if (!mine) throw new HubError(404, 'not-found', 'No STS top-up of yours has this id here.');
    const answer = await vendTopUp(store, stsVendingOf(deps), factId);
    if (!answer.ok) throw new HubError(404, 'not-found', 'No STS top-up has this id here.');
    return c.json(answer.value, 200);
  });

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
