/**
 * The independent model: what the hub and every device must show once the world is quiet,
 * worked out from the template's description and from what each device's
 * `recordCashPayment` returned, never read back from either database. It shares no code with
 * the hub or the device beyond types: its own flag rules, its own oldest-bill-first
 * allocation, its own sums.
 *
 * One input it takes from the world rather than from the devices: the order in which facts
 * reached the hub. The network chose that order; the duplicate rule ("the one that arrives
 * second is flagged") depends on it. The model re-derives every outcome from that order with
 * its own reading of the rule in docs/sync-protocol.md and shared/conflicts.ts.
 */
import type { CurrencyCode } from '../../shared/money.ts';
import type { SimAccount, SimBill, TemplateWorld } from './template.ts';

/** What the payment's own content earns it, before any comparison with other payments. */
export type RuleOutcome =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'flagged'; readonly reason: string; readonly applies: boolean };

export type ExpectedOutcome =
  RuleOutcome | { readonly outcome: 'duplicate'; readonly reason: 'possible-duplicate' };

export interface RecordedPayment {
  readonly factId: string;
  readonly device: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly hash: string;
  /** The wall time of the fact's hybrid clock stamp, as the device set it. */
  readonly stampMs: number;
  readonly accountId: string;
  readonly currency: CurrencyCode;
  readonly amountMinor: number;
  readonly tenderedMinor: number;
  readonly rule: RuleOutcome;
}

export interface ExpectedBill {
  readonly id: string;
  readonly paidMinor: number;
  readonly amountMinor: number;
}

/** Two payments on one account within an hour by their stamps, amounts within 5 %. */
const DUPLICATE_WINDOW_MS = 3_600_000;
const DUPLICATE_PERCENT = 5;

export class Model {
  readonly payments: RecordedPayment[] = [];
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

  record(payment: RecordedPayment): void {
    this.payments.push(payment);
  }

  /**
   * Every payment's outcome, given the order in which they reached the hub: a payment its own
   * content lets through is a duplicate when one that arrived before it, on the same account
   * (whatever that one's outcome), is within the window and the amount margin.
   */
  outcomes(arrival: readonly string[]): Map<string, ExpectedOutcome> {
    const byId = new Map(this.payments.map((payment) => [payment.factId, payment]));
    const arrived: RecordedPayment[] = [];
    const outcomes = new Map<string, ExpectedOutcome>();
    for (const id of arrival) {
      const payment = byId.get(id);
      if (!payment) continue;
      // The hub compares with the account's 50 latest payments; a run never holds more.
      const twin = arrived
        .filter((earlier) => earlier.accountId === payment.accountId)
        .slice(-50)
        .some(
          (earlier) =>
            Math.abs(earlier.stampMs - payment.stampMs) <= DUPLICATE_WINDOW_MS &&
            Math.abs(earlier.amountMinor - payment.amountMinor) * 100 <=
              Math.max(earlier.amountMinor, payment.amountMinor) * DUPLICATE_PERCENT,
        );
      outcomes.set(
        id,
        payment.rule.outcome === 'accepted' && twin
          ? { outcome: 'duplicate', reason: 'possible-duplicate' }
          : payment.rule,
      );
      arrived.push(payment);
    }
    return outcomes;
  }

  account(accountId: string): SimAccount {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId} in the template`);
    return account;
  }

  routeAccounts(routeId: string): SimAccount[] {
    return this.world.accounts.filter((account) => account.routeId === routeId);
  }

  /**
   * The money that counts against `accountId`: every payment its content lets through (a
   * duplicate counts too: both payments stand) or whose flag still applies.
   */
  appliedTo(accountId: string): number {
    let total = 0;
    for (const payment of this.payments) {
      if (payment.accountId !== accountId) continue;
      if (payment.rule.outcome === 'accepted' || payment.rule.applies) total += payment.amountMinor;
    }
    return total;
  }

  expectedBalance(accountId: string): number {
    return this.account(accountId).balanceMinor - this.appliedTo(accountId);
  }

  /**
   * Every bill of the account after all its applied payments. Paying oldest first fills the
   * bills in one fixed order, so the end state depends only on the total paid, not on the
   * order in which the payments arrived.
   */
  expectedBills(accountId: string): ExpectedBill[] {
    let left = this.appliedTo(accountId);
    return [...this.account(accountId).bills].sort(byAge).map((bill) => {
      const paid = Math.min(bill.amountMinor - bill.paidMinor, left);
      left -= paid;
      return { id: bill.id, amountMinor: bill.amountMinor, paidMinor: bill.paidMinor + paid };
    });
  }

  /** The sum of every payment recorded by every device: the hub's ledger must hold exactly this. */
  ledgerTotal(): number {
    return this.payments.reduce((sum, payment) => sum + payment.amountMinor, 0);
  }

  byDevice(deviceId: string): RecordedPayment[] {
    return this.payments.filter((p) => p.deviceId === deviceId).sort((a, b) => a.seq - b.seq);
  }
}

function byAge(a: SimBill, b: SimBill): number {
  if (a.dueOn !== b.dueOn) return a.dueOn < b.dueOn ? -1 : 1;
  if (a.issuedOn !== b.issuedOn) return a.issuedOn < b.issuedOn ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
