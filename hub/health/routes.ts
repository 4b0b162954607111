/** Liveness and readiness: answers only when the store answers. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { healthResponseSchema } from '../../shared/api.ts';
import type { AppEnv } from '../http/context.ts';

export const HUB_VERSION = '0.1.0';

const healthRoute = createRoute({
  method: 'get',
  path: '/api/health',
  summary: 'The hub and its store are up',
  responses: {
    200: { description: 'Up', content: { 'application/json': { schema: healthResponseSchema } } },
  },
});

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthRoute, async (c) => {
    const { store, now } = c.get('deps');
    await sql`select 1`.execute(store.db);
    return c.json(
      {
        status: 'ok' as const,
        version: HUB_VERSION,
        store: store.engine,
        time: now().toISOString(),
      },
      200,
    );
  });
}
