/**
 * HTTP routes of the sync protocol. A push is authenticated by the device's signature; a pull
 * needs a signed-in agent whose session was opened on the device named in the request. The
 * ingest engine behind push and upload is hub/ingest/.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';
import { errorResponseSchema } from '../../shared/api.ts';
import {
  foldAcceptedRuns,
  outboxFileSchema,
  pullRequestSchema,
  pullResponseSchema,
  pushRequestSchema,
  pushResponseSchema,
  uploadResponseSchema,
  type UploadResponse,
} from '../../shared/protocol.ts';
import { signedIn } from '../auth/middleware.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv, SessionUser } from '../http/context.ts';
import { ingestPush } from '../ingest/push.ts';
import { vendPending } from '../prepaid/sts/deliver.ts';
import { stsVendingOf } from '../prepaid/sts/vending.ts';
import { agentRoutes, oversees } from '../auth/scope.ts';
import { throttle, THROTTLES } from '../auth/throttle.ts';
import { limitedByAddress } from '../http/edge.ts';
import { pullChanges } from './pull.ts';

const errors = {
  400: {
    description: 'Malformed request',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  401: {
    description: 'Not signed in',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  403: {
    description: 'Not this device or role',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  409: {
    description: 'Refused whole: the batch stays in the outbox',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
  429: {
    description: 'Too many pushes: the batch stays in the outbox and is sent again later',
    content: { 'application/json': { schema: errorResponseSchema } },
  },
};

/**
 * `schema`, parsed synchronously by the route's validator. The validator parses with zod's
 * asynchronous parse, which skips zod's compiled parser for objects (that one serves
 * synchronous parses only): a push of 1,000 facts took ~1 ms longer to check. No part of the
 * sync schemas is asynchronous, so both parses give the same answer; one that met a promise
 * would throw, not pass.
 */
function parsedSynchronously<S extends z.ZodType>(schema: S): S {
  const copy = schema.clone() as S;
  copy.safeParseAsync = (data, params) => Promise.resolve(copy.safeParse(data, params));
  return copy;
}

const pushRoute = createRoute({
  method: 'post',
  path: '/api/sync/push',
  summary: 'A device pushes facts, signed by its enrolled key; idempotent',
  ...limitedByAddress(THROTTLES.pushAddress),
  request: {
    body: {
      content: { 'application/json': { schema: parsedSynchronously(pushRequestSchema) } },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'Outcome of every fact',
      content: { 'application/json': { schema: pushResponseSchema } },
    },
    ...errors,
  },
});

const pullRoute = createRoute({
  method: 'post',
  path: '/api/sync/pull',
  summary: 'A device pulls changes in its route after a cursor',
  ...signedIn('agent'),
  request: {
    body: { content: { 'application/json': { schema: pullRequestSchema } }, required: true },
  },
  responses: {
    200: {
      description: 'A page of changes',
      content: { 'application/json': { schema: pullResponseSchema } },
    },
    ...errors,
  },
});

function checkDevice(user: SessionUser, deviceId: string): void {
  if (user.deviceId !== deviceId) {
    throw new HubError(403, 'device-mismatch', 'This session was opened on another device.');
  }
}

const uploadRoute = createRoute({
  method: 'post',
  path: '/api/sync/upload',
  summary:
    "A supervisor uploads a device's exported outbox file; the same as the device pushing it",
  ...signedIn('supervisor'),
  request: {
    body: {
      content: { 'application/json': { schema: parsedSynchronously(outboxFileSchema) } },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'The answer to every push in the file',
      content: { 'application/json': { schema: uploadResponseSchema } },
    },
    ...errors,
  },
});

/**
 * STS top-ups sold by what was just stored get their tokens now (hub/prepaid/sts/deliver.ts).
 * The push is answered whatever happens here: its facts are stored, and a top-up not vended
 * now is vended at the next push or when a tablet asks.
 */
async function vendAfterPush(deps: AppEnv['Variables']['deps']): Promise<void> {
  try {
    await vendPending(deps.store, stsVendingOf(deps));
  } catch (error) {
    console.error('[hub] STS vending after a push failed; it is tried again later', error);
  }
}

export function registerSyncRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(uploadRoute, async (c) => {
    const file = c.req.valid('json');
    const { store, now, deviceSettings } = c.get('deps');
    if (!(await oversees(store.db, c.get('user'), file.deviceId)))
      throw new HubError(403, 'not-allowed', 'This device is not one of your region’s.');
    const options = {
      limits: deviceSettings?.maxAmountMinor,
      uploadedBy: c.get('user').userId,
    };
    const answers: UploadResponse['pushes'] = [];
    // In sequence order, each push on its own: one refused push does not stop the others.
    for (const push of [...file.pushes].sort(
      (a, b) => (a.facts[0]?.seq ?? 0) - (b.facts[0]?.seq ?? 0),
    )) {
      try {
        answers.push({ ok: true, response: await ingestPush(store, push, now(), options) });
      } catch (error) {
        if (!(error instanceof HubError)) throw error;
        answers.push({ ok: false, error: error.code, message: error.message });
      }
    }
    await vendAfterPush(c.get('deps'));
    return c.json({ deviceId: file.deviceId, pushes: answers }, 200);
  });
  app.openapi(pushRoute, async (c) => {
    // No session needed: the device's signature authenticates the batch, so facts taken
    // during weeks offline still sync after the agent's session has expired.
    const { store, now, deviceSettings } = c.get('deps');
    const request = c.req.valid('json');
    await throttle(store, THROTTLES.pushDevice, request.deviceId, now());
    const answer = await ingestPush(store, request, now(), {
      limits: deviceSettings?.maxAmountMinor,
    });
    await vendAfterPush(c.get('deps'));
    return c.json(request.acceptsRuns === true ? foldAcceptedRuns(answer) : answer, 200);
  });
  app.openapi(pullRoute, async (c) => {
    const request = c.req.valid('json');
    const user = c.get('user');
    checkDevice(user, request.deviceId);
    const { store, deviceSettings, now } = c.get('deps');
    const routes = await agentRoutes(store.db, user);
    if (routes.length === 0)
      throw new HubError(403, 'no-route-assigned', 'This agent has no route or area assigned.');
    return c.json(await pullChanges(store, request, routes, deviceSettings, now()), 200);
  });
}
