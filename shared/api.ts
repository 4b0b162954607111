/**
 * Request and response schemas of the hub's HTTP API other than sync: sign-in and the
 * supervisor's views. The hub validates with them and the client reads with them.
 */
import { freeText } from './text.ts';
import { z } from 'zod';
import { bodyFaultSchema, paymentMethods, uuidSchema, voidReasons } from './facts.ts';
import { currencySchema, minorTotalSchema, minorUnitsSchema } from './money.ts';
import { factOutcomes, flagReasons } from './protocol.ts';
import { paymentStandings } from './payments.ts';

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

/** The answer to `POST /api/auth/sign-out`: the token opens nothing from now on. */
export const signOutResponseSchema = z.object({ signedOut: z.literal(true) });

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(['agent', 'supervisor', 'admin']),
  routeId: z.string().nullable(),
  routeName: z.string().nullable(),
  /**
   * A village agent's area: her device holds every route of it, and she finds any customer of
   * the deployment through the hub (absent from hubs before areas).
   */
  areaId: z.string().nullable().optional(),
  areaName: z.string().nullable().optional(),
});

export type User = z.infer<typeof userSchema>;

/**
 * What opens an agent's tablet data (client/auth/unlock.ts): the device's secret, handed only to
 * an agent whose PIN the hub checked on an active device, and until when the tablet may keep the
 * data openable by the PIN alone, with no hub.
 */
export const deviceUnlockSchema = z.object({
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a secret is 32 bytes, base64url'),
  offlineUntil: z.iso.datetime(),
});

export type DeviceUnlock = z.infer<typeof deviceUnlockSchema>;

export const signInResponseSchema = z.object({
  token: z.string(),
  expiresAt: z.iso.datetime(),
  user: userSchema,
  /** Present for an agent only. */
  unlock: deviceUnlockSchema.optional(),
});

export type SignInResponse = z.infer<typeof signInResponseSchema>;

/** The second factors a supervisor may have (docs/security.md, "Multi-factor sign-in"). */
export const secondFactorMethods = ['totp', 'recovery-code', 'passkey'] as const;
export type SecondFactorMethod = (typeof secondFactorMethods)[number];

/**
 * A supervisor with a second factor is not signed in by the password alone: the answer is a
 * challenge, good for five minutes, to answer at `POST /api/auth/second-factor`.
 */
export const secondFactorChallengeSchema = z.object({
  secondFactor: z.object({
    challenge: z.string().min(1).max(64),
    methods: z.array(z.enum(secondFactorMethods)),
    expiresAt: z.iso.datetime(),
  }),
});

export type SecondFactorChallenge = z.infer<typeof secondFactorChallengeSchema>;

export const supervisorSignInResponseSchema = z.union([
  signInResponseSchema,
  secondFactorChallengeSchema,
]);

/** A TOTP code: six digits, as authenticator apps show them. */
export const totpCodeSchema = z.string().regex(/^\d{6}$/, 'a code is six digits');

/** One of the ten recovery codes shown once when TOTP was set up: `XXXXX-XXXXX`. */
export const recoveryCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[0-9A-Z]{5}-?[0-9A-Z]{5}$/, 'a recovery code is ten letters and digits');

/** The answer to a challenge: exactly one of a TOTP code, a recovery code or a passkey's. */
export const secondFactorRequestSchema = z
  .object({
    challenge: z.string().min(1).max(64),
    totp: totpCodeSchema.optional(),
    recoveryCode: recoveryCodeSchema.optional(),
    /** A WebAuthn authentication response (JSON), for a passkey. */
    passkey: z.record(z.string(), z.unknown()).optional(),
  })
  .refine(
    (body) =>
      [body.totp, body.recoveryCode, body.passkey].filter((one) => one !== undefined).length === 1,
    { message: 'give one of totp, recoveryCode or passkey', path: ['totp'] },
  );

export const totpSetupResponseSchema = z.object({
  /** The shared secret, base32, for typing into an app that cannot scan. */
  secret: z.string(),
  /** The `otpauth://` URI an authenticator app scans as a QR code. */
  uri: z.string(),
});

export const totpConfirmRequestSchema = z.object({ code: totpCodeSchema });

export const recoveryCodesResponseSchema = z.object({
  /** Shown once: each signs in once in place of a TOTP code. */
  recoveryCodes: z.array(z.string()),
});

export const passkeyRegistrationSchema = z.object({
  /** A WebAuthn registration response (JSON). */
  response: z.record(z.string(), z.unknown()),
  label: freeText(60).min(1).optional(),
});

export const secondFactorsSchema = z.object({
  totp: z.boolean(),
  recoveryCodesLeft: z.number().int().min(0),
  passkeys: z.array(
    z.object({ id: z.string(), label: z.string().nullable(), createdAt: z.string() }),
  ),
});

export type SecondFactors = z.infer<typeof secondFactorsSchema>;

/** One customer a search on the hub found (hub/accounts/search.ts). */
export const accountHitSchema = z.object({
  id: z.string(),
  accountNumber: z.string(),
  name: z.string(),
  address: z.string(),
  routeName: z.string(),
  currency: currencySchema,
  balanceMinor: minorUnitsSchema,
});

export type AccountHit = z.infer<typeof accountHitSchema>;

export const accountSearchResponseSchema = z.object({
  accounts: z.array(accountHitSchema).max(20),
  /** More match than were sent: type more to narrow the search. */
  more: z.boolean(),
});

export type AccountSearchResponse = z.infer<typeof accountSearchResponseSchema>;

/** What an agent serves: a route (a field agent) or an area (a village agent). */
export const agentAssignmentSchema = z.object({
  kind: z.enum(['route', 'area']),
  id: z.string().min(1).max(64),
});

export type AgentAssignment = z.infer<typeof agentAssignmentSchema>;

export const agentsResponseSchema = z.object({
  agents: z.array(
    z.object({
      id: z.string(),
      displayName: z.string(),
      username: z.string(),
      assignment: agentAssignmentSchema.nullable(),
    }),
  ),
  routes: z.array(z.object({ id: z.string(), name: z.string(), areaId: z.string().nullable() })),
  areas: z.array(z.object({ id: z.string(), name: z.string() })),
});

export type AgentsResponse = z.infer<typeof agentsResponseSchema>;

export const collectionSchema = z.object({
  factId: uuidSchema,
  receiptNumber: z.string(),
  agentName: z.string(),
  accountNumber: z.string(),
  customerName: z.string(),
  currency: currencySchema,
  amountMinor: minorUnitsSchema,
  method: z.enum(paymentMethods),
  /**
   * What names the payment beyond the receipt: mobile money's provider and reference, a bank
   * transfer's reference, a card's approval code; null for cash.
   */
  reference: z.string().nullable(),
  /** How the payment stands, by the one rule (shared/rules/payment.ts paymentStanding). */
  standing: z.enum(paymentStandings),
  /** The flag the payment was answered with, if any (applied or not, by its standing). */
  flagReason: z.enum(flagReasons).nullable(),
  /** The void that reversed this payment, if one did; the payment stays listed. */
  voidedBy: z
    .object({
      factId: uuidSchema,
      agentName: z.string(),
      recordedAt: z.iso.datetime(),
      reason: z.enum(voidReasons),
      reversedMinor: minorUnitsSchema,
    })
    .nullable(),
  takenAt: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
});

export type Collection = z.infer<typeof collectionSchema>;

/**
 * The totals of one currency over every payment the hub holds, by standing. Sums are exact
 * decimal strings: safe for any number of payments, however large each is within its limit.
 * `appliedMinor` is what the counted payments took off balances (voided ones included, since
 * they counted until voided) and `reversedMinor` what voids gave back: `appliedMinor` less
 * `reversedMinor` is `netMinor`, which equals the balance movements of payments and voids.
 */
export const collectionTotalsSchema = z.object({
  currency: currencySchema,
  byStanding: z.array(
    z.object({
      standing: z.enum(paymentStandings),
      count: z.number().int(),
      amountMinor: minorTotalSchema,
    }),
  ),
  appliedMinor: minorTotalSchema,
  reversedMinor: minorTotalSchema,
  netMinor: minorTotalSchema,
});

export type CollectionTotals = z.infer<typeof collectionTotalsSchema>;

export const collectionsResponseSchema = z.object({
  collections: z.array(collectionSchema),
  totals: z.array(collectionTotalsSchema),
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
  /** Its name in the other languages (shared/tariff/line-names.ts). */
  labels: z
    .strictObject({ sw: z.string().max(200).optional(), zh: z.string().max(200).optional() })
    .optional(),
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

/** A fact the hub flagged or holds, for a supervisor to look at; nothing resolves it silently. */
export const flaggedFactSchema = z.object({
  factId: uuidSchema,
  /** The fact's kind as the device sent it (a kind the hub does not know is flagged too). */
  kind: z.string(),
  outcome: z.enum(factOutcomes),
  /**
   * Why it is here: the fact's own flag, one a later fact put on it (a reading found to be the
   * odd one), or `device-revoked` for what a device revoked later had delivered.
   */
  reason: z.enum(flagReasons).nullable(),
  /** For a body the hub could not read: the field at fault and what is wrong with it. */
  fault: bodyFaultSchema.nullable(),
  accountId: z.string().nullable(),
  accountNumber: z.string().nullable(),
  customerName: z.string().nullable(),
  /** The account's currency, for amounts a body gives without one (a void's). */
  currency: currencySchema.nullable(),
  deviceId: uuidSchema,
  agentName: z.string(),
  recordedAt: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  /** The fact's body as the device sent it: the evidence, read by its kind's schema to show. */
  body: z.unknown(),
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
