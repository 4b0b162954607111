/**
 * Device routes: a supervisor issues enrolment codes, lists devices and revokes them; a device
 * enrols itself with a code and its public key.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponseSchema } from '../../shared/api.ts';
import {
  deviceSummarySchema,
  devicesResponseSchema,
  enrolmentCodeResponseSchema,
  enrolRequestSchema,
  enrolResponseSchema,
} from '../../shared/devices.ts';
import { uuidSchema } from '../../shared/facts.ts';
import { signedIn } from '../auth/middleware.ts';
import { oversees, regionOf } from '../auth/scope.ts';
import { HubError } from '../http/errors.ts';
import { THROTTLES } from '../auth/throttle.ts';
import { limitedByAddress } from '../http/edge.ts';
import type { AppEnv } from '../http/context.ts';
import { enrolDevice, issueEnrolmentCode, listDevices, revokeDevice } from './enrolment.ts';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const refused = {
  400: json(errorResponseSchema, 'Malformed request'),
  401: json(errorResponseSchema, 'Not signed in'),
  403: json(errorResponseSchema, 'Not allowed'),
};

const issueRoute = createRoute({
  method: 'post',
  path: '/api/devices/enrolment-codes',
  summary: 'A supervisor issues a one-time enrolment code',
  ...signedIn('supervisor'),
  responses: { 201: json(enrolmentCodeResponseSchema, 'The code, shown once'), ...refused },
});

const enrolRoute = createRoute({
  method: 'post',
  path: '/api/devices/enrol',
  summary: 'A device enrols with a code and its public key',
  ...limitedByAddress(THROTTLES.enrolAddress),
  request: {
    body: { content: { 'application/json': { schema: enrolRequestSchema } }, required: true },
  },
  responses: {
    201: json(enrolResponseSchema, 'Enrolled'),
    ...refused,
    409: json(errorResponseSchema, 'Already enrolled'),
    429: json(errorResponseSchema, 'Too many tries from this address'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/devices',
  summary: 'Enrolled devices',
  ...signedIn('supervisor'),
  responses: { 200: json(devicesResponseSchema, 'Devices'), ...refused },
});

const revokeRoute = createRoute({
  method: 'post',
  path: '/api/devices/{id}/revoke',
  summary: 'Revoke a device: its new pushes are refused, what it delivered is flagged',
  ...signedIn('supervisor'),
  request: { params: z.object({ id: uuidSchema }) },
  responses: {
    200: json(deviceSummarySchema, 'The revoked device'),
    ...refused,
    404: json(errorResponseSchema, 'No such device'),
  },
});

export function registerDeviceRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(issueRoute, async (c) => {
    const { store, now } = c.get('deps');
    return c.json(await issueEnrolmentCode(store, c.get('user').userId, now()), 201);
  });
  app.openapi(enrolRoute, async (c) => {
    const { store, now } = c.get('deps');
    return c.json(await enrolDevice(store, c.req.valid('json'), now()), 201);
  });
  app.openapi(listRoute, async (c) =>
    c.json(
      { devices: await listDevices(c.get('deps').store, undefined, regionOf(c.get('user'))) },
      200,
    ),
  );
  app.openapi(revokeRoute, async (c) => {
    const { store, now } = c.get('deps');
    // A device of another region is, for this supervisor, no device at all.
    if (!(await oversees(store.db, c.get('user'), c.req.valid('param').id)))
      throw new HubError(404, 'device-not-found', 'No device has this id.');
    return c.json(
      await revokeDevice(store, c.req.valid('param').id, c.get('user').userId, now()),
      200,
    );
  });
}
