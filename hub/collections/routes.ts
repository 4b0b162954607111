/**
 * The supervisor's list of collections: every payment the hub received, newest first, with
 * who took it, from whom, how much, how, when it was taken and when it arrived; and totals by
 * currency.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  collectionsResponseSchema,
  errorResponseSchema,
  type Collection,
} from '../../shared/api.ts';
import { minor, type CurrencyCode } from '../../shared/money.ts';
import { requireRole } from '../auth/middleware.ts';
import type { AppEnv } from '../http/context.ts';

const listRoute = createRoute({
  method: 'get',
  path: '/api/collections',
  summary: 'Payments received by the hub, newest first',
  middleware: [requireRole('supervisor')] as const,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
  responses: {
    200: {
      description: 'Collections',
      content: { 'application/json': { schema: collectionsResponseSchema } },
    },
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

export function registerCollectionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const { limit = 200 } = c.req.valid('query');
    const { db } = c.get('deps').store;
    const rows = await db
      .selectFrom('payments')
      .leftJoin('users', 'users.id', 'payments.agent_id')
      .leftJoin('accounts', 'accounts.id', 'payments.account_id')
      .select([
        'payments.fact_id',
        'payments.receipt_number',
        'users.display_name as agent_name',
        'accounts.account_number',
        'accounts.name as customer_name',
        'payments.account_id',
        'payments.agent_id',
        'payments.currency',
        'payments.amount_minor',
        'payments.method',
        'payments.status',
        'payments.flag_reason',
        'payments.voided_by',
        'payments.taken_at',
        'payments.received_at',
      ])
      .orderBy('payments.received_at', 'desc')
      .orderBy('payments.taken_at', 'desc')
      .limit(limit)
      .execute();
    const collections: Collection[] = rows.map((row) => ({
      factId: row.fact_id,
      receiptNumber: row.receipt_number,
      agentName: row.agent_name ?? row.agent_id,
      accountNumber: row.account_number ?? row.account_id,
      customerName: row.customer_name ?? '',
      currency: row.currency as CurrencyCode,
      amountMinor: minor(Number(row.amount_minor)),
      method: 'cash',
      status: row.status,
      flagReason: row.flag_reason,
      voidedBy: row.voided_by,
      takenAt: row.taken_at,
      receivedAt: row.received_at,
    }));
    const totals = await db
      .selectFrom('payments')
      .select((eb) => [
        'currency',
        eb.fn.sum<number>('amount_minor').as('amount'),
        eb.fn.countAll<number>().as('count'),
      ])
      .where('status', '=', 'accepted')
      .where('voided_by', 'is', null)
      .groupBy('currency')
      .orderBy('currency')
      .execute();
    return c.json(
      {
        collections,
        totals: totals.map((t) => ({
          currency: t.currency as CurrencyCode,
          amountMinor: minor(Number(t.amount)),
          count: Number(t.count),
        })),
      },
      200,
    );
  });
}
