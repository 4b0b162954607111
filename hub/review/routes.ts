/**
 * The supervisor's review list: every fact the hub flagged, holds, or found odd later (a
 * reading a competing one showed to be wrong), and what a device revoked later had delivered
 * of money, newest first, with the device's own body as evidence. A flag is resolved by a
 * supervisor's decision, never by the sync.
 */
import { devicesIn, regionOf } from '../auth/scope.ts';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { errorResponseSchema, flagsResponseSchema, type FlaggedFact } from '../../shared/api.ts';
import { signedIn } from '../auth/middleware.ts';
import type { AppEnv } from '../http/context.ts';
import { faultOf } from '../ingest/push.ts';
import type { Database } from '../store/schema.ts';

const flagsRoute = createRoute({
  method: 'get',
  path: '/api/flags',
  summary: 'Facts flagged or held for a supervisor, newest first',
  ...signedIn('supervisor'),
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
    const regionId = regionOf(c.get('user'));
    return c.json({ flags: await listFlags(c.get('deps').store.db, limit, regionId) }, 200);
  });
}

/** Money-moving kinds whose already-applied facts a revoked device's supervisor must review. */
const MONEY_KINDS = ['payment', 'void', 'spot-bill'];

async function listFlags(
  db: Kysely<Database>,
  limit: number,
  regionId: string | null,
): Promise<FlaggedFact[]> {
  const rows = await db
    .selectFrom('facts')
    .leftJoin('users', 'users.id', 'facts.agent_id')
    .leftJoin('readings', 'readings.fact_id', 'facts.id')
    .innerJoin('devices', 'devices.id', 'facts.device_id')
    .select([
      'facts.id',
      'facts.kind',
      'facts.outcome',
      'facts.flag_reason',
      'facts.flag_detail',
      'facts.device_id',
      'facts.agent_id',
      'facts.recorded_at',
      'facts.received_at',
      'facts.document',
      'users.display_name as agent_name',
      'readings.flag_reason as reading_flag',
      'devices.status as device_status',
    ])
    .where((eb) =>
      eb.or([
        eb('facts.outcome', '!=', 'accepted'),
        eb('readings.status', '=', 'flagged'),
        eb.and([eb('devices.status', '=', 'revoked'), eb('facts.kind', 'in', MONEY_KINDS)]),
      ]),
    )
    .$if(regionId !== null, (query) =>
      query.where('facts.device_id', 'in', devicesIn(db, regionId ?? '')),
    )
    .orderBy('facts.received_at', 'desc')
    .orderBy('facts.change_seq', 'desc')
    .limit(limit)
    .execute();
  const bodies = rows.map((row) => bodyOf(row.document));
  // The accounts the facts name, read once for the whole list.
  const named = [...new Set(bodies.flatMap((body) => (body.accountId ? [body.accountId] : [])))];
  const accounts = new Map(
    named.length === 0
      ? []
      : (
          await db
            .selectFrom('accounts')
            .select(['id', 'account_number', 'name', 'currency'])
            .where('id', 'in', named)
            .execute()
        ).map((account) => [account.id, account]),
  );
  return rows.map((row, index) => {
    const { body, accountId } = bodies[index] ?? { body: null, accountId: null };
    const account = accountId === null ? undefined : accounts.get(accountId);
    return {
      factId: row.id,
      kind: row.kind,
      outcome: row.outcome,
      reason:
        row.flag_reason ??
        row.reading_flag ??
        (row.device_status === 'revoked' ? 'device-revoked' : null),
      fault: row.flag_detail === null ? null : (faultOf(row.flag_detail) ?? null),
      accountId,
      accountNumber: account?.account_number ?? null,
      customerName: account?.name ?? null,
      currency: account?.currency ?? null,
      deviceId: row.device_id,
      agentName: row.agent_name ?? row.agent_id,
      recordedAt: row.recorded_at,
      receivedAt: row.received_at,
      body,
    };
  });
}

/**
 * The body of a stored document and the account it names, read without trusting it: a body
 * the hub could not read when it arrived is shown as it came, never a reason to fail the list.
 */
function bodyOf(document: string): { body: unknown; accountId: string | null } {
  try {
    const body = (JSON.parse(document) as { body?: unknown }).body ?? null;
    const accountId =
      typeof body === 'object' && body !== null && 'accountId' in body ? body.accountId : undefined;
    return {
      body,
      accountId: typeof accountId === 'string' && accountId.length <= 64 ? accountId : null,
    };
  } catch {
    return { body: null, accountId: null };
  }
}
