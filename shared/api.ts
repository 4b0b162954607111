/**
 * Request and response schemas of the hub's HTTP API other than sync: sign-in and the
 * supervisor's views. The hub validates with them and the client reads with them.
 */
import { z } from 'zod';
import { uuidSchema } from './facts.ts';
import { currencySchema, minorUnitsSchema } from './money.ts';
import { usageSchema } from './tariff/schema.ts';

export const errorResponseSchema = z.object({
  error: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});

export type ErrorResponse = z.infer<typeof errorResponseSchema>;

export const agentSignInSchema = z.object({
  username: z.string().min(1).max(64),
  pin: z.string().regex(/^\d{4,8}$/, 'a PIN is 4 to 8 digits'),
  deviceId: uuidSchema,
});

export const supervisorSignInSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(['agent', 'supervisor']),
  routeId: z.string().nullable(),
  routeName: z.string().nullable(),
});

export type User = z.infer<typeof userSchema>;

export const signInResponseSchema = z.object({
  token: z.string(),
  expiresAt: z.iso.datetime(),
  user: userSchema,
});

export type SignInResponse = z.infer<typeof signInResponseSchema>;

export const collectionSchema = z.object({
  factId: uuidSchema,
  receiptNumber: z.string(),
  agentName: z.string(),
  accountNumber: z.string(),
  customerName: z.string(),
  currency: currencySchema,
  amountMinor: minorUnitsSchema,
  method: z.enum(['cash']),
  status: z.enum(['accepted', 'flagged']),
  flagReason: z.string().nullable(),
  /** The void that reversed this payment, if one did; the payment stays listed. */
  voidedBy: z.string().nullable(),
  takenAt: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
});

export type Collection = z.infer<typeof collectionSchema>;

export const collectionsResponseSchema = z.object({
  collections: z.array(collectionSchema),
  totals: z.array(
    z.object({ currency: currencySchema, amountMinor: minorUnitsSchema, count: z.number().int() }),
  ),
});

export type CollectionsResponse = z.infer<typeof collectionsResponseSchema>;

export const healthResponseSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  store: z.string(),
  time: z.iso.datetime(),
});

export const billLineSchema = z.object({
  id: z.string(),
  kind: z.enum([
    'energy',
    'allowance',
    'fixed',
    'per-kwh',
    'levy',
    'tax',
    'discount',
    'minimum',
    'late-fee',
    'rounding',
  ]),
  label: z.string(),
  kwh: z.string().optional(),
  rate: z.string().optional(),
  amountMinor: minorUnitsSchema,
  rounding: z.enum(['half-up', 'half-even', 'truncate']),
});

export const billResultSchema = z.object({
  tariffId: z.string(),
  tariffVersions: z.array(z.number().int()),
  currency: currencySchema,
  period: z.object({ from: z.string(), to: z.string() }),
  energyKwh: z.string(),
  lines: z.array(billLineSchema),
  totalMinor: minorUnitsSchema,
  firstTierKwhLeftThisYear: z.string().optional(),
});

/** A quote: a tariff given inline (a document, or its versions) or by id, and a period's usage. */
export const quoteRequestSchema = z
  .object({
    tariff: z.unknown().optional(),
    tariffId: z.string().min(1).optional(),
    usage: usageSchema,
  })
  .refine((body) => (body.tariff === undefined) !== (body.tariffId === undefined), {
    message: 'give either a tariff or a tariffId',
    path: ['tariff'],
  });

/** A fact the hub flagged or holds, for a supervisor to look at; nothing resolves it silently. */
export const flaggedFactSchema = z.object({
  factId: uuidSchema,
  kind: z.string(),
  outcome: z.enum(['accepted', 'duplicate', 'flagged', 'held']),
  /** The flag: the fact's own, or one a later fact put on it (a reading found to be the odd one). */
  reason: z.string().nullable(),
  accountId: z.string(),
  accountNumber: z.string().nullable(),
  customerName: z.string().nullable(),
  deviceId: uuidSchema,
  agentName: z.string(),
  recordedAt: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  /** The fact's body as the device sent it: the evidence. */
  body: z.record(z.string(), z.unknown()),
});

export type FlaggedFact = z.infer<typeof flaggedFactSchema>;

export const flagsResponseSchema = z.object({ flags: z.array(flaggedFactSchema) });
export type FlagsResponse = z.infer<typeof flagsResponseSchema>;

/** A new version of a tariff, as a supervisor publishes it. */
export const publishTariffResponseSchema = z.object({
  tariffId: z.string(),
  version: z.number().int(),
  effectiveFrom: z.iso.date(),
  changeSeq: z.number().int(),
});
