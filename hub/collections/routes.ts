/**
 * The supervisor's list of collections: every payment the hub received, newest first, with
 * who took it, from whom, how much, how, when it was taken and when it arrived, how it stands
 * (applied, applied and flagged, voided and by whom, not applied); and totals by currency and
 * standing, whose net equals the balance movements of payments and voids to the minor unit.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import {
  collectionsResponseSchema,
  errorResponseSchema,
  type Collection,
  type CollectionTotals,
} from '../../shared/api.ts';
import { minor, type CurrencyCode } from '../../shared/money.ts';
import {
  paymentCounts,
  paymentStanding,
  paymentStandings,
  type PaymentStanding,
} from '../../shared/rules/payment.ts';
import type { Database } from '../store/schema.ts';
import { signedIn } from '../auth/middleware.ts';
import { accountsIn, devicesIn, regionOf } from '../auth/scope.ts';
import type { AppEnv } from '../http/context.ts';

const listRoute = createRoute({
  method: 'get',
  path: '/api/collections',
  summary: 'Payments received by the hub, newest first',
  ...signedIn('supervisor'),
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
    const regionId = regionOf(c.get('user'));
    return c.json(
      {
        collections: await listCollections(db, limit, regionId),
        totals: await collectionTotals(db, regionId),
      },
      200,
    );
  });
}

type Db = Kysely<Database>;

/**
 * Payments on accounts of the region's routes, and payments taken by the region's tablets (on
 * an account the hub does not know, say); every payment when no region is given.
 */
function inRegion(db: Db, regionId: string | null) {
  return (eb: ExpressionBuilder<Database, 'payments'>) =>
    regionId === null
      ? eb.lit(true)
      : eb.or([
          eb('payments.account_id', 'in', accountsIn(db, regionId)),
          eb(
            'payments.fact_id',
            'in',
            db
              .selectFrom('facts as taken')
              .select('taken.id')
              .where('taken.device_id', 'in', devicesIn(db, regionId)),
          ),
        ]);
}

async function listCollections(
  db: Db,
  limit: number,
  regionId: string | null,
): Promise<Collection[]> {
  const rows = await db
    .selectFrom('payments')
    .leftJoin('users', 'users.id', 'payments.agent_id')
    .leftJoin('accounts', 'accounts.id', 'payments.account_id')
    .leftJoin('voids', 'voids.fact_id', 'payments.voided_by')
    .leftJoin('facts as void_facts', 'void_facts.id', 'payments.voided_by')
    .leftJoin('users as void_agents', 'void_agents.id', 'void_facts.agent_id')
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
      'payments.provider',
      'payments.reference',
      'payments.flag_reason',
      'payments.voided_by',
      'payments.taken_at',
      'payments.received_at',
      'voids.reason as void_reason',
      'voids.reversed_minor',
      'void_facts.agent_id as void_agent_id',
      'void_facts.recorded_at as void_recorded_at',
      'void_agents.display_name as void_agent_name',
    ])
    .where(inRegion(db, regionId))
    .orderBy('payments.received_at', 'desc')
    .orderBy('payments.change_seq', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    factId: row.fact_id,
    receiptNumber: row.receipt_number,
    agentName: row.agent_name ?? row.agent_id,
    accountNumber: row.account_number ?? row.account_id,
    customerName: row.customer_name ?? '',
    currency: row.currency,
    amountMinor: row.amount_minor,
    method: row.method,
    reference:
      row.reference === null ? null : [row.provider, row.reference].filter(Boolean).join(' '),
    standing: paymentStanding({ reason: row.flag_reason, voidedBy: row.voided_by }),
    flagReason: row.flag_reason,
    voidedBy:
      row.voided_by === null
        ? null
        : {
            factId: row.voided_by,
            agentName: row.void_agent_name ?? row.void_agent_id ?? '',
            recordedAt: row.void_recorded_at ?? row.received_at,
            reason: row.void_reason ?? 'other',
            reversedMinor: row.reversed_minor ?? minor(0),
          },
    takenAt: row.taken_at,
    receivedAt: row.received_at,
  }));
}

/**
 * Totals per currency and standing. The store only groups and sums (as exact text); which
 * standing a group is in, and whether it counted, is decided by the one rule in
 * shared/rules/payment.ts, so these totals agree with the balances by construction.
 */
async function collectionTotals(db: Db, regionId: string | null): Promise<CollectionTotals[]> {
  const groups = await db
    .selectFrom('payments')
    .select((eb) => [
      'currency',
      'flag_reason',
      sql<number>`case when ${eb.ref('voided_by')} is null then 0 else 1 end`.as('voided'),
      sql<string>`cast(sum(${eb.ref('amount_minor')}) as text)`.as('amount'),
      eb.fn.countAll<number>().as('count'),
    ])
    .where(inRegion(db, regionId))
    .groupBy(['currency', 'flag_reason', sql`case when voided_by is null then 0 else 1 end`])
    .execute();
  const reversals = await db
    .selectFrom('voids')
    .innerJoin('payments', 'payments.fact_id', 'voids.payment_id')
    .select((eb) => [
      'payments.currency',
      sql<string>`cast(sum(${eb.ref('voids.reversed_minor')}) as text)`.as('amount'),
    ])
    .where('voids.status', '=', 'applied')
    .where(inRegion(db, regionId))
    .groupBy('payments.currency')
    .execute();
  const byCurrency = new Map<CurrencyCode, Accumulated>();
  const of = (currency: CurrencyCode) => {
    let entry = byCurrency.get(currency);
    if (!entry) {
      entry = { standings: new Map(), applied: 0n, reversed: 0n };
      byCurrency.set(currency, entry);
    }
    return entry;
  };
  for (const group of groups) {
    const entry = of(group.currency);
    const amount = BigInt(group.amount);
    const standing = paymentStanding({
      reason: group.flag_reason,
      voidedBy: Number(group.voided) === 1 ? 'voided' : null,
    });
    const held = entry.standings.get(standing) ?? { count: 0, amount: 0n };
    entry.standings.set(standing, {
      count: held.count + Number(group.count),
      amount: held.amount + amount,
    });
    if (paymentCounts(group.flag_reason)) entry.applied += amount;
  }
  for (const reversal of reversals) of(reversal.currency).reversed += BigInt(reversal.amount);
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, entry]) => ({
      currency,
      byStanding: paymentStandings
        .filter((standing) => entry.standings.has(standing))
        .map((standing) => {
          const total = entry.standings.get(standing) ?? { count: 0, amount: 0n };
          return { standing, count: total.count, amountMinor: String(total.amount) };
        }),
      appliedMinor: String(entry.applied),
      reversedMinor: String(entry.reversed),
      netMinor: String(entry.applied - entry.reversed),
    }));
}

interface Accumulated {
  readonly standings: Map<PaymentStanding, { count: number; amount: bigint }>;
  applied: bigint;
  reversed: bigint;
}
