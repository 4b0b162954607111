/**
 * GET /api/agents: a supervisor's agents with what each serves, and the routes and areas of her
 * region. PUT /api/agents/{id}/assignment: gives an agent a route or an area
 * (hub/agents/assignments.ts).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  agentAssignmentSchema,
  agentsResponseSchema,
  errorResponseSchema,
} from '../../shared/api.ts';
import { signedIn } from '../auth/middleware.ts';
import { regionOf } from '../auth/scope.ts';
import type { AppEnv } from '../http/context.ts';
import { assignAgent, listAgents } from './assignments.ts';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorResponseSchema } },
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/agents',
  summary: "The region's agents, what each serves, and the routes and areas to choose from",
  ...signedIn('supervisor'),
  responses: {
    200: {
      description: 'Agents, routes and areas',
      content: { 'application/json': { schema: agentsResponseSchema } },
    },
    401: error('Not signed in'),
    403: error('Not a supervisor'),
  },
});

const assignRoute = createRoute({
  method: 'put',
  path: '/api/agents/{id}/assignment',
  summary: 'Give an agent a route (field agent) or an area (village agent)',
  ...signedIn('supervisor'),
  request: {
    params: z.object({ id: z.string().min(1).max(64) }),
    body: { content: { 'application/json': { schema: agentAssignmentSchema } }, required: true },
  },
  responses: {
    200: {
      description: 'Agents, routes and areas after the change',
      content: { 'application/json': { schema: agentsResponseSchema } },
    },
    400: error('No such route or area in your region'),
    401: error('Not signed in'),
    403: error('Not a supervisor'),
    404: error('No such agent in your region'),
  },
});

export function registerAgentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) =>
    c.json(await listAgents(c.get('deps').store, regionOf(c.get('user'))), 200),
  );
  app.openapi(assignRoute, async (c) => {
    const { store, now } = c.get('deps');
    const user = c.get('user');
    await assignAgent(
      store,
      c.req.valid('param').id,
      c.req.valid('json'),
      { userId: user.userId, regionId: regionOf(user) },
      now(),
    );
    return c.json(await listAgents(store, regionOf(user)), 200);
  });
}
