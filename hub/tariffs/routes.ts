/**
 * Publishing a new version of a tariff. Versions are never edited: a change of rates is a new
 * version with a later effective date. It takes a change number, so every device whose route
 * uses the tariff pulls it with its next sync; a bill printed at the door with the older
 * version is then recomputed by the hub and the difference carried (docs/sync-protocol.md).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Transaction } from 'kysely';
import { errorResponseSchema, publishTariffResponseSchema } from '../../shared/api.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';
import { signedIn } from '../auth/middleware.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { appendAudit } from '../store/audit.ts';
import type { Database } from '../store/schema.ts';
import { nextCounter } from '../store/store.ts';

const publishRoute = createRoute({
  method: 'post',
  path: '/api/tariffs/{tariffId}/versions',
  summary: 'Publish the next version of a tariff',
  // Tariffs are utility-wide: an admin's, not a region's supervisor's.
  ...signedIn('admin'),
  request: {
    params: z.object({ tariffId: z.string().min(1).max(64) }),
    body: { content: { 'application/json': { schema: z.unknown() } }, required: true },
  },
  responses: {
    201: {
      description: 'Published',
      content: { 'application/json': { schema: publishTariffResponseSchema } },
    },
    400: {
      description: 'Invalid tariff',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
    404: {
      description: 'No such tariff',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
    409: {
      description: 'Not the next version',
      content: { 'application/json': { schema: errorResponseSchema } },
    },
  },
});

/** The tariff document as read by the shared schema, or a 400 that names its first problem. */
function parsePublished(document: unknown): Tariff {
  const parsed = parseTariff(document);
  if (!parsed.ok) {
    const first = parsed.error[0];
    throw new HubError(
      400,
      'invalid-tariff',
      `The tariff is invalid: ${first?.field}: ${first?.message}`,
      parsed.error,
    );
  }
  return parsed.value;
}

/**
 * Refuses a document that cannot be the next version of this tariff: a tariff the hub does not
 * know (404), another tariff or currency (400), a version number other than the next (409), or
 * an effective date not after the latest version's (409), as versions are never edited.
 */
async function assertNextVersion(
  trx: Transaction<Database>,
  tariffId: string,
  tariff: Tariff,
): Promise<void> {
  const known = await trx
    .selectFrom('tariffs')
    .select(['id', 'currency'])
    .where('id', '=', tariffId)
    .executeTakeFirst();
  if (!known) throw new HubError(404, 'tariff-not-found', `No tariff has the id "${tariffId}".`);
  if (tariff.id !== tariffId || tariff.currency !== known.currency)
    throw new HubError(
      400,
      'invalid-tariff',
      `The document must be tariff "${tariffId}" in ${known.currency}.`,
    );
  const latest = await trx
    .selectFrom('tariff_versions')
    .select(['version', 'effective_from'])
    .where('tariff_id', '=', tariffId)
    .orderBy('version', 'desc')
    .executeTakeFirst();
  const expected = (latest?.version ?? 0) + 1;
  if (tariff.version !== expected)
    throw new HubError(
      409,
      'tariff-version-conflict',
      `The next version of "${tariffId}" is ${expected}, not ${tariff.version}.`,
      { expectedVersion: expected },
    );
  if (latest && tariff.effectiveFrom <= latest.effective_from.slice(0, 10))
    throw new HubError(
      409,
      'tariff-version-conflict',
      `Version ${tariff.version} must take effect after ${latest.effective_from.slice(0, 10)}.`,
    );
}

export function registerTariffRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(publishRoute, async (c) => {
    const { tariffId } = c.req.valid('param');
    // The document as sent (undefined when no JSON body came), read by the tariff's own schema.
    const document: unknown = c.req.valid('json');
    const tariff = parsePublished(document);
    const { store, now } = c.get('deps');
    const published = await store.transaction(async (trx) => {
      await assertNextVersion(trx, tariffId, tariff);
      const changeSeq = await nextCounter(trx, 'change');
      await trx
        .insertInto('tariff_versions')
        .values({
          tariff_id: tariffId,
          version: tariff.version,
          effective_from: tariff.effectiveFrom,
          document: JSON.stringify(document),
          change_seq: changeSeq,
        })
        .execute();
      await appendAudit(trx, {
        at: now().toISOString(),
        actor: `user:${c.get('user').userId}`,
        action: 'tariff-version-published',
        detail: JSON.stringify({ tariffId, version: tariff.version }),
      });
      return { changeSeq };
    });
    return c.json(
      {
        tariffId,
        version: tariff.version,
        effectiveFrom: tariff.effectiveFrom,
        changeSeq: published.changeSeq,
      },
      201,
    );
  });
}
