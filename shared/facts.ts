/**
 * Facts: what a device saw happen, written once and never edited. Each fact carries its own
 * id (UUIDv7, made on the device), the device's gap-free sequence number, a hybrid clock
 * stamp, the agent, and the hash of the device's previous fact, so that a device's facts form
 * a hash chain the hub can check. A correction is a new fact that points at the old one.
 */
import { z } from 'zod';
import { canonicalJson, GENESIS_HASH, hashOf, type Sha256Hex } from './hash.ts';
import { currencySchema, minorUnitsSchema } from './money.ts';

const uuid = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'must be a lower-case UUID',
  );
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest');

export const uuidSchema = uuid;

export const cashPaymentBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  currency: currencySchema,
  method: z.literal('cash'),
  amountMinor: minorUnitsSchema,
  tenderedMinor: minorUnitsSchema,
  changeMinor: minorUnitsSchema,
  receiptNumber: z.string().min(1).max(40),
});

/** Why an agent voids a payment: said on the void, shown to the supervisor. */
export const voidReasons = [
  'wrong-account',
  'wrong-amount',
  'entered-twice',
  'customer-refunded',
  'other',
] as const;

/**
 * A void of a cash payment: a compensating fact, never a delete. It names the payment by its
 * fact id (printed on the receipt as a QR code) and repeats the account and amount the receipt
 * shows, so the hub can tell a void that names the wrong payment.
 */
export const voidBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  paymentId: uuid,
  amountMinor: minorUnitsSchema,
  reason: z.enum(voidReasons),
  note: z.string().max(200).optional(),
});

export const contactFields = ['name', 'phone', 'address'] as const;
export type ContactField = (typeof contactFields)[number];

/**
 * A correction of one contact field. `baseChangeSeq` is the hub change of the account snapshot
 * the agent was looking at: an edit that has seen another edit supersedes it whatever the
 * clocks say; edits that have not seen each other are concurrent.
 */
export const contactBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  field: z.enum(contactFields),
  value: z.string().trim().min(1).max(200),
  previous: z.string().max(200),
  baseChangeSeq: z.number().int().min(0),
});

/** A meter register read at the door, in whole kWh. */
export const readingBodySchema = z.object({
  accountId: z.string().min(1).max(64),
  meterNumber: z.string().min(1).max(40),
  registerKwh: z.number().int().min(0).max(999_999_999),
  readOn: z.iso.date(),
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
    tariffVersion: z.number().int().min(1),
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

const factHeader = {
  id: uuid,
  deviceId: uuid,
  seq: z.number().int().min(1),
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
  payment: cashPaymentBodySchema,
  void: voidBodySchema,
  contact: contactBodySchema,
  reading: readingBodySchema,
  'spot-bill': spotBillBodySchema,
} as const;

export const factKinds = Object.keys(bodies) as (keyof typeof bodies)[];

export const unsignedFactSchema = z.discriminatedUnion('kind', [
  z.object({ ...factHeader, kind: z.literal('payment'), body: bodies.payment }),
  z.object({ ...factHeader, kind: z.literal('void'), body: bodies.void }),
  z.object({ ...factHeader, kind: z.literal('contact'), body: bodies.contact }),
  z.object({ ...factHeader, kind: z.literal('reading'), body: bodies.reading }),
  z.object({ ...factHeader, kind: z.literal('spot-bill'), body: bodies['spot-bill'] }),
]);

const sealed = { ...factHeader, hash: sha256 };

export const factSchema = z.discriminatedUnion('kind', [
  z.object({ ...sealed, kind: z.literal('payment'), body: bodies.payment }),
  z.object({ ...sealed, kind: z.literal('void'), body: bodies.void }),
  z.object({ ...sealed, kind: z.literal('contact'), body: bodies.contact }),
  z.object({ ...sealed, kind: z.literal('reading'), body: bodies.reading }),
  z.object({ ...sealed, kind: z.literal('spot-bill'), body: bodies['spot-bill'] }),
]);

export type UnsignedFact = z.infer<typeof unsignedFactSchema>;
export type Fact = z.infer<typeof factSchema>;
export type FactKind = Fact['kind'];
export type CashPaymentBody = z.infer<typeof cashPaymentBodySchema>;
export type VoidBody = z.infer<typeof voidBodySchema>;
export type ContactBody = z.infer<typeof contactBodySchema>;
export type ReadingBody = z.infer<typeof readingBodySchema>;
export type SpotBillBody = z.infer<typeof spotBillBodySchema>;
export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;
export type UnsignedFactOf<K extends FactKind> = Extract<UnsignedFact, { kind: K }>;

/** The hash of a fact covers every field but the hash itself. */
export function factHash(fact: UnsignedFact): Sha256Hex {
  return hashOf(fact);
}

export function sealFact<F extends UnsignedFact>(fact: F): F & { hash: string } {
  return { ...fact, hash: factHash(fact) };
}

/**
 * A fact's two canonical texts from one pass: `unsigned` (every field but the hash: what the
 * hash covers) and `document` (the whole fact, as the hub stores it). A canonical object is
 * its members sorted by key, each value canonical itself, so both are joined from the same
 * canonical members; equal to `canonicalJson(withoutHash(fact))` and `canonicalJson(fact)`.
 */
export function factTexts(fact: Fact): { readonly unsigned: string; readonly document: string } {
  const members = Object.keys(fact)
    .filter((key) => fact[key as keyof Fact] !== undefined)
    .sort()
    .map((key) => {
      const value: unknown = fact[key as keyof Fact];
      // A string or a number is written by JSON.stringify in canonical JSON too (RFC 8785 §3.2.2).
      const text =
        typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
          ? JSON.stringify(value)
          : canonicalJson(value);
      return { key, text: `${JSON.stringify(key)}:${text}` };
    });
  const document = `{${members.map((member) => member.text).join(',')}}`;
  const unsigned = `{${members
    .filter((member) => member.key !== 'hash')
    .map((member) => member.text)
    .join(',')}}`;
  return { unsigned, document };
}

export function withoutHash(fact: Fact): UnsignedFact {
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
export function checkChain(
  head: ChainHead,
  deviceId: string,
  facts: readonly Fact[],
  hashIsRight: (fact: Fact) => boolean = (fact) => factHash(withoutHash(fact)) === fact.hash,
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
