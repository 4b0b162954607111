/**
 * The state of one push while its facts are applied: the change numbers it takes, the rows it
 * gathers, and what each decision comes to (an outcome and the flag that names why). Shared by
 * the appliers of each kind (apply.ts, voids.ts, records.ts).
 */
import { factTexts, readFact, type FactEnvelope } from '../../shared/facts.ts';
import { minor, type CurrencyCode } from '../../shared/money.ts';
import type { FactOutcome, FactOutcomeKind, FlagReason } from '../../shared/protocol.ts';
import { maxAmountMinor, type AmountLimits } from '../../shared/risk.ts';
import { emptyWrites, type Writes } from './rows.ts';
import type { AccountState, BatchState } from './state.ts';

export const SPOT_BILL_DUE_DAYS = 14;

export interface Arrival {
  readonly receivedAt: Date;
  /** The first change number the push may take. */
  readonly firstChange: number;
  readonly deviceRevoked: boolean;
  readonly limits: AmountLimits | undefined;
}

/** One new fact: as sent, its stored text, and its body as read (or what is wrong with it). */
export interface Arriving {
  readonly envelope: FactEnvelope;
  readonly document: string;
  readonly read: ReturnType<typeof readFact>;
}

export function arriving(
  envelope: FactEnvelope,
  document = factTexts(envelope).document,
): Arriving {
  return { envelope, document, read: readFact(envelope) };
}

/** A decision on one fact: its outcome, and the flag that names why, if any. */
export interface Decision {
  readonly outcome: FactOutcomeKind;
  readonly reason: FlagReason | undefined;
}

export function decision(reason: FlagReason | undefined): Decision {
  if (reason === undefined) return { outcome: 'accepted', reason };
  return { outcome: reason === 'possible-duplicate' ? 'duplicate' : 'flagged', reason };
}

export class Batch {
  readonly writes: Writes = emptyWrites();
  readonly outcomes: FactOutcome[] = [];
  private change: number;
  readonly receivedIso: string;

  constructor(
    readonly state: BatchState,
    readonly arrival: Arrival,
  ) {
    this.change = arrival.firstChange;
    this.receivedIso = arrival.receivedAt.toISOString();
  }

  /** The change numbers taken so far. */
  get used(): number {
    return this.change - this.arrival.firstChange;
  }

  nextChange(): number {
    return this.change++;
  }

  account(id: string): AccountState | undefined {
    return this.state.accounts.get(id);
  }

  maxAmount(currency: CurrencyCode): number {
    return maxAmountMinor(this.arrival.limits, currency);
  }

  moveBalance(account: AccountState, source: string, deltaMinor: number, changeSeq: number): void {
    if (deltaMinor === 0) return;
    account.balanceMinor = minor(account.balanceMinor + deltaMinor);
    this.writes.ledger.push({
      source,
      account_id: account.row.id,
      delta_minor: minor(deltaMinor),
      change_seq: changeSeq,
    });
  }
}

export interface Applied {
  readonly outcomes: FactOutcome[];
  readonly writes: Writes;
  /** How many change numbers the push took. */
  readonly changesUsed: number;
}
