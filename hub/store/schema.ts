/**
 * The hub's tables as Kysely sees them. Money columns are integers of minor units, always;
 * timestamps are ISO 8601 text in UTC so that they sort and compare the same on every engine.
 */
import type { Generated } from 'kysely';

export interface RoutesTable {
  id: string;
  name: string;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: 'agent' | 'supervisor';
  route_id: string | null;
  secret_hash: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  device_id: string | null;
  created_at: string;
  expires_at: string;
}

export interface DevicesTable {
  id: string;
  registered_at: string;
  /** The supervisor whose enrolment code the device used. */
  registered_by: string;
  head_seq: number;
  head_hash: string;
  /** The device's ECDSA P-256 public key, as JWK JSON. */
  public_key: string | null;
  label: string | null;
  status: Generated<'active' | 'revoked'>;
  revoked_at: string | null;
  last_push_at: string | null;
  clock_skew_ms: number | null;
}

export interface EnrolmentCodesTable {
  code_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  device_id: string | null;
}

export interface TariffsTable {
  id: string;
  name: string;
  currency: string;
}

export interface TariffVersionsTable {
  tariff_id: string;
  version: number;
  effective_from: string;
  document: string;
  change_seq: Generated<number>;
}

export interface AccountsTable {
  id: string;
  account_number: string;
  name: string;
  address: string;
  phone: string;
  meter_number: string;
  route_id: string;
  tariff_id: string;
  currency: string;
  balance_minor: number;
  change_seq: number;
}

export interface BillsTable {
  id: string;
  account_id: string;
  period: string;
  issued_on: string;
  due_on: string;
  kwh: number;
  amount_minor: number;
  paid_minor: number;
}

export interface ReadingsTable {
  id: string;
  account_id: string;
  read_on: string;
  register_kwh: number;
  /** The device fact the reading came in, or null for readings loaded from elsewhere. */
  fact_id: string | null;
  status: Generated<'accepted' | 'flagged'>;
  flag_reason: string | null;
  change_seq: Generated<number>;
}

export interface FactsTable {
  id: string;
  device_id: string;
  seq: number;
  kind: string;
  hash: string;
  prev_hash: string;
  hlc: string;
  agent_id: string;
  recorded_at: string;
  document: string;
  received_at: string;
  outcome: 'accepted' | 'duplicate' | 'flagged' | 'held';
  flag_reason: string | null;
  change_seq: number;
}

export interface PaymentsTable {
  fact_id: string;
  account_id: string;
  agent_id: string;
  currency: string;
  amount_minor: number;
  method: string;
  receipt_number: string;
  taken_at: string;
  received_at: string;
  status: 'accepted' | 'flagged';
  flag_reason: string | null;
  /** Its fact's hybrid clock stamp, copied for the duplicate rule's index. */
  hlc: string;
  /** The void that reversed the payment, if one did. */
  voided_by: string | null;
}

export interface VoidsTable {
  fact_id: string;
  payment_id: string;
  account_id: string;
  amount_minor: number;
  reason: string;
  hlc: string;
  status: 'held' | 'applied' | 'flagged';
  flag_reason: string | null;
  /** What the void gave back to the balance: the payment's amount, or 0 if it never counted. */
  reversed_minor: number;
}

export interface ReversalsTable {
  void_fact_id: string;
  bill_id: string;
  amount_minor: number;
}

export interface ContactEditsTable {
  fact_id: string;
  account_id: string;
  field: string;
  value: string;
  previous: string;
  device_id: string;
  device_seq: number;
  hlc: string;
  base_change_seq: number;
  change_seq: number;
  received_at: string;
  flag_reason: string | null;
}

export interface SpotBillsTable {
  fact_id: string;
  account_id: string;
  period_from: string;
  period_to: string;
  tariff_id: string;
  tariff_version: number;
  /** The bill's own amount as printed, without carried lines. */
  printed_minor: number;
  /** What the customer was told in all, with carried lines. */
  total_minor: number;
  /** The amount by the hub's tariff, or null when the hub has no such tariff. */
  hub_minor: number | null;
  difference_minor: number;
  status: 'applied' | 'flagged';
  flag_reason: string | null;
}

/** A difference waiting to be billed: from a spot bill the hub computed otherwise, or a correction. */
export interface CarriedTable {
  id: string;
  account_id: string;
  source_fact_id: string;
  amount_minor: number;
  reason: string;
  /** The spot bill that billed it; null while it waits. */
  billed_by: string | null;
}

export interface AllocationsTable {
  payment_fact_id: string;
  bill_id: string;
  amount_minor: number;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  detail: string;
  /** The previous entry's hash (64 zeros for the first): the audit log is a hash chain. */
  prev_hash: string | null;
  hash: string | null;
}

/**
 * Every movement of an account's balance, by what caused it: `opening` (the balance an account
 * was loaded or migrated with) or the id of the fact. An account's balance is the sum of its
 * entries; the integrity check holds the store to that.
 */
export interface LedgerTable {
  source: string;
  account_id: string;
  delta_minor: number;
  change_seq: number;
}

export interface HubMetaTable {
  key: string;
  value: string;
}

export interface Database {
  routes: RoutesTable;
  users: UsersTable;
  sessions: SessionsTable;
  devices: DevicesTable;
  enrolment_codes: EnrolmentCodesTable;
  tariffs: TariffsTable;
  tariff_versions: TariffVersionsTable;
  accounts: AccountsTable;
  bills: BillsTable;
  readings: ReadingsTable;
  facts: FactsTable;
  payments: PaymentsTable;
  allocations: AllocationsTable;
  voids: VoidsTable;
  reversals: ReversalsTable;
  contact_edits: ContactEditsTable;
  spot_bills: SpotBillsTable;
  carried: CarriedTable;
  counters: CountersTable;
  audit: AuditTable;
  hub_meta: HubMetaTable;
  ledger: LedgerTable;
}
