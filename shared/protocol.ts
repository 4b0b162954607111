/**
 * The sync protocol, first cut (format version 1): the messages a device and the hub
 * exchange, and the rule by which a device shows a balance. docs/sync-protocol.md describes
 * it in words. Both sides import these schemas; neither defines its own.
 *
 * Push is idempotent: a fact the hub already stored is answered with the outcome it got the
 * first time, so sending a batch twice changes nothing and returns the same answer. Pull
 * returns account snapshots in the device's scope after a cursor, in the hub's change order.
 */
import { z } from 'zod';
import { billSchema } from './billing.ts';
import { auditHeadSchema } from './audit-head.ts';
import { publicKeyJwkSchema } from './devices.ts';
import type { HubErrorCode } from './errors.ts';
import { hashOf } from './hash.ts';
import { stsVendErrors } from './prepaid-tokens.ts';
import { deviceSettingsSchema } from './risk.ts';
import { bodyFaultSchema, factEnvelopeSchema, uuidSchema } from './facts.ts';
import { add, currencySchema, minor, minorUnitsSchema, type MinorUnits } from './money.ts';

export const PROTOCOL_VERSION = 1 as const;
export const MAX_FACTS_PER_PUSH = 1000;
export const MAX_ACCOUNTS_PER_PULL = 500;
/** Readings of a meter a snapshot carries: the history a reading is judged against. */
export const RECENT_READINGS_SENT = 4;
/** Payments of an account a snapshot carries, for the duplicate warning on the device. */
export const RECENT_PAYMENTS_SENT = 5;
/** STS vends a snapshot carries: more than a tablet keeps unsynced for one customer. */
export const RECENT_STS_VENDS_SENT = 20;

/** What the hub vended for an STS top-up: the tokens, in the order the customer enters them. */
export const stsVendSchema = z.object({
  factId: z.string().min(1).max(64),
  tokens: z
    .array(z.string().regex(/^\d{20}$/))
    .min(1)
    .max(3),
  energyDeciKwh: z.number().int().min(1),
  vendReference: z.string().min(1).max(64),
  issuedAt: z.iso.datetime(),
});
export type StsVend = z.infer<typeof stsVendSchema>;

/** A tablet asks for the token of an STS top-up it recorded: by the payment's fact id. */
export const stsVendRequestSchema = z.object({ factId: uuidSchema });

/**
 * The answer: the tokens vended; or the top-up did not sell its energy (a flag a supervisor
 * sees); or the vending service refused, by its closed code (`vending-service-unavailable`:
 * ask again later, the same payment never buys two tokens).
 */
export const stsVendAnswerSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('vended'), vend: stsVendSchema }),
  z.object({ outcome: z.literal('not-sold') }),
  z.object({
    outcome: z.literal('refused'),
    reason: z.enum(stsVendErrors),
  }),
]);
export type StsVendAnswer = z.infer<typeof stsVendAnswerSchema>;

/** Months of a prepaid account's sales a snapshot carries: a year and this month. */
export const PREPAID_MONTHS_SENT = 13;

export const pushRequestSchema = z.object({
  formatVersion: z.literal(PROTOCOL_VERSION),
  deviceId: uuidSchema,
  facts: z.array(factEnvelopeSchema).min(1).max(MAX_FACTS_PER_PUSH),
  /** The device's wall clock when it sent the push: how far off the device's clock is. */
  sentAtMs: z.number().int().min(0).optional(),
  /** ECDSA P-256 signature (IEEE P1363, base64url) of pushSigningText, by the device's key. */
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url P-256 signature'),
  /**
   * The device reads `acceptedRuns` in the answer: facts accepted one after another under
   * consecutive change numbers come as one run instead of one result each. Devices that do not
   * say so get every result, as before.
   */
  acceptsRuns: z.boolean().optional(),
});

export type PushRequest = z.infer<typeof pushRequestSchema>;

/** Why a stored fact was flagged for a supervisor. The fact is kept either way. */
export const flagReasons = [
  'body-invalid',
  'agent-not-on-device',
  'account-not-found',
  'amount-above-limit',
  'amount-must-be-positive',
  'tendered-less-than-amount',
  'change-mismatch',
  'currency-mismatch',
  'balance-out-of-range',
  'possible-duplicate',
  'device-revoked',
  'void-account-mismatch',
  'void-amount-mismatch',
  'already-voided',
  'concurrent-edit',
  'competing-reading',
  'reading-went-backwards',
  'meter-mismatch',
  'stale-tariff',
  'bill-differs',
  'tariff-not-found',
  'period-already-billed',
  'carried-mismatch',
  'bill-total-mismatch',
  'implausible-reading',
  'reading-in-future',
  'void-reference-ambiguous',
  'mobile-money-unconfirmed',
  'not-prepaid',
  'token-not-leased',
  'token-count-reused',
  'token-mismatch',
  'top-up-differs',
  'credit-not-available',
  'transfer-target-not-found',
  'transfer-to-same-account',
  'count-total-mismatch',
  'handover-out-of-order',
  'handover-expected-mismatch',
  'variance-unexplained',
] as const;

export type FlagReason = (typeof flagReasons)[number];

/**
 * Flags under which a fact still takes effect: a payment whose money plainly reached a known
 * account in its currency with odd paperwork; a printed bill whose amount the hub would have
 * computed differently (the customer was told the printed amount; the difference is carried);
 * a contact edit made without seeing a concurrent one (the clock rule still picks a value).
 * Under any other flag the fact is stored for a supervisor and changes nothing.
 */
export const flagsThatStillApply: ReadonlySet<FlagReason> = new Set([
  'tendered-less-than-amount',
  'change-mismatch',
  'possible-duplicate',
  'mobile-money-unconfirmed',
  'not-prepaid',
  'token-not-leased',
  'token-count-reused',
  'token-mismatch',
  'top-up-differs',
  'stale-tariff',
  'bill-differs',
  'carried-mismatch',
  'concurrent-edit',
]);

/**
 * Whether a fact takes effect, by the flag it got: the one rule every path asks (ingest, the
 * integrity check, the collections' states, the device's own balance).
 */
export function appliesUnder(reason: FlagReason | null | undefined): boolean {
  return reason === null || reason === undefined || flagsThatStillApply.has(reason);
}

/**
 * What the hub did with a fact. accepted; duplicate: applied, but looks like one payment taken
 * twice; flagged: see the reason; held: a void whose payment has not arrived, applied when it
 * does (the one outcome that can change later, and only to accepted or flagged).
 */
export const factOutcomes = ['accepted', 'duplicate', 'flagged', 'held'] as const;
export type FactOutcomeKind = (typeof factOutcomes)[number];

export const factOutcomeSchema = z.object({
  id: uuidSchema,
  seq: z.number().int(),
  outcome: z.enum(factOutcomes),
  reason: z.enum(flagReasons).optional(),
  /** For `body-invalid`: the field at fault and what is wrong with it. */
  fault: bodyFaultSchema.optional(),
  /** The hub's change number at which the fact's effect became visible to pulls. */
  changeSeq: z.number().int(),
});

export type FactOutcome = z.infer<typeof factOutcomeSchema>;

export const acceptedRunSchema = z
  .object({
    fromSeq: z.number().int().min(1),
    toSeq: z.number().int().min(1),
    firstChangeSeq: z.number().int(),
  })
  .refine((run) => run.toSeq >= run.fromSeq && run.toSeq - run.fromSeq < MAX_FACTS_PER_PUSH, {
    message: 'a run goes from a seq to a later one, within one push',
  });

export type AcceptedRun = z.infer<typeof acceptedRunSchema>;

export const pushResponseSchema = z.object({
  formatVersion: z.literal(PROTOCOL_VERSION),
  deviceId: uuidSchema,
  /** The highest sequence number the hub holds for this device. */
  ackedSeq: z.number().int(),
  results: z.array(factOutcomeSchema),
  /** Facts fromSeq..toSeq, all accepted, at change numbers firstChangeSeq, +1, … (see acceptsRuns). */
  acceptedRuns: z.array(acceptedRunSchema).optional(),
});

export type PushResponse = z.infer<typeof pushResponseSchema>;

/** One answer per fact, whichever way it came: one result each, or within an accepted run. */
export interface FactAnswer {
  readonly seq: number;
  /** Absent for a fact answered within a run: its seq names it (the chain fixes seq to id). */
  readonly id?: string;
  readonly outcome: FactOutcomeKind;
  readonly reason?: FlagReason | undefined;
  readonly changeSeq: number;
}

/**
 * The same answer with runs of accepted facts folded: a fact accepted at the change number
 * after its predecessor's, itself accepted, joins its run. A run of one stays a result.
 */
export function foldAcceptedRuns(answer: PushResponse): PushResponse {
  const runs: AcceptedRun[] = [];
  const rest: FactOutcome[] = [];
  let run: FactOutcome[] = [];
  const close = () => {
    const first = run[0];
    const last = run.at(-1);
    if (first && last && run.length > 1)
      runs.push({ fromSeq: first.seq, toSeq: last.seq, firstChangeSeq: first.changeSeq });
    else rest.push(...run);
    run = [];
  };
  for (const result of [...answer.results].sort((a, b) => a.seq - b.seq)) {
    const previous = run.at(-1);
    const plain = result.outcome === 'accepted' && result.reason === undefined;
    if (
      !plain ||
      (previous && (result.seq !== previous.seq + 1 || result.changeSeq !== previous.changeSeq + 1))
    )
      close();
    if (plain) run.push(result);
    else rest.push(result);
  }
  close();
  return { ...answer, results: rest, acceptedRuns: runs };
}

/** Every fact's answer in a push answer, folded or not, in seq order. */
export function answersOf(answer: PushResponse): FactAnswer[] {
  const answers: FactAnswer[] = [...answer.results];
  for (const run of answer.acceptedRuns ?? []) {
    for (let seq = run.fromSeq; seq <= run.toSeq; seq++)
      answers.push({ seq, outcome: 'accepted', changeSeq: run.firstChangeSeq + seq - run.fromSeq });
  }
  return answers.sort((a, b) => a.seq - b.seq);
}

/** Why a whole push is refused; the facts stay in the device's outbox. */
export const pushRefusals = [
  'invalid-request',
  'request-too-large',
  'device-not-enrolled',
  'device-revoked',
  'signature-invalid',
  'device-mismatch',
  'fact-hash-mismatch',
  'chain-gap',
  'chain-broken',
  'fact-conflict',
] as const satisfies readonly HubErrorCode[];

export type PushRefusal = (typeof pushRefusals)[number];

export const accountSnapshotSchema = z.object({
  id: z.string(),
  accountNumber: z.string(),
  name: z.string(),
  address: z.string(),
  phone: z.string(),
  meterNumber: z.string(),
  routeId: z.string(),
  currency: currencySchema,
  /** What the customer owes, as the hub knows it; negative is credit. */
  balanceMinor: minorUnitsSchema,
  openBills: z.array(billSchema),
  tariffId: z.string(),
  /** The meter's latest reading the hub holds that is not flagged, for the next spot bill. */
  lastReading: z.object({ readOn: z.iso.date(), registerKwh: z.number().int() }).nullable(),
  /** Differences from earlier bills waiting to be added to the next one. */
  carried: z.array(
    z.object({ sourceId: z.string().min(1).max(80), amountMinor: minorUnitsSchema }),
  ),
  /**
   * The meter's latest accepted readings, oldest first: what the device judges a new reading
   * against (shared/rules/reading.ts), as the hub does.
   */
  recentReadings: z
    .array(z.object({ readOn: z.iso.date(), registerKwh: z.number().int() }))
    .max(RECENT_READINGS_SENT),
  /**
   * The account's latest payments the hub counts and no void took back, stamped within the
   * duplicate window of the pull, oldest first: the device warns its agent before taking
   * what looks like the same payment again.
   */
  recentPayments: z
    .array(
      z.object({
        factId: uuidSchema,
        receiptNumber: z.string(),
        amountMinor: minorUnitsSchema,
        takenAt: z.iso.datetime(),
      }),
    )
    .max(RECENT_PAYMENTS_SENT),
  /**
   * For a prepaid account: its meter's token system and unit, and the energy sold to it by
   * month over the last months, which prices the next top-up's tiers. Absent: postpaid.
   */
  prepaid: z
    .object({
      system: z.enum(['openpaygo', 'sts']),
      /** An STS meter's number, which its top-ups name (docs/prepaid-tokens.md, "STS"). */
      stsMeterNumber: z
        .string()
        .regex(/^(\d{11}|\d{13})$/)
        .optional(),
      unitWh: z.number().int().min(1).max(10_000),
      soldByMonth: z
        .array(z.object({ month: z.string().regex(/^\d{4}-\d{2}$/), energyWh: z.number().int() }))
        .max(PREPAID_MONTHS_SENT),
      /**
       * For an STS meter: the tokens the hub vended for its latest top-ups, newest first. A
       * top-up sold offline shows its token from here once the hub has vended it.
       */
      stsVends: z.array(stsVendSchema).max(RECENT_STS_VENDS_SENT).optional(),
    })
    .optional(),
  /** Credit asked back or moved by requests that wait for a supervisor, when there are any. */
  creditRequestedMinor: minorUnitsSchema.optional(),
  /** The customer's monthly budget for bills, when they set one. */
  budgetMinor: minorUnitsSchema.optional(),
  /** The hub change that produced this snapshot. */
  changeSeq: z.number().int(),
});

export type AccountSnapshot = z.infer<typeof accountSnapshotSchema>;

export const pullRequestSchema = z.object({
  formatVersion: z.literal(PROTOCOL_VERSION),
  deviceId: uuidSchema,
  cursor: z.number().int().min(0),
  limit: z.number().int().min(1).max(MAX_ACCOUNTS_PER_PULL).optional(),
  /**
   * Every fact of this device up to this seq has its final answer on the device (none pending,
   * none held): the page leaves their acks out. A device that pushed 10,000 facts and had
   * every answer then pulls no ack it already has.
   */
  answeredThrough: z.number().int().min(0).optional(),
});

export type PullRequest = z.infer<typeof pullRequestSchema>;

/** A tariff version as the hub holds it; the device bills at the door with these. */
export const tariffVersionSchema = z.object({
  tariffId: z.string(),
  version: z.number().int().min(1),
  effectiveFrom: z.iso.date(),
  /** The tariff document (shared/tariff/schema.ts), checked on the device with parseTariff. */
  document: z.unknown(),
});

export type TariffVersion = z.infer<typeof tariffVersionSchema>;

export const factAckSchema = z.object({
  id: uuidSchema,
  seq: z.number().int(),
  changeSeq: z.number().int(),
  outcome: z.enum(factOutcomes),
  reason: z.enum(flagReasons).optional(),
});

export const pullResponseSchema = z.object({
  formatVersion: z.literal(PROTOCOL_VERSION),
  accounts: z.array(accountSnapshotSchema),
  /** This device's facts whose effects landed after the cursor: acks a lost push reply missed. */
  acks: z.array(factAckSchema),
  /** The hub store's history: another epoch than the device last saw means the hub was
   * restored from a backup, and the device pulls again from 0. */
  epoch: z.string().min(1).max(64),
  /** The highest seq of this device's facts the hub holds: a device holding acknowledged
   * facts above it sends them again (the hub forgot them in a restore). */
  deviceHeadSeq: z.number().int().min(0),
  /** Tariff versions of the route's tariffs published after the cursor (all of them at 0). */
  tariffs: z.array(tariffVersionSchema),
  cursor: z.number().int(),
  hasMore: z.boolean(),
  /** How many more accounts wait after this page: for a progress bar on a long first pull. */
  remaining: z.number().int().min(0),
  /** The hub's risk caps and retention for devices, sent with every page. */
  settings: deviceSettingsSchema,
  /** The head of the hub's audit chain, signed by the hub (shared/audit-head.ts). */
  auditHead: auditHeadSchema,
  /** The key that signs it, which the device keeps from its first pull and holds the hub to. */
  hubKey: publicKeyJwkSchema,
  /** How many accounts the page holds, and the SHA-256 of its content: a page cut short or
   * altered on the way is detected, not applied, and asked for again. */
  count: z.number().int(),
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
});

export type PullResponse = z.infer<typeof pullResponseSchema>;
export type PullPage = Omit<PullResponse, 'count' | 'checksum'>;

export function pullPageChecksum(page: PullPage): string {
  return hashOf({
    formatVersion: page.formatVersion,
    accounts: page.accounts,
    acks: page.acks,
    epoch: page.epoch,
    deviceHeadSeq: page.deviceHeadSeq,
    tariffs: page.tariffs,
    cursor: page.cursor,
    hasMore: page.hasMore,
    remaining: page.remaining,
    settings: page.settings,
  });
}

/** Seals a page for the wire with its count and checksum. */
export function sealPullPage(page: PullPage): PullResponse {
  return { ...page, count: page.accounts.length, checksum: pullPageChecksum(page) };
}

export function pullPageIntact(page: PullResponse): boolean {
  return page.count === page.accounts.length && page.checksum === pullPageChecksum(page);
}

/** One of the device's own facts, as the balance rule sees it. */
export interface OwnEffect {
  readonly accountId: string;
  /** What the fact does to the balance: a payment lowers it, a void of one raises it back,
   * a printed bill raises it, a reading or contact edit does nothing. */
  readonly balanceDeltaMinor: number;
  /** Set once the hub acknowledged the fact: the change at which it took effect. */
  readonly ackChangeSeq?: number | undefined;
}

/**
 * What a device shows as owed: the hub's balance as of the snapshot, plus the effects of the
 * device's own facts the snapshot does not include yet (not acknowledged, or acknowledged at a
 * later change). A device never invents a balance of its own.
 */
export function deviceBalance(snapshot: AccountSnapshot, own: readonly OwnEffect[]): MinorUnits {
  return pendingEffects(snapshot, own).reduce(
    (balance, effect) => add(balance, minor(effect.balanceDeltaMinor)),
    snapshot.balanceMinor,
  );
}

export function pendingEffects<T extends OwnEffect>(
  snapshot: AccountSnapshot,
  own: readonly T[],
): T[] {
  return own.filter(
    (effect) =>
      effect.accountId === snapshot.id &&
      (effect.ackChangeSeq === undefined || effect.ackChangeSeq > snapshot.changeSeq),
  );
}

/**
 * Sneakernet: a device with no network for weeks exports its unsynced facts as a file of
 * ordinary signed pushes, which a supervisor uploads. Uploading is pushing: a later online push
 * of the same facts changes nothing and gets the same answers.
 */
export const outboxFileSchema = z.object({
  kind: z.literal('gridtally-outbox'),
  formatVersion: z.literal(PROTOCOL_VERSION),
  deviceId: uuidSchema,
  exportedAt: z.iso.datetime(),
  pushes: z.array(pushRequestSchema).min(1).max(200),
  /** The hub's audit heads the tablet kept: evidence for `npm run hub -- verify-audit`. */
  auditHeads: z.array(auditHeadSchema).max(100).optional(),
});

export type OutboxFile = z.infer<typeof outboxFileSchema>;

export const uploadResponseSchema = z.object({
  deviceId: uuidSchema,
  pushes: z.array(
    z.union([
      z.object({ ok: z.literal(true), response: pushResponseSchema }),
      z.object({ ok: z.literal(false), error: z.string(), message: z.string() }),
    ]),
  ),
});

export type UploadResponse = z.infer<typeof uploadResponseSchema>;

/** Most prepaid accounts one lease request names: a route's worth in a few requests. */
export const MAX_LEASES_PER_REQUEST = 500;

/**
 * A device asks for leases of token counts of prepaid meters it serves (shared/topup.ts): the
 * hub grants a lease to one device at a time per meter, renews a used-up one, and moves one held
 * by another device only when asked to `take` it (an agent serving the customer, online).
 */
export const leaseRequestSchema = z.object({
  deviceId: uuidSchema,
  accountIds: z.array(z.string().min(1).max(64)).min(1).max(MAX_LEASES_PER_REQUEST),
  take: z.boolean().optional(),
});

export type LeaseRequest = z.infer<typeof leaseRequestSchema>;

export const tokenLeaseSchema = z.object({
  accountId: z.string(),
  meter: z.object({
    secretKeyHex: z.string().regex(/^[0-9a-f]{32}$/),
    startingCode: z.number().int().min(0).max(999_999_999),
    restrictedDigitSet: z.boolean(),
    unitWh: z.number().int().min(1).max(10_000),
  }),
  fromCount: z.number().int().min(1),
  toCount: z.number().int().min(2),
});

export const leaseRefusals = ['not-prepaid', 'out-of-scope', 'held-elsewhere'] as const;
export type LeaseRefusal = (typeof leaseRefusals)[number];

export const leaseResponseSchema = z.object({
  leases: z.array(tokenLeaseSchema),
  refused: z.array(z.object({ accountId: z.string(), reason: z.enum(leaseRefusals) })),
});

export type LeaseResponse = z.infer<typeof leaseResponseSchema>;
