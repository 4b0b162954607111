/**
 * The model's replay: every recorded fact taken in the order it reached the hub, with the
 * rules written out again from docs/sync-protocol.md and shared/conflicts.ts, and nothing
 * imported from either. What comes out is what the hub must hold: each fact's outcome, which
 * void reversed which payment, every balance and bill, and every contact field.
 *
 * The rules, as the model reads them:
 *
 * - A payment is flagged for an unknown account, then for a currency other than the
 *   account's; one its content lets through is a `possible-duplicate` when a payment that
 *   arrived before it on the same account, and is not voided by then, is within an hour by
 *   the stamps' wall time and within 5 % in amount. Accepted and duplicate payments pay the
 *   oldest open bills (due date, issue date, id) and lower the balance.
 * - A void whose payment has not arrived is held; when the payment arrives, its held voids
 *   are decided in stamp order (then id), right after the payment itself. A void is flagged
 *   when it names another account, then another amount, then when another void already
 *   reversed the payment; otherwise it reverses the payment: what the payment paid on each
 *   bill is taken back, and the balance rises by the amount if the payment counted at all.
 * - A contact edit is flagged `concurrent-edit` when an edit of the same field that arrived
 *   before it disagrees with it and neither saw the other (an edit saw another when it is
 *   later on the same device, or when the snapshot it was made from is at or after the
 *   other's change, a snapshot counting at most as the edit's own change less one). The
 *   field shows, among the edits no other edit saw, the latest by stamp
 *   (a stamp more than five minutes ahead of the hub's receipt counts as that limit), then
 *   the highest fact id.
 *
 * Arrival order is the hub's change numbers. A held void takes its payment's change number
 * when it is decided, so a void sharing a payment's number comes right after that payment.
 */
import type { ContactField } from '../../shared/facts.ts';
import type {
  ExpectedBill,
  ExpectedOutcome,
  RecordedContact,
  RecordedFact,
  RecordedPayment,
  RecordedVoid,
} from './model.ts';
import type { SimAccount } from './template.ts';

/** One fact's arrival at the hub, as the hub recorded it. */
export interface Arrival {
  readonly id: string;
  readonly changeSeq: number;
  readonly receivedAtMs: number;
}

export interface Settlement {
  readonly outcomes: ReadonlyMap<string, ExpectedOutcome>;
  /** Payments that count against their account (a later void may take them back). */
  readonly applied: ReadonlySet<string>;
  /** Payment id → the void that reversed it. */
  readonly voidedBy: ReadonlyMap<string, string>;
  /** Void id → what it gave back to the balance (0 for a payment that never counted). */
  readonly reversedMinor: ReadonlyMap<string, number>;
  readonly balances: ReadonlyMap<string, number>;
  readonly bills: ReadonlyMap<string, readonly ExpectedBill[]>;
  /** Per account, what the run's payments left paid on bills: allocations less reversals. */
  readonly allocatedMinor: ReadonlyMap<string, number>;
  readonly contacts: ReadonlyMap<string, Readonly<Record<ContactField, string>>>;
  /** How often each interesting case happened, so a run that stops making them is noticed. */
  readonly coverage: Readonly<Record<string, number>>;
}

const DUPLICATE_WINDOW_MS = 3_600_000;
const DUPLICATE_PERCENT = 5;
const CLOCK_AHEAD_TOLERANCE_MS = 5 * 60_000;

interface Bill {
  readonly id: string;
  readonly dueOn: string;
  readonly issuedOn: string;
  readonly amountMinor: number;
  paidMinor: number;
}

interface ArrivedEdit {
  readonly fact: RecordedContact;
  readonly changeSeq: number;
  readonly receivedAtMs: number;
}

function byAge(a: Bill, b: Bill): number {
  if (a.dueOn !== b.dueOn) return a.dueOn < b.dueOn ? -1 : 1;
  if (a.issuedOn !== b.issuedOn) return a.issuedOn < b.issuedOn ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function byStampThenId(a: RecordedFact, b: RecordedFact): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  return a.factId < b.factId ? -1 : a.factId > b.factId ? 1 : 0;
}

/** Whether edit `a` was made after seeing edit `b`. */
function saw(a: ArrivedEdit, b: ArrivedEdit): boolean {
  if (a.fact.deviceId === b.fact.deviceId) return a.fact.seq > b.fact.seq;
  // A snapshot cannot be later than the edit made from it: the base counts at most as the
  // edit's own change less one.
  return Math.min(a.fact.baseChangeSeq, a.changeSeq - 1) >= b.changeSeq;
}

/** The stamp that orders concurrent edits: wall time capped at receipt plus the tolerance. */
function stampOf(edit: ArrivedEdit): [number, number, string] {
  const match = /^(\d{15})-([0-9a-f]{4})-(.+)$/.exec(edit.fact.hlc);
  if (!match) throw new Error(`the model cannot read the stamp ${edit.fact.hlc}`);
  const wallMs = Math.min(Number(match[1]), edit.receivedAtMs + CLOCK_AHEAD_TOLERANCE_MS);
  return [wallMs, parseInt(match[2] ?? '0', 16), match[3] ?? ''];
}

function laterStamp(a: ArrivedEdit, b: ArrivedEdit): number {
  const [wa, ca, na] = stampOf(a);
  const [wb, cb, nb] = stampOf(b);
  if (wa !== wb) return wa - wb;
  if (ca !== cb) return ca - cb;
  if (na !== nb) return na < nb ? -1 : 1;
  return a.fact.factId < b.fact.factId ? -1 : a.fact.factId > b.fact.factId ? 1 : 0;
}

class Replay {
  readonly outcomes = new Map<string, ExpectedOutcome>();
  readonly applied = new Set<string>();
  readonly voidedBy = new Map<string, string>();
  readonly reversedMinor = new Map<string, number>();
  readonly balances = new Map<string, number>();
  readonly bills = new Map<string, Bill[]>();
  readonly allocatedMinor = new Map<string, number>();
  readonly coverage: Record<string, number> = {};
  private readonly arrived: RecordedPayment[] = [];
  /** Payment id → the change number it arrived at. */
  private readonly arrivedAt = new Map<string, number>();
  private readonly allocations = new Map<string, { bill: Bill; amountMinor: number }[]>();
  private readonly held = new Map<string, RecordedVoid[]>();
  private readonly edits = new Map<string, ArrivedEdit[]>();

  constructor(private readonly accounts: readonly SimAccount[]) {
    for (const account of accounts) {
      this.balances.set(account.id, account.balanceMinor);
      this.bills.set(
        account.id,
        account.bills.map((bill) => ({ ...bill })),
      );
      this.allocatedMinor.set(account.id, 0);
    }
  }

  count(what: string): void {
    this.coverage[what] = (this.coverage[what] ?? 0) + 1;
  }

  payment(payment: RecordedPayment, arrival: Arrival): void {
    let outcome: ExpectedOutcome;
    if (payment.rule.outcome === 'accepted') {
      const twin = this.arrived
        .filter((p) => p.accountId === payment.accountId && !this.voidedBy.has(p.factId))
        .slice(-50)
        .some(
          (earlier) =>
            Math.abs(earlier.stampMs - payment.stampMs) <= DUPLICATE_WINDOW_MS &&
            Math.abs(earlier.amountMinor - payment.amountMinor) * 100 <=
              Math.max(earlier.amountMinor, payment.amountMinor) * DUPLICATE_PERCENT,
        );
      outcome = twin ? { outcome: 'duplicate', reason: 'possible-duplicate' } : payment.rule;
    } else {
      outcome = { outcome: 'flagged', reason: payment.rule.reason };
    }
    this.outcomes.set(payment.factId, outcome);
    this.arrived.push(payment);
    this.arrivedAt.set(payment.factId, arrival.changeSeq);
    if (
      outcome.outcome !== 'flagged' ||
      (payment.rule.outcome === 'flagged' && payment.rule.applies)
    )
      this.apply(payment);
    const waiting = (this.held.get(payment.factId) ?? []).sort(byStampThenId);
    this.held.delete(payment.factId);
    for (const held of waiting) this.decideVoid(held);
  }

  /** The payment pays the oldest open bills first; what is left is credit. */
  private apply(payment: RecordedPayment): void {
    this.applied.add(payment.factId);
    const account = payment.accountId;
    this.balances.set(account, (this.balances.get(account) ?? 0) - payment.amountMinor);
    let left = payment.amountMinor;
    const parts: { bill: Bill; amountMinor: number }[] = [];
    for (const bill of [...(this.bills.get(account) ?? [])].sort(byAge)) {
      const paid = Math.min(bill.amountMinor - bill.paidMinor, left);
      if (paid <= 0) continue;
      bill.paidMinor += paid;
      left -= paid;
      parts.push({ bill, amountMinor: paid });
    }
    this.allocations.set(payment.factId, parts);
    const total = parts.reduce((sum, part) => sum + part.amountMinor, 0);
    this.allocatedMinor.set(account, (this.allocatedMinor.get(account) ?? 0) + total);
  }

  void(fact: RecordedVoid, arrival: Arrival): void {
    // A void decided when its payment arrived took the payment's change number.
    if (this.arrivedAt.get(fact.paymentId) === arrival.changeSeq) this.count('void-held-released');
    if (!this.arrivedAt.has(fact.paymentId)) {
      this.count('void-left-held');
      this.outcomes.set(fact.factId, { outcome: 'held' });
      this.held.set(fact.paymentId, [...(this.held.get(fact.paymentId) ?? []), fact]);
      return;
    }
    this.decideVoid(fact);
  }

  private decideVoid(fact: RecordedVoid): void {
    const payment = this.arrived.find((p) => p.factId === fact.paymentId);
    if (!payment) throw new Error('the model decided a void before its payment');
    const previous = this.voidedBy.get(payment.factId);
    const reason =
      payment.accountId !== fact.accountId
        ? 'void-account-mismatch'
        : payment.amountMinor !== fact.amountMinor
          ? 'void-amount-mismatch'
          : previous !== undefined && previous !== fact.factId
            ? 'already-voided'
            : undefined;
    if (reason !== undefined) {
      this.count(reason);
      this.outcomes.set(fact.factId, { outcome: 'flagged', reason });
      return;
    }
    this.outcomes.set(fact.factId, { outcome: 'accepted' });
    this.voidedBy.set(payment.factId, fact.factId);
    const reversed = this.applied.has(payment.factId) ? payment.amountMinor : 0;
    this.reversedMinor.set(fact.factId, reversed);
    if (reversed === 0) return;
    const account = payment.accountId;
    this.balances.set(account, (this.balances.get(account) ?? 0) + reversed);
    for (const part of this.allocations.get(payment.factId) ?? []) {
      part.bill.paidMinor -= part.amountMinor;
      this.allocatedMinor.set(account, (this.allocatedMinor.get(account) ?? 0) - part.amountMinor);
    }
  }

  contact(fact: RecordedContact, arrival: Arrival): void {
    if (!this.balances.has(fact.accountId)) {
      this.outcomes.set(fact.factId, { outcome: 'flagged', reason: 'account-not-found' });
      return;
    }
    const key = `${fact.accountId}/${fact.field}`;
    const before = this.edits.get(key) ?? [];
    const edit: ArrivedEdit = {
      fact,
      changeSeq: arrival.changeSeq,
      receivedAtMs: arrival.receivedAtMs,
    };
    const concurrent = before.some(
      (other) => other.fact.value !== fact.value && !saw(edit, other) && !saw(other, edit),
    );
    if (before.some((other) => other.fact.deviceId !== fact.deviceId && saw(edit, other)))
      this.count('contact-saw-another-device');
    if (concurrent) this.count('concurrent-edit');
    this.outcomes.set(
      fact.factId,
      concurrent ? { outcome: 'flagged', reason: 'concurrent-edit' } : { outcome: 'accepted' },
    );
    this.edits.set(key, [...before, edit]);
  }

  contacts(): Map<string, Record<ContactField, string>> {
    const contacts = new Map<string, Record<ContactField, string>>();
    for (const account of this.accounts) {
      const fields: Record<ContactField, string> = {
        name: account.name,
        phone: account.phone,
        address: account.address,
      };
      for (const field of Object.keys(fields) as ContactField[]) {
        const edits = this.edits.get(`${account.id}/${field}`) ?? [];
        const unseen = edits.filter((edit) => !edits.some((o) => o !== edit && saw(o, edit)));
        const winner = unseen.sort(laterStamp).at(-1);
        if (winner) fields[field] = winner.fact.value;
        if (edits.some((edit) => stampOf(edit)[0] < Number(edit.fact.hlc.slice(0, 15))))
          this.count('contact-stamp-capped');
      }
      contacts.set(account.id, fields);
    }
    return contacts;
  }
}

export function replay(
  facts: readonly RecordedFact[],
  accounts: readonly SimAccount[],
  arrival: readonly Arrival[],
): Settlement {
  const byId = new Map(facts.map((fact) => [fact.factId, fact]));
  const rank = (id: string) => (byId.get(id)?.kind === 'payment' ? 0 : 1);
  const ordered = [...arrival].sort((a, b) => {
    const fa = byId.get(a.id);
    const fb = byId.get(b.id);
    return (
      a.changeSeq - b.changeSeq ||
      rank(a.id) - rank(b.id) ||
      (fa && fb ? byStampThenId(fa, fb) : a.id < b.id ? -1 : 1)
    );
  });
  const state = new Replay(accounts);
  for (const entry of ordered) {
    const fact = byId.get(entry.id);
    if (!fact) continue; // a fact nobody recorded: the checks report it
    if (fact.kind === 'payment') state.payment(fact, entry);
    else if (fact.kind === 'void') state.void(fact, entry);
    else state.contact(fact, entry);
  }
  const bills = new Map<string, ExpectedBill[]>();
  for (const [accountId, list] of state.bills)
    bills.set(
      accountId,
      [...list]
        .sort(byAge)
        .map((bill) => ({ id: bill.id, amountMinor: bill.amountMinor, paidMinor: bill.paidMinor })),
    );
  const contacts = state.contacts();
  return {
    outcomes: state.outcomes,
    applied: state.applied,
    voidedBy: state.voidedBy,
    reversedMinor: state.reversedMinor,
    balances: state.balances,
    bills,
    allocatedMinor: state.allocatedMinor,
    contacts,
    coverage: state.coverage,
  };
}
