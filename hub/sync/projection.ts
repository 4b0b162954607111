/**
 * What every projection of a fact shares: the transaction, the change number the fact took,
 * the account it names as read before any write, and the effect on that account gathered so
 * the account row is written once (hub/sync/project.ts).
 */
import type { Selectable, Transaction } from 'kysely';
import type { ContactField } from '../../shared/facts.ts';
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

/** What a fact does to its account, gathered so the account row is written once. */
export interface Effect {
  balanceDeltaMinor: number;
  fields: Partial<Record<ContactField, string>>;
}

export interface Context {
  readonly trx: Trx;
  readonly changeSeq: number;
  readonly receivedAt: Date;
  readonly account: AccountRow | undefined;
  readonly effect: Effect;
}
