/**
 * Facts: what a device saw happen, written once and never edited. Each fact carries its own
 * id (UUIDv7, made on the device), the device's gap-free sequence number, a hybrid clock
 * stamp, the agent, and the hash of the device's previous fact, so that a device's facts form
 * a hash chain the hub can check. A correction is a new fact that points at the old one.
 */
import { z } from 'zod';
import { GENESIS_HASH, hashOf, type Sha256Hex } from './hash.ts';
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

const factHeader = {
  id: uuid,
  deviceId: uuid,
  seq: z.number().int().min(1),
  prevHash: sha256,
  hlc: z.string().min(1).max(80),
  agentId: z.string().min(1).max(64),
  /** The device's wall clock when the fact was recorded, as ISO 8601; evidence, not order. */
  recordedAt: z.iso.datetime(),
};

export const unsignedFactSchema = z.discriminatedUnion('kind', [
  z.object({ ...factHeader, kind: z.literal('payment'), body: cashPaymentBodySchema }),
]);

export const factSchema = z.discriminatedUnion('kind', [
  z.object({
    ...factHeader,
    kind: z.literal('payment'),
    body: cashPaymentBodySchema,
    hash: sha256,
  }),
]);

export type UnsignedFact = z.infer<typeof unsignedFactSchema>;
export type Fact = z.infer<typeof factSchema>;
export type FactKind = Fact['kind'];
export type CashPaymentBody = z.infer<typeof cashPaymentBodySchema>;

/** The hash of a fact covers every field but the hash itself. */
export function factHash(fact: UnsignedFact): Sha256Hex {
  return hashOf(fact);
}

export function sealFact(fact: UnsignedFact): Fact {
  return { ...fact, hash: factHash(fact) };
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
 */
export function checkChain(
  head: ChainHead,
  deviceId: string,
  facts: readonly Fact[],
): { ok: true; head: ChainHead } | { ok: false; error: ChainError; seq: number } {
  let current = head;
  for (const fact of facts) {
    if (fact.deviceId !== deviceId) return { ok: false, error: 'device-mismatch', seq: fact.seq };
    if (factHash(withoutHash(fact)) !== fact.hash)
      return { ok: false, error: 'fact-hash-mismatch', seq: fact.seq };
    if (fact.seq !== current.seq + 1) return { ok: false, error: 'chain-gap', seq: fact.seq };
    if (fact.prevHash !== current.hash) return { ok: false, error: 'chain-broken', seq: fact.seq };
    current = { seq: fact.seq, hash: fact.hash as Sha256Hex };
  }
  return { ok: true, head: current };
}
