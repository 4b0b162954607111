/**
 * POST /api/quote's request: a tariff given inline (a document, or its versions) or by id, and
 * a period's usage. Apart from shared/api.ts, whose schemas the app loads at start, because it
 * reads the tariff schema: only the hub and the tariff screens need it.
 */
import { z } from 'zod';
import { usageSchema } from './tariff/schema.ts';

/** Versions of one tariff in one quote: a century of yearly revisions. */
export const MAX_QUOTE_VERSIONS = 100;

export const quoteRequestSchema = z
  .object({
    tariff: z
      .unknown()
      .refine((tariff) => !Array.isArray(tariff) || tariff.length <= MAX_QUOTE_VERSIONS, {
        message: `at most ${MAX_QUOTE_VERSIONS} versions`,
      })
      .optional(),
    tariffId: z.string().min(1).max(64).optional(),
    usage: usageSchema,
  })
  .refine((body) => (body.tariff === undefined) !== (body.tariffId === undefined), {
    message: 'give either a tariff or a tariffId',
    path: ['tariff'],
  });
