/**
 * What every projection of a fact shares: the transaction, the change number the fact took,
 * the account it names as read before any write, and the effect on that account gathered so
 * the account row is written once (hub/sync/project.ts).
 */
import type { Insertable, Selectable, Transaction } from 'kysely';
import type { ContactField, Fact, FactOf } from '../../shared/facts.ts';
import type { FactOutcomeKind, FlagReason } from '../../shared/protocol.ts';
import type { Database } from '../store/schema.ts';

export type Trx = Transaction<Database>;
export type AccountRow = Selectable<Database['accounts']>;

export interface Decision {
  readonly outcome: FactOutcomeKind;
  readonly reason?: FlagReason | undefined;
}

export const ACCEPTED: Decision = { outcome: 'accepted' };

export function flag(reason: FlagReason): Decision {
  return { outcome: reason === 'possible-duplicate' ? 'duplicate' : 'flagged', reason };
}

/**
 * What a fact does to its account, gathered so the account row is written once: ledger
 * entries by the fact that caused each (a payment's arrival can also apply a void held for it)
 * and contact fields.
 */
export interface Effect {
  readonly entries: Map<string, number>;
  fields: Partial<Record<ContactField, string>>;
}

/** Records that `sourceFactId` moves the account's balance by `deltaMinor`. */
export function moveBalance(context: Context, sourceFactId: string, deltaMinor: number): void {
  if (deltaMinor === 0) return;
  const entries = context.effect.entries;
  entries.set(sourceFactId, (entries.get(sourceFactId) ?? 0) + deltaMinor);
}

export interface Context {
  readonly trx: Trx;
  readonly changeSeq: number;
  readonly receivedAt: Date;
  readonly account: AccountRow | undefined;
  readonly effect: Effect;
}

/** A fact's row as stored: its columns, its signed document, and the hub's answer. */
export function factRow(
  fact: Fact,
  document: string,
  receivedAt: string,
  changeSeq: number,
  decision: Decision = ACCEPTED,
): Insertable<Database['facts']> {
  return {
    id: fact.id,
    seq: fact.seq,
    outcome: decision.outcome,
    flag_reason: decision.reason ?? null,
    change_seq: changeSeq,
    device_id: fact.deviceId,
    kind: fact.kind,
    hash: fact.hash,
    prev_hash: fact.prevHash,
    hlc: fact.hlc,
    agent_id: fact.agentId,
    recorded_at: fact.recordedAt,
    document,
    received_at: receivedAt,
  };
}

/** A cash payment's row, flagged with `reason` if it broke a rule. */
export function paymentRow(
  fact: FactOf<'payment'>,
  receivedAt: string,
  reason: FlagReason | undefined,
): Insertable<Database['payments']> {
  const body = fact.body;
  return {
    fact_id: fact.id,
    account_id: body.accountId,
    agent_id: fact.agentId,
    currency: body.currency,
    amount_minor: body.amountMinor,
    method: body.method,
    receipt_number: body.receiptNumber,
    taken_at: fact.recordedAt,
    received_at: receivedAt,
    status: reason === undefined ? 'accepted' : 'flagged',
    flag_reason: reason ?? null,
    hlc: fact.hlc,
  };
}
