/**
 * POST /api/quote: what a period's usage costs under a tariff, line by line, computed by the
 * same engine the tablet uses for spot bills offline. The tariff comes inline (one document or
 * a list of versions) or by id from the store. A malformed tariff is refused with
 * `invalid-tariff` and every problem, each naming its field.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { billResultSchema, errorResponseSchema } from '../../shared/api.ts';
import { quoteRequestSchema } from '../../shared/quote.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import { THROTTLES } from '../auth/throttle.ts';
import { limitedByAddress } from '../http/edge.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import type { Store } from '../store/store.ts';

const quoteRoute = createRoute({
  method: 'post',
  path: '/api/quote',
  summary: 'Bill lines and total for a usage under a tariff',
  ...limitedByAddress(THROTTLES.quoteAddress),
  request: {
    body: { content: { 'application/json': { schema: quoteRequestSchema } }, required: true },
  },
  responses: {
    200: { description: 'The bill', content: { 'application/json': { schema: billResultSchema } } },
    400: {
      description: 'Invalid tariff or usage',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
    404: {
      description: 'No such tariff',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
    429: {
      description: 'Too many quotes from this address',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
  },
});

function readVersions(documents: readonly unknown[], prefix: string): Tariff[] {
  return documents.map((document, index) => {
    const parsed = parseTariff(document);
    if (parsed.ok) return parsed.value;
    const where = documents.length > 1 ? `${prefix}.${index}` : prefix;
    const issues = parsed.error.map((issue) => ({
      field: `${where}.${issue.field}`,
      message: issue.message,
    }));
    const first = issues[0];
    throw new HubError(
      400,
      'invalid-tariff',
      `The tariff is invalid: ${first?.field}: ${first?.message}`,
      issues,
    );
  });
}

async function storedVersions(store: Store, tariffId: string): Promise<Tariff[]> {
  const rows = await store.db
    .selectFrom('tariff_versions')
    .select('document')
    .where('tariff_id', '=', tariffId)
    .orderBy('version')
    .execute();
  if (rows.length === 0)
    throw new HubError(404, 'tariff-not-found', `No tariff has the id "${tariffId}".`);
  return readVersions(
    rows.map((row) => JSON.parse(row.document) as unknown),
    'tariff',
  );
}

export function registerQuoteRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(quoteRoute, async (c) => {
    const body = c.req.valid('json');
    const versions =
      body.tariffId !== undefined
        ? await storedVersions(c.get('deps').store, body.tariffId)
        : readVersions(Array.isArray(body.tariff) ? body.tariff : [body.tariff], 'tariff');
    const bill = computeBill(versions, body.usage);
    if (!bill.ok)
      throw new HubError(400, bill.error.error, `${bill.error.field}: ${bill.error.message}`, {
        field: bill.error.field,
      });
    return c.json(
      {
        ...bill.value,
        tariffVersions: [...bill.value.tariffVersions],
        lines: [...bill.value.lines],
      },
      200,
    );
  });
}
