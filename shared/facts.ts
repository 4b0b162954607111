/**
 * Facts: what a device saw happen, written once and never edited. Each fact carries its own
 * id (UUIDv7, made on the device), the device's gap-free sequence number, a hybrid clock
 * stamp, the agent, and the hash of the device's previous fact, so that a device's facts form
 * a hash chain the hub can check. A correction is a new fact that points at the old one.
 */
import { CARD_NUMBER_MESSAGE, holdsCardNumber } from './card-data.ts';
import { freeText, hasLoneSurrogate } from './text.ts';
import { z } from 'zod';
import { inCanonicalOrder } from './canonical-order.ts';
import { canonicalJson, GENESIS_HASH, hashOf, type Sha256Hex } from './hash.ts';
import { currencySchema, minorUnitsSchema, type MinorUnits } from './money.ts';
import { err, ok, type Result } from './result.ts';

const uuid = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'must be a lower-case UUID',
  );
/** A device's facts over its life fit the stores' 32-bit sequence column many times over. */
export const MAX_SEQ = 2_147_483_647;
/** Far more versions than any tariff will see, and a 32-bit column holds it. */
export const MAX_TARIFF_VERSION = 1_000_000;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest');

export const uuidSchema = uuid;

/** The ways a customer pays an agent. */
export const paymentMethods = ['cash', 'mobile-money', 'card', 'bank-transfer'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** Card schemes an agent picks from on the terminal's slip. */
export const cardBrands = ['visa', 'mastercard', 'unionpay', 'amex', 'other'] as const;
export type CardBrand = (typeof cardBrands)[number];

/** The mobile-money services an agent picks from; `other` names none of them. */
export const mobileMoneyProviders = [
  'mpesa',
  'airtel-money',
  'alipay',
  'wechat-pay',
  'other',
] as const;
export type MobileMoneyProvider = (typeof mobileMoneyProviders)[number];

/**
 * A transaction reference as providers and banks print them: letters, digits and dashes, no
 * spaces (typed from a payer's SMS or a deposit slip; compared in upper case).
 */
export const transactionReferenceSchema = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9-]{3,39}$/, 'must be 4 to 40 letters, digits or dashes, as printed');

/** A payer's phone in E.164: `+`, then 8 to 15 digits. */
export const payerPhoneSchema = z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be a phone as +254…');

const topUpCommon = {
  tariffId: z.string().min(1).max(64),
  tariffVersion: z.number().int().min(1).max(MAX_TARIFF_VERSION),
  energyWh: z.number().int().min(1).max(10_000_000_000),
  costMinor: minorUnitsSchema,
};

/**
 * A prepaid top-up: what the payment bought, priced on the device by the account's tariff, and
 * the OpenPAYGO tokens it made at counts of its lease (shared/topup.ts). The hub checks every
 * token and the price; the money counts whatever it finds.
 */
export const openPaygoTopUpSchema = z
  .object({
    system: z.literal('openpaygo'),
    ...topUpCommon,
    tokens: z
      .array(
        z.object({
          count: z.number().int().min(1).max(MAX_SEQ),
          value: z.number().int().min(1).max(999_999),
          digits: z.string().regex(/^\d{9,20}$/, 'must be the token as digits'),
        }),
      )
      .min(1)
      .max(8),
  })
  .refine(
    (topUp) => topUp.tokens.every((t, i) => i === 0 || t.count > (topUp.tokens[i - 1]?.count ?? 0)),
    {
      message: 'tokens come in the order of their counts',
      path: ['tokens'],
    },
  );

/**
 * An STS top-up (docs/prepaid-tokens.md, "STS"): priced on the device like any top-up, for the
 * STS meter it names, with no token: the hub vends it when the payment reaches it, with the
 * payment's fact id as the request id, so one payment never buys two tokens.
 */
export const stsTopUpSchema = z.object({
  system: z.literal('sts'),
  ...topUpCommon,
  meterNumber: z.string().regex(/^(\d{11}|\d{13})$/, 'must be the STS meter number'),
});

export const topUpSchema = z.union([openPaygoTopUpSchema, stsTopUpSchema]);

const paymentCommon = {
  accountId: z.string().min(1).max(64),
  currency: currencySchema,
  amountMinor: minorUnitsSchema,
  receiptNumber: z.string().min(1).max(40),
  topUp: topUpSchema.optional(),
};

export const cashPaymentBodySchema = z.object({
  ...paymentCommon,
  method: z.literal('cash'),
  tenderedMinor: minorUnitsSchema,
  changeMinor: minorUnitsSchema,
});

/**
 * Paid from the payer's phone: the provider's transaction reference, as the payer's SMS shows
 * it. Unconfirmed until the provider's own confirmation reaches the hub (issue 16): flagged for
 * review meanwhile, and counted.
 */
export const mobileMoneyPaymentBodySchema = z.object({
  ...paymentCommon,
  method: z.literal('mobile-money'),
  provider: z.enum(mobileMoneyProviders),
  reference: transactionReferenceSchema,
  payerPhone: payerPhoneSchema,
});

/**
 * Paid by card on a separate terminal: only what its slip shows and no card data at all, the
 * approval code, the scheme, the last four digits.
 */
export const cardPaymentBodySchema = z.object({
  ...paymentCommon,
  method: z.literal('card'),
  approvalCode: z
    .string()
    .regex(/^[A-Z0-9]{4,12}$/, 'must be the 4 to 12 letters or digits of the slip'),
  brand: z.enum(cardBrands),
  last4: z.string().regex(/^\d{4}$/, 'must be four digits'),
});

/** Paid into the utility's bank account: the deposit slip's or transfer's reference. */
export const bankTransferPaymentBodySchema = z.object({
  ...paymentCommon,
  method: z.literal('bank-transfer'),
  reference: transactionReferenceSchema,
});

export const paymentBodySchema = z.discriminatedUnion('method', [
  cashPaymentBodySchema,
  mobileMoneyPaymentBodySchema,
  cardPaymentBodySchema,
  bankTransferPaymentBodySchema,
]);

/** Why an agent voids a payment: said on the void, shown to the supervisor. */
export const voidReasons = [
  'wrong-account',
  'wrong-amount',
  'entered-twice',
  'customer-refunded',
  'other',
] as const;

/** A receipt number as a device prints it: `R-`, six hex digits of the device id, the seq. */
export const receiptNumberSchema = z
  .string()
  .regex(/^R-[0-9A-F]{6}-\d{6,10}$/, 'must be a receipt number as printed (R-XXXXXX-NNNNNN)');

/** How a void names its payment: by fact id, or by the receipt number printed on its receipt. */
export type PaymentReference = { readonly paymentId: string } | { readonly receiptNumber: string };

/**
 * Reads what an agent typed or scanned to name a payment: a fact id (the receipt's QR code) or
 * a receipt number as printed, in either case (`r-6966d5-000001` is `R-6966D5-000001`).
 */
export function parsePaymentReference(
  text: string,
): Result<PaymentReference, 'receipt-number-invalid'> {
  const trimmed = text.trim();
  if (uuid.safeParse(trimmed.toLowerCase()).success)
    return ok({ paymentId: trimmed.toLowerCase() });
  const upper = trimmed.toUpperCase();
  if (receiptNumberSchema.safeParse(upper).success) return ok({ receiptNumber: upper });
  return err('receipt-number-invalid');
}

/**
 * A void of a cash payment: a compensating fact, never a delete. It names the payment by its
 * fact id (printed on the receipt as a QR code) or, when the agent typed it from a printed
 * receipt, by its receipt number, which the hub resolves; exactly one of the two. It repeats
 * the account and amount the receipt shows, so the hub can tell a void that names the wrong
 * payment.
 */
export const voidBodySchema = z
  .object({
    accountId: z.string().min(1).max(64),
    paymentId: uuid.optional(),
    receiptNumber: receiptNumberSchema.optional(),
    amountMinor: minorUnitsSchema,
    reason: z.enum(voidReasons),
    note: freeText(200).optional(),
  })
  .refine((body) => (body.paymentId === undefined) !== (body.receiptNumber === undefined), {
    message: 'name the payment by its id or by its receipt number, not both',
    path: ['paymentId'],
  });

export const contactFields = ['name', 'phone', 'address'] as const;
export type ContactField = (typeof contactFields)[number];

/**
 * A correction of one contact field. `baseChangeSeq` is the hub change of the account snapshot
 * the agent was looking at: an edit that has seen another edit supersedes it whatever the
 * clocks say; edits that have not seen each other are concurrent.
 */
export const contactBodySchema = z
  .object({
    accountId: z.string().min(1).max(64),
    field: z.enum(contactFields),
    value: z.string().trim().min(1).max(200),
    previous: z.string().max(200),
    baseChangeSeq: z.number().int().min(0),
  })
  .superRefine((body, context) => {
    // A phone number is digits by nature, and E.164 keeps it to 15: only names and addresses
    // are free text where a card number has no business.
    if (body.field === 'phone') return;
    for (const key of ['value', 'previous'] as const)
      if (holdsCardNumber(body[key]))
        context.addIssue({ code: 'custom', path: [key], message: CARD_NUMBER_MESSAGE });
  });

/**
 * A meter register read at the door, in whole kWh. `confirmedImplausible` says the agent was
 * told the reading implies far more use than the account's history and confirmed it anyway.
 */
export const readingBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  meterNumber: z.string().min(1).max(40),
  registerKwh: z.number().int().min(0).max(999_999_999),
  readOn: z.iso.date(),
  confirmedImplausible: z.literal(true).optional(),
});

/**
 * A bill computed and printed at the door (spot billing) from a reading, with the tariff
 * version the device held. `carried` are differences from earlier bills the device added as
 * lines, by the id of the fact that caused each; `totalMinor` is what the customer was told.
 */
export const spotBillBodySchema = z
  .object({
    accountId: z.string().min(1).max(64),
    billNumber: z.string().min(1).max(40),
    readingId: uuid,
    period: z.object({ from: z.iso.date(), to: z.iso.date() }),
    kwh: z.number().int().min(0).max(10_000_000),
    tariffId: z.string().min(1).max(64),
    tariffVersion: z.number().int().min(1).max(MAX_TARIFF_VERSION),
    currency: currencySchema,
    amountMinor: minorUnitsSchema,
    carried: z
      .array(z.object({ sourceId: z.string().min(1).max(80), amountMinor: minorUnitsSchema }))
      .max(20)
      .default([]),
    totalMinor: minorUnitsSchema,
  })
  .refine((bill) => bill.period.from < bill.period.to, {
    message: 'the period must end after it starts',
    path: ['period', 'to'],
  });

/** The highest monthly budget a customer may set: far above any household's bill. */
export const MAX_BUDGET_MINOR = 100_000_000_000;

/**
 * The monthly budget a customer sets for their bills (0: none); the customer screen warns when
 * the bill foreseen passes it. The latest setting by hybrid clock wins wherever it arrives.
 */
export const budgetBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  currency: currencySchema,
  monthlyMinor: z.number().int().min(0).max(MAX_BUDGET_MINOR),
});

export const creditRequestReasons = [
  'overpaid',
  'paid-wrong-account',
  'moving-out',
  'account-closed',
  'other',
] as const;

/** How a refund is paid out, once a supervisor approves it. */
export const refundPayouts = ['cash', 'mobile-money', 'bank-transfer'] as const;

/**
 * A request to give back credit on the account (a negative balance): it waits for a
 * supervisor's decision and moves nothing until then. `payTo` says how the customer wants it;
 * `payToDetail` the phone or bank account it goes to.
 */
export const refundRequestBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  currency: currencySchema,
  amountMinor: minorUnitsSchema,
  reason: z.enum(creditRequestReasons),
  payTo: z.enum(refundPayouts),
  payToDetail: freeText(40).optional(),
  note: freeText(200).optional(),
});

/**
 * A request to move credit from the account to another (余额转移), named by its account number
 * as the customer gives it (the hub finds it, on any route): it waits for a supervisor's
 * decision and moves nothing until then.
 */
export const transferRequestBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  currency: currencySchema,
  amountMinor: minorUnitsSchema,
  toAccountNumber: z.string().trim().min(1).max(40),
  reason: z.enum(creditRequestReasons),
  note: freeText(200).optional(),
});

export const varianceReasons = [
  'short',
  'over',
  'counting-error',
  'float-included',
  'other',
] as const;

/** Lines of notes and coins one handover may count. */
export const MAX_HANDOVER_LINES = 20;

/**
 * An agent's hand-over of the cash taken since the tablet's last handover (its facts `fromSeq`
 * to `throughSeq`): the totals by method the tablet showed, the cash it expected, and the cash
 * counted blind, note by note; a difference beyond the tolerance carries a reason. It waits
 * (`held`) for a supervisor to confirm it. It names no account.
 */
export const handoverBodySchema = z
  .object({
    currency: currencySchema,
    fromSeq: z.number().int().min(1).max(MAX_SEQ),
    throughSeq: z.number().int().min(0).max(MAX_SEQ),
    byMethod: z
      .array(
        z.object({
          method: z.enum(paymentMethods),
          count: z.number().int().min(0).max(1_000_000),
          amountMinor: minorUnitsSchema,
        }),
      )
      .max(paymentMethods.length),
    expectedMinor: minorUnitsSchema,
    counted: z
      .array(
        z.object({
          valueMinor: z.number().int().min(1).max(1_000_000_000),
          count: z.number().int().min(0).max(1_000_000),
        }),
      )
      .max(MAX_HANDOVER_LINES),
    countedMinor: minorUnitsSchema,
    varianceReason: z.enum(varianceReasons).optional(),
    note: freeText(200).optional(),
  })
  .refine((body) => body.throughSeq >= body.fromSeq - 1, {
    message: 'the range must not end before it starts',
    path: ['throughSeq'],
  });

const factHeader = {
  id: uuid,
  deviceId: uuid,
  seq: z.number().int().min(1).max(MAX_SEQ),
  prevHash: sha256,
  hlc: z
    .string()
    .max(80)
    .regex(/^\d{15}-[0-9a-f]{4}-.+$/, 'must be a hybrid clock stamp (wallMs-counter-node)'),
  agentId: z.string().min(1).max(64),
  /** The device's wall clock when the fact was recorded, as ISO 8601; evidence, not order. */
  recordedAt: z.iso.datetime(),
};

const bodies = {
  payment: paymentBodySchema,
  void: voidBodySchema,
  contact: contactBodySchema,
  reading: readingBodySchema,
  'spot-bill': spotBillBodySchema,
  budget: budgetBodySchema,
  'refund-request': refundRequestBodySchema,
  'transfer-request': transferRequestBodySchema,
  handover: handoverBodySchema,
} as const;

export const factKinds = Object.keys(bodies) as (keyof typeof bodies)[];

export const unsignedFactSchema = z.discriminatedUnion('kind', [
  z.object({ ...factHeader, kind: z.literal('payment'), body: bodies.payment }),
  z.object({ ...factHeader, kind: z.literal('void'), body: bodies.void }),
  z.object({ ...factHeader, kind: z.literal('contact'), body: bodies.contact }),
  z.object({ ...factHeader, kind: z.literal('reading'), body: bodies.reading }),
  z.object({ ...factHeader, kind: z.literal('spot-bill'), body: bodies['spot-bill'] }),
  z.object({ ...factHeader, kind: z.literal('budget'), body: bodies.budget }),
  z.object({ ...factHeader, kind: z.literal('refund-request'), body: bodies['refund-request'] }),
  z.object({
    ...factHeader,
    kind: z.literal('transfer-request'),
    body: bodies['transfer-request'],
  }),
  z.object({ ...factHeader, kind: z.literal('handover'), body: bodies.handover }),
]);

const sealed = { ...factHeader, hash: sha256 };

export const factSchema = z.discriminatedUnion('kind', [
  z.object({ ...sealed, kind: z.literal('payment'), body: bodies.payment }),
  z.object({ ...sealed, kind: z.literal('void'), body: bodies.void }),
  z.object({ ...sealed, kind: z.literal('contact'), body: bodies.contact }),
  z.object({ ...sealed, kind: z.literal('reading'), body: bodies.reading }),
  z.object({ ...sealed, kind: z.literal('spot-bill'), body: bodies['spot-bill'] }),
  z.object({ ...sealed, kind: z.literal('budget'), body: bodies.budget }),
  z.object({ ...sealed, kind: z.literal('refund-request'), body: bodies['refund-request'] }),
  z.object({ ...sealed, kind: z.literal('transfer-request'), body: bodies['transfer-request'] }),
  z.object({ ...sealed, kind: z.literal('handover'), body: bodies.handover }),
]);

/** The most characters a fact's body may hold as JSON: every body a device makes stays far below. */
export const MAX_BODY_CHARS = 4096;
/** The deepest a body may nest (a spot bill's carried lines are three levels down). */
export const MAX_BODY_DEPTH = 6;

/** Whether a JSON value nests no deeper than `limit`, looked at without recursion. */
function nestsAtMost(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop() as { value: unknown; depth: number };
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= limit) return false;
    for (const child of Object.values(next.value))
      stack.push({ value: child, depth: next.depth + 1 });
  }
  return true;
}

/**
 * A fact as it travels: the header the chain and the signature rest on, checked strictly, and
 * a body of any shape within MAX_BODY_CHARS and MAX_BODY_DEPTH. The envelope decides whether a
 * push can be trusted; the body is read by `readFact` afterwards, so a body the hub cannot
 * apply is stored and flagged instead of refusing the push, and nothing in one fact can stop
 * the facts after it. The hash covers the fact exactly as sent.
 */
export const factEnvelopeSchema = z
  .strictObject({ ...sealed, kind: z.string().min(1).max(32), body: z.unknown() })
  .superRefine((fact, context) => {
    if (!nestsAtMost(fact.body, MAX_BODY_DEPTH))
      context.addIssue({
        code: 'custom',
        path: ['body'],
        message: `must nest at most ${MAX_BODY_DEPTH} levels`,
      });
    else if ((JSON.stringify(fact.body) ?? '').length > MAX_BODY_CHARS)
      context.addIssue({
        code: 'custom',
        path: ['body'],
        message: `must be at most ${MAX_BODY_CHARS} characters of JSON`,
      });
  });

export type FactEnvelope = z.infer<typeof factEnvelopeSchema>;

/** What is wrong with a body, in a closed list a screen can put in words. */
export const bodyProblems = [
  'missing',
  'wrong-type',
  'too-large',
  'too-small',
  'bad-format',
  'not-allowed',
  'unknown-kind',
  'card-number',
] as const;
export type BodyProblem = (typeof bodyProblems)[number];

/** Why a body cannot be applied: the first problem found, and the field it is in. */
export interface BodyFault {
  readonly field: string;
  readonly problem: BodyProblem;
}

export const bodyFaultSchema = z.object({
  field: z.string().max(80),
  problem: z.enum(bodyProblems),
});

/** The value at `path` inside `value`, or undefined when the path leads nowhere. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function problemOf(issue: z.core.$ZodIssue, input: unknown): BodyProblem {
  switch (issue.code) {
    case 'invalid_type':
      return valueAt(input, issue.path) === undefined ? 'missing' : 'wrong-type';
    case 'too_big':
      return 'too-large';
    case 'too_small':
      return 'too-small';
    case 'custom':
      return issue.message === CARD_NUMBER_MESSAGE ? 'card-number' : 'bad-format';
    case 'invalid_format':
    case 'invalid_value':
      return 'bad-format';
    case 'invalid_union':
      // A payment's method picks its body: none given is missing, one we do not take is bad.
      return valueAt(input, issue.path) === undefined ? 'missing' : 'bad-format';
    case 'unrecognized_keys':
    case 'invalid_key':
    case 'invalid_element':
    case 'not_multiple_of':
      return 'not-allowed';
  }
}

/**
 * The path of the first string in `value` with a lone UTF-16 surrogate, which no device
 * writes: such text cannot be stored as UTF-8 as it was sent (it would come back changed), so
 * the body is unreadable. The path is built on the way back from where it was found: a body
 * without such text allocates nothing for it.
 */
function illFormedTextAt(value: unknown): string[] | undefined {
  if (typeof value === 'string') return hasLoneSurrogate(value) ? [] : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(record)) {
    if (hasLoneSurrogate(key)) return ['(a key)'];
    const found = illFormedTextAt(record[key]);
    if (found) {
      found.unshift(key);
      return found;
    }
  }
  return undefined;
}

export function isFactKind(kind: string): kind is FactKind {
  return Object.hasOwn(bodies, kind);
}

/** A fact's kind with its body, typed together. */
export type KindAndBody = { [K in FactKind]: { kind: K; body: FactOf<K>['body'] } }[FactKind];

/**
 * Reads a body by its kind's schema: the kind and body typed together (trimmed, defaults
 * filled), or the first problem found and the field it is in.
 */
export function readBody(kind: string, body: unknown): Result<KindAndBody, BodyFault> {
  if (!isFactKind(kind)) return err({ field: 'kind', problem: 'unknown-kind' });
  const illFormed = illFormedTextAt(body);
  if (illFormed)
    return err({ field: ['body', ...illFormed].join('.').slice(0, 80), problem: 'bad-format' });
  const parsed = bodies[kind].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err({
      field: ['body', ...(issue?.path ?? [])].join('.').slice(0, 80),
      problem: issue ? problemOf(issue, body) : 'bad-format',
    });
  }
  return ok({ kind, body: parsed.data } as KindAndBody);
}

/**
 * Reads a fact's body by its kind's schema: the typed fact, or what is wrong with it. The
 * typed fact carries the body as the schema reads it; the hash and the stored document stay
 * the fact as sent.
 */
export function readFact(envelope: FactEnvelope): Result<Fact, BodyFault> {
  const read = readBody(envelope.kind, envelope.body);
  return read.ok ? ok({ ...envelope, ...read.value } as Fact) : read;
}

/** The first problem the device's own schema finds in a fact it is about to seal, if any. */
export function unsignedFactFault(fact: UnsignedFact): BodyFault | undefined {
  const parsed = unsignedFactSchema.safeParse(fact);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return {
    field: (issue?.path ?? []).join('.').slice(0, 80),
    problem: issue ? problemOf(issue, fact) : 'bad-format',
  };
}

export type UnsignedFact = z.infer<typeof unsignedFactSchema>;
export type Fact = z.infer<typeof factSchema>;
export type FactKind = Fact['kind'];
export type CashPaymentBody = z.infer<typeof cashPaymentBodySchema>;
export type PaymentBody = z.infer<typeof paymentBodySchema>;
/** An OpenPAYGO top-up, the kind a tablet makes its own tokens for. */
export type TopUp = z.infer<typeof openPaygoTopUpSchema>;
/** An STS top-up, vended by the hub when the payment reaches it. */
export type StsTopUp = z.infer<typeof stsTopUpSchema>;
/** Any top-up a payment may carry. */
export type AnyTopUp = z.infer<typeof topUpSchema>;
/** What a payment says beside its amount: the method and its details, without the common fields. */
export type PaymentDetails =
  | { readonly method: 'cash'; readonly tenderedMinor: MinorUnits }
  | Omit<z.infer<typeof mobileMoneyPaymentBodySchema>, keyof typeof paymentCommon>
  | Omit<z.infer<typeof cardPaymentBodySchema>, keyof typeof paymentCommon>
  | Omit<z.infer<typeof bankTransferPaymentBodySchema>, keyof typeof paymentCommon>;
export type VoidBody = z.infer<typeof voidBodySchema>;
export type ContactBody = z.infer<typeof contactBodySchema>;
export type ReadingBody = z.infer<typeof readingBodySchema>;
export type SpotBillBody = z.infer<typeof spotBillBodySchema>;
export type BudgetBody = z.infer<typeof budgetBodySchema>;
export type RefundRequestBody = z.infer<typeof refundRequestBodySchema>;
export type TransferRequestBody = z.infer<typeof transferRequestBodySchema>;
export type CreditRequestReason = (typeof creditRequestReasons)[number];
export type HandoverBody = z.infer<typeof handoverBodySchema>;
export type VarianceReason = (typeof varianceReasons)[number];
export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;
export type UnsignedFactOf<K extends FactKind> = Extract<UnsignedFact, { kind: K }>;

/** The account a fact is about: every kind names one, but a handover (which is the agent's). */
export function accountOf(fact: Pick<Fact, 'kind' | 'body'>): string | undefined {
  return 'accountId' in fact.body ? fact.body.accountId : undefined;
}

/** The hash of a fact covers every field but the hash itself, exactly as sent. */
export function factHash(fact: Omit<FactEnvelope, 'hash'> | UnsignedFact): Sha256Hex {
  return hashOf(fact);
}

export function sealFact<F extends UnsignedFact>(fact: F): F & { hash: string } {
  return { ...fact, hash: factHash(fact) };
}

/**
 * A fact's two canonical texts from one pass: `unsigned` (every field but the hash: what the
 * hash covers) and `document` (the whole fact, as the hub stores it). Both are written from
 * one copy of the fact in canonical order, with and without its hash; equal to
 * `canonicalJson(withoutHash(fact))` and `canonicalJson(fact)`.
 */
export function factTexts(fact: FactEnvelope | Fact): {
  readonly unsigned: string;
  readonly document: string;
} {
  const document = inCanonicalOrder(fact) as Readonly<Record<string, unknown>> | undefined;
  if (document === undefined)
    return { unsigned: canonicalJson(withoutHash(fact)), document: canonicalJson(fact) };
  // Its keys are in canonical order, and none of them an integer: a copy keeps that order.
  const { hash: _hash, ...unsigned } = document;
  return { unsigned: JSON.stringify(unsigned), document: JSON.stringify(document) };
}

export function withoutHash(fact: Fact): UnsignedFact;
export function withoutHash(fact: FactEnvelope): Omit<FactEnvelope, 'hash'>;
export function withoutHash(fact: FactEnvelope | Fact): Omit<FactEnvelope, 'hash'> | UnsignedFact {
  const { hash: _hash, ...rest } = fact;
  return rest;
}

export type ChainError = 'fact-hash-mismatch' | 'chain-broken' | 'chain-gap' | 'device-mismatch';

export interface ChainHead {
  readonly seq: number;
  readonly hash: Sha256Hex;
}

export const EMPTY_CHAIN: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * Checks that `facts` (sorted by seq) extend the chain whose head is `head`: each fact's hash
 * is right, its seq is one more than the previous and its prevHash is the previous hash.
 * `hashIsRight` lets a caller that checked the hashes already (the hub, before it takes a
 * lock) pass its answers in.
 */
export function checkChain<F extends FactEnvelope | Fact>(
  head: ChainHead,
  deviceId: string,
  facts: readonly F[],
  hashIsRight: (fact: F) => boolean = (fact) =>
    factHash(withoutHash(fact as FactEnvelope)) === fact.hash,
): { ok: true; head: ChainHead } | { ok: false; error: ChainError; seq: number } {
  let current = head;
  for (const fact of facts) {
    if (fact.deviceId !== deviceId) return { ok: false, error: 'device-mismatch', seq: fact.seq };
    if (!hashIsRight(fact)) return { ok: false, error: 'fact-hash-mismatch', seq: fact.seq };
    if (fact.seq !== current.seq + 1) return { ok: false, error: 'chain-gap', seq: fact.seq };
    if (fact.prevHash !== current.hash) return { ok: false, error: 'chain-broken', seq: fact.seq };
    current = { seq: fact.seq, hash: fact.hash as Sha256Hex };
  }
  return { ok: true, head: current };
}
