/**
 * The independent model: what the hub and every device must show once the world is quiet,
 * worked out from the template's description and from what each device's recording functions
 * returned, never read back from either database. It shares no code with the hub or the
 * device beyond types: its own flag rules, its own oldest-bill-first allocation and reversal,
 * its own reading of the void and contact rules, its own sums.
 *
 * One input it takes from the world rather than from the devices: the order in which facts
 * reached the hub, and when (the hub's change numbers and receipt times). The network chose
 * those; the duplicate rule ("the one that arrives second is flagged"), the void rule (a void
 * that arrives before its payment is held, the second void of a payment is flagged) and the
 * concurrent-edit flag depend on them. The model replays the facts in that order with its own
 * reading of docs/sync-protocol.md and shared/conflicts.ts (replay.ts).
 */
import type { ContactField } from '../../shared/facts.ts';
import type { CurrencyCode } from '../../shared/money.ts';
import { replay, type Arrival, type Settlement } from './replay.ts';
import type { SimAccount, TemplateWorld } from './template.ts';

/** What the payment's own content earns it, before any comparison with other payments. */
export type RuleOutcome =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'flagged'; readonly reason: string; readonly applies: boolean };

/** Every outcome a fact can end with on the hub, and `held` for a void whose payment is missing. */
export type ExpectedOutcome =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'duplicate'; readonly reason: 'possible-duplicate' }
  | { readonly outcome: 'flagged'; readonly reason: string }
  | { readonly outcome: 'held' };

/** What every recorded fact carries: who recorded it, where in its chain, and its stamp. */
interface RecordedBase {
  readonly factId: string;
  /** The simulated device's label (d0…); a wiped device keeps its label, not its id. */
  readonly device: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly hash: string;
  /** The fact's hybrid clock stamp as the device wrote it. */
  readonly hlc: string;
  readonly accountId: string;
}

export interface RecordedPayment extends RecordedBase {
  readonly kind: 'payment';
  /** The wall time of the fact's hybrid clock stamp. */
  readonly stampMs: number;
  readonly currency: CurrencyCode;
  readonly amountMinor: number;
  readonly tenderedMinor: number;
  readonly rule: RuleOutcome;
}

export interface RecordedVoid extends RecordedBase {
  readonly kind: 'void';
  readonly paymentId: string;
  /** The amount the void names: the payment's, or a wrong one read off a receipt. */
  readonly amountMinor: number;
}

export interface RecordedContact extends RecordedBase {
  readonly kind: 'contact';
  readonly field: ContactField;
  readonly value: string;
  /** The change number of the snapshot the agent edited from. */
  readonly baseChangeSeq: number;
}

export type RecordedFact = RecordedPayment | RecordedVoid | RecordedContact;

export interface ExpectedBill {
  readonly id: string;
  readonly paidMinor: number;
  readonly amountMinor: number;
}

export class Model {
  readonly facts: RecordedFact[] = [];
  private readonly accounts: Map<string, SimAccount>;

  constructor(readonly world: TemplateWorld) {
    this.accounts = new Map(world.accounts.map((account) => [account.id, account]));
  }

  /**
   * The outcome the protocol document's table gives a cash payment the device let through:
   * unknown account, then currency; a device never sends a bad tender, and the amounts stay
   * far inside the range.
   */
  ruleOutcome(accountId: string, currency: CurrencyCode): RuleOutcome {
    const account = this.accounts.get(accountId);
    if (!account) return { outcome: 'flagged', reason: 'account-not-found', applies: false };
    if (account.currency !== currency)
      return { outcome: 'flagged', reason: 'currency-mismatch', applies: false };
    return { outcome: 'accepted' };
  }

  record(fact: RecordedFact): void {
    this.facts.push(fact);
  }

  get payments(): RecordedPayment[] {
    return this.facts.filter((fact): fact is RecordedPayment => fact.kind === 'payment');
  }

  payment(factId: string): RecordedPayment | undefined {
    return this.payments.find((payment) => payment.factId === factId);
  }

  /** Whether this device identity recorded a void of the payment: it must refuse another. */
  hasVoided(deviceId: string, paymentId: string): boolean {
    return this.facts.some(
      (fact) => fact.kind === 'void' && fact.deviceId === deviceId && fact.paymentId === paymentId,
    );
  }

  /** Every edit of one field of an account so far, oldest recorded first. */
  editsOf(accountId: string, field: ContactField): RecordedContact[] {
    return this.facts.filter(
      (fact): fact is RecordedContact =>
        fact.kind === 'contact' && fact.accountId === accountId && fact.field === field,
    );
  }

  account(accountId: string): SimAccount {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId} in the template`);
    return account;
  }

  knows(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  routeAccounts(routeId: string): SimAccount[] {
    return this.world.accounts.filter((account) => account.routeId === routeId);
  }

  /** The sum of every payment recorded by every device: the hub's ledger must hold exactly this. */
  ledgerTotal(): number {
    return this.payments.reduce((sum, payment) => sum + payment.amountMinor, 0);
  }

  /** The facts one device identity recorded, in its chain's order. */
  byDevice(deviceId: string): RecordedFact[] {
    return this.facts.filter((f) => f.deviceId === deviceId).sort((a, b) => a.seq - b.seq);
  }

  /** Everything the hub and the devices must end with, given the facts' arrival at the hub. */
  settle(arrival: readonly Arrival[]): Settlement {
    return replay(this.facts, this.world.accounts, arrival);
  }
}
