/**
 * The supervisor's review list: every fact the hub flagged, holds, or found odd later (a
 * reading a competing one showed to be wrong), newest first, with the device's own body as
 * evidence. A flag is resolved by a supervisor's decision, never by the sync.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponseSchema, flagsResponseSchema, type FlaggedFact } from '../../shared/api.ts';
import { factSchema } from '../../shared/facts.ts';
import { requireRole } from '../auth/middleware.ts';
import type { AppEnv } from '../http/context.ts';

const flagsRoute = createRoute({
  method: 'get',
  path: '/api/flags',
  summary: 'Facts flagged or held for a supervisor, newest first',
  middleware: [requireRole('supervisor')] as const,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
  responses: {
    200: { description: 'Flags', content: { 'application/json': { schema: flagsResponseSchema } } },
    401: {
      description: 'Not signed in',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
    403: {
      description: 'Not a supervisor',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
  },
});

export function registerReviewRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(flagsRoute, async (c) => {
    const { limit = 200 } = c.req.valid('query');
    const { db } = c.get('deps').store;
    const rows = await db
      .selectFrom('facts')
      .leftJoin('users', 'users.id', 'facts.agent_id')
      .leftJoin('readings', 'readings.fact_id', 'facts.id')
      .select([
        'facts.id',
        'facts.kind',
        'facts.outcome',
        'facts.flag_reason',
        'facts.device_id',
        'facts.agent_id',
        'facts.recorded_at',
        'facts.received_at',
        'facts.document',
        'users.display_name as agent_name',
        'readings.flag_reason as reading_flag',
      ])
      .where((eb) =>
        eb.or([eb('facts.outcome', '!=', 'accepted'), eb('readings.status', '=', 'flagged')]),
      )
      .orderBy('facts.received_at', 'desc')
      .orderBy('facts.id', 'desc')
      .limit(limit)
      .execute();
    const facts = rows.map((row) => factSchema.parse(JSON.parse(row.document)));
    // The accounts the facts name, read once for the whole list.
    const named = [...new Set(facts.map((fact) => fact.body.accountId))];
    const accounts = new Map(
      named.length === 0
        ? []
        : (
            await db
              .selectFrom('accounts')
              .select(['id', 'account_number', 'name'])
              .where('id', 'in', named)
              .execute()
          ).map((account) => [account.id, account]),
    );
    const flags: FlaggedFact[] = rows.map((row, index) => {
      const fact = facts[index] as (typeof facts)[number];
      const account = accounts.get(fact.body.accountId);
      return {
        factId: row.id,
        kind: row.kind,
        outcome: row.outcome,
        reason: row.flag_reason ?? row.reading_flag,
        accountId: fact.body.accountId,
        accountNumber: account?.account_number ?? null,
        customerName: account?.name ?? null,
        deviceId: row.device_id,
        agentName: row.agent_name ?? row.agent_id,
        recordedAt: row.recorded_at,
        receivedAt: row.received_at,
        body: fact.body as Record<string, unknown>,
      };
    });
    return c.json({ flags }, 200);
  });
}
