/**
 * What the rules of one push read, held in memory while its facts are applied and updated as
 * each one is, so that a later fact of the push sees what an earlier one did exactly as if it
 * had been read from the store again (reads.ts reads it, in a few bulk queries).
 */
import type { Selectable } from 'kysely';
import type { Bill } from '../../shared/billing.ts';
import { parseHlc } from '../../shared/clock.ts';
import type { ContactEdit, PaymentSeen, ReadingSeen } from '../../shared/conflicts.ts';
import type { ContactField } from '../../shared/facts.ts';
import type { CurrencyCode } from '../../shared/money.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import type { Period } from '../../shared/rules/spot-bill.ts';
import type { VoidCandidate } from '../../shared/rules/void.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import type { OpenPaygoMeter } from '../../shared/topup.ts';
import type { Database } from '../store/schema.ts';

export type AccountRow = Selectable<Database['accounts']>;
export type VoidRow = Selectable<Database['voids']>;

export interface AccountState {
  readonly row: AccountRow;
  balanceMinor: number;
  changeSeq: number;
  /** Contact fields this push changed. */
  readonly fields: Partial<Record<ContactField, string>>;
  /** The budget this push set, and the stamp of its fact. */
  budget?: { minor: number; hlc: string };
}

export interface BillState {
  readonly accountId: string;
  bill: Bill;
  /** What the bill's paid amount was when read; the push writes the difference. */
  readonly paidAtRead: number;
}

export interface PaymentRecord extends VoidCandidate {
  readonly allocations: { billId: string; amountMinor: number }[];
}

export interface ReadingRecord extends ReadingSeen {
  reason: FlagReason | null;
}

/** An account's prepaid meter, the leases of the pushing device, and what was sold. */
export interface PrepaidState {
  /** Its OpenPAYGO meter; undefined for an STS meter. */
  readonly meter: OpenPaygoMeter | undefined;
  /** Its STS meter number, for an STS meter. */
  readonly stsMeterNumber?: string;
  /** Counts leased to the pushing device: [from, to). */
  readonly leases: { readonly from: number; readonly to: number }[];
  /** Counts sold, by any device. */
  readonly used: Set<number>;
  /** Energy sold, by day. */
  readonly sales: { soldOn: string; energyWh: number }[];
  lastCount: number;
}

export interface BatchState {
  readonly accounts: Map<string, AccountState>;
  readonly bills: Map<string, BillState>;
  /** The same bills, by account. */
  readonly accountBills: Map<string, BillState[]>;
  readonly recent: Map<string, PaymentSeen[]>;
  readonly payments: Map<string, PaymentRecord>;
  readonly paymentsByReceipt: Map<string, PaymentRecord[]>;
  /** Voids waiting for their payment, by payment id and by receipt number. */
  readonly heldById: Map<string, VoidRow[]>;
  readonly heldByReceipt: Map<string, VoidRow[]>;
  readonly contactEdits: Map<string, ContactEdit[]>;
  readonly readings: Map<string, ReadingRecord[]>;
  readonly carried: Map<string, Map<string, number>>;
  readonly tariffs: Map<string, Tariff[]>;
  /** What requests waiting for a supervisor ask of each account's credit. */
  readonly requested: Map<string, number>;
  /** Accounts transfers name, by account number. */
  readonly byNumber: Map<string, { readonly id: string; readonly currency: CurrencyCode }>;
  /** The cash the hub expects over each handover's range of the device's facts, by fact id. */
  readonly handoverCash: Map<string, number>;
  /** Where the device's last handover ended (its `throughSeq`; 0: none yet). */
  readonly handoverThrough: { value: number };
  /** Prepaid meters of accounts the push tops up. */
  readonly prepaid: Map<string, PrepaidState>;
  readonly agents: ReadonlySet<string>;
}

export function contactKey(accountId: string, field: string): string {
  return `${accountId}|${field}`;
}

export function seen(
  factId: string,
  accountId: string,
  amountMinor: number,
  hlc: string,
): PaymentSeen {
  return { factId, accountId, amountMinor, hlc, wallMs: parseHlc(hlc)?.wallMs ?? Number.NaN };
}

export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Which facts need which reads, worked out before any query. */
/** Adds a bill to what the push holds in memory, once. */
export function holdBill(
  state: BatchState,
  accountId: string,
  bill: Bill,
  paidAtRead: number,
): void {
  if (state.bills.has(bill.id)) return;
  const entry: BillState = { accountId, bill, paidAtRead };
  state.bills.set(bill.id, entry);
  push(state.accountBills, accountId, entry);
}

export function openBillsOf(state: BatchState, accountId: string): Bill[] {
  return (state.accountBills.get(accountId) ?? [])
    .filter((entry) => entry.bill.paidMinor < entry.bill.amountMinor)
    .map((entry) => entry.bill);
}

export function billedPeriodsOf(state: BatchState, accountId: string): Period[] {
  return (state.accountBills.get(accountId) ?? []).map((entry) => entry.bill.period);
}
