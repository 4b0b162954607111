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
  outcome: 'accepted' | 'duplicate' | 'flagged';
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
  counters: CountersTable;
  audit: AuditTable;
}
