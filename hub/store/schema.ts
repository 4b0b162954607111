/**
 * The hub's tables as Kysely sees them. Money columns are integers of minor units, always, and
 * carry the branded `MinorUnits` type (written only through `minor`'s range guard); currencies,
 * flag reasons and other closed lists keep their union types, so nothing read back needs a
 * cast. Timestamps are ISO 8601 text in UTC so that they sort and compare the same on every
 * engine.
 */
import type { Generated } from 'kysely';
import type { ContactField, PaymentMethod, VoidBody } from '../../shared/facts.ts';
import type { Sha256Hex } from '../../shared/hash.ts';
import type { CurrencyCode, MinorUnits } from '../../shared/money.ts';
import type { FactOutcomeKind, FlagReason } from '../../shared/protocol.ts';

export interface RegionsTable {
  id: string;
  name: string;
}

export interface RoutesTable {
  id: string;
  name: string;
  region_id: string | null;
  /** The area the route belongs to, if any (a village agent of the area serves it). */
  area_id: string | null;
}

export interface AreasTable {
  id: string;
  name: string;
  region_id: string | null;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: 'agent' | 'supervisor';
  route_id: string | null;
  /** A village agent's area: the agent serves every route of it (null for a field agent). */
  area_id: string | null;
  secret_hash: string;
  /** The region a supervisor oversees; null: every region. */
  region_id: string | null;
  /** 1: a supervisor who is an admin (hub/auth/sessions.ts, `roleOf`). */
  is_admin: Generated<number>;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  device_id: string | null;
  created_at: string;
  /** The absolute end. */
  expires_at: string;
  /** The last request made with it, to the minute: a session idle too long ends. */
  last_seen_at: string | null;
  /** An agent's route or area when she signed in (`scoped` 1): what the session serves. */
  route_id: string | null;
  area_id: string | null;
  scoped: Generated<number>;
}

/** Requests a bucket made in its current fixed window (hub/auth/throttle.ts). */
export interface ThrottlesTable {
  bucket: string;
  window_start: string;
  count: number;
}

/** Wrong secrets in a row for a subject, and until when it is locked (hub/auth/throttle.ts). */
export interface LockoutsTable {
  subject: string;
  failures: number;
  locked_until: string | null;
  last_failure_at: string;
}

export interface DevicesTable {
  id: string;
  registered_at: string;
  /** The supervisor whose enrolment code the device used. */
  registered_by: string;
  head_seq: number;
  head_hash: Sha256Hex;
  /** The device's ECDSA P-256 public key, as JWK JSON. */
  public_key: string | null;
  label: string | null;
  status: Generated<'active' | 'revoked'>;
  revoked_at: string | null;
  last_push_at: string | null;
  clock_skew_ms: number | null;
  /** 32 random bytes, base64url: opens the device's data key with an agent's sign-in. */
  unlock_secret: string | null;
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
  currency: CurrencyCode;
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
  currency: CurrencyCode;
  balance_minor: MinorUnits;
  change_seq: number;
  /** The customer's monthly budget (0 or null: none), and the stamp of the fact that set it. */
  budget_minor: Generated<MinorUnits | null>;
  budget_hlc: Generated<string | null>;
  /** The name as search reads it (hub/accounts/search-text.ts); null only if never written. */
  name_search: Generated<string | null>;
}

/** An account's prepaid meter: its OpenPAYGO key and who may make its tokens (shared/topup.ts). */
export interface PrepaidMetersTable {
  account_id: string;
  system: 'openpaygo';
  secret_key: string;
  starting_code: number;
  /** 1: the meter's keypad has only the keys 1 to 4. */
  restricted_digits: number;
  unit_wh: number;
  /** The highest count of a token sold for the meter. */
  last_count: number;
  /** The device holding the meter's current lease, if any; its counts are [lease_from, lease_to). */
  lease_device_id: string | null;
  lease_from: number;
  lease_to: number;
}

/** An account's STS meter, as the software vending module knows it (hub/prepaid/sts/). */
export interface StsMetersTable {
  account_id: string;
  /** 11 or 13 digits, the last a Luhn check digit. */
  meter_number: string;
  supply_group_code: string;
  key_revision: number;
  tariff_index: string;
  /** The year its token identifiers count from: 1993 or 2014. */
  base_date: number;
  /** The highest token identifier issued to the meter (0: none). */
  last_tid: number;
  /** 1: the utility stopped sales to the meter. */
  blocked: number;
}

/** The vending keys the software module holds: 16 hexadecimal digits each. */
export interface StsVendingKeysTable {
  supply_group_code: string;
  key_revision: number;
  vending_key: string;
}

/** Every vend, by its request id (the payment's fact id), with the tokens it issued (JSON). */
export interface StsVendsTable {
  request_id: string;
  account_id: string;
  meter_number: string;
  requested_deci_kwh: number;
  energy_deci_kwh: number;
  tid: number;
  tokens: string;
  vend_reference: string;
  issued_at: string;
}

/** Every lease of counts granted: a device may make tokens at exactly these counts. */
export interface TokenLeasesTable {
  account_id: string;
  device_id: string;
  from_count: number;
  to_count: number;
  granted_at: string;
}

/** A top-up payment's sale: sold (charged, tokens kept) or not sold (flagged, money credit). */
export interface TopUpsTable {
  fact_id: string;
  account_id: string;
  sold_on: string;
  energy_wh: number;
  cost_minor: MinorUnits;
  tariff_id: string;
  tariff_version: number;
  status: 'sold' | 'not-sold';
}

/** Each token sold, by its meter's count: a count is sold once. */
export interface TopUpTokensTable {
  account_id: string;
  count: number;
  fact_id: string;
  value: number;
  digits: string;
}

/** A refund or credit-transfer request: waiting for a supervisor, or flagged on arrival. */
export interface CreditRequestsTable {
  fact_id: string;
  kind: 'refund-request' | 'transfer-request';
  account_id: string;
  /** A transfer's target, as the hub found it by number (null: a refund, or none found). */
  to_account_id: string | null;
  currency: CurrencyCode;
  amount_minor: MinorUnits;
  status: 'pending' | 'flagged';
}

/** An agent's handover of a device's cash: waiting for a supervisor, or flagged on arrival. */
export interface HandoversTable {
  fact_id: string;
  device_id: string;
  agent_id: string;
  from_seq: number;
  through_seq: number;
  currency: CurrencyCode;
  /** What the hub found the device's facts put in the agent's hands. */
  expected_minor: MinorUnits;
  counted_minor: MinorUnits;
  status: 'pending' | 'flagged';
}

export interface BillsTable {
  id: string;
  account_id: string;
  /** The period billed: from its first day up to, not including, `period_to`. */
  period_from: string;
  period_to: string;
  issued_on: string;
  due_on: string;
  kwh: number;
  amount_minor: MinorUnits;
  paid_minor: MinorUnits;
}

export interface ReadingsTable {
  id: string;
  account_id: string;
  read_on: string;
  register_kwh: number;
  /** The device fact the reading came in, or null for readings loaded from elsewhere. */
  fact_id: string | null;
  status: Generated<'accepted' | 'flagged'>;
  flag_reason: FlagReason | null;
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
  outcome: FactOutcomeKind;
  flag_reason: FlagReason | null;
  /** For `body-invalid`: the field at fault and its problem, as JSON (shared/facts.ts BodyFault). */
  flag_detail: string | null;
  change_seq: number;
}

export interface PaymentsTable {
  fact_id: string;
  account_id: string;
  agent_id: string;
  currency: CurrencyCode;
  amount_minor: MinorUnits;
  method: PaymentMethod;
  /** Mobile money: the service; null otherwise. */
  provider: string | null;
  /** Mobile money and bank transfers: the transaction's reference; a card: its approval code. */
  reference: string | null;
  payer_phone: string | null;
  card_brand: string | null;
  card_last4: string | null;
  receipt_number: string;
  taken_at: string;
  received_at: string;
  /** The hub change at which the payment arrived: the duplicate rule's order of arrival. */
  change_seq: number;
  status: 'accepted' | 'flagged';
  flag_reason: FlagReason | null;
  /** Its fact's hybrid clock stamp, copied for the duplicate rule's index. */
  hlc: string;
  /** The void that reversed the payment, if one did. */
  voided_by: string | null;
}

export interface VoidsTable {
  fact_id: string;
  /** The payment voided; null while a void that names a receipt number waits for it. */
  payment_id: string | null;
  /** The receipt number the void named instead of the payment's id, if it did. */
  receipt_number: string | null;
  account_id: string;
  amount_minor: MinorUnits;
  reason: VoidBody['reason'];
  hlc: string;
  status: 'held' | 'applied' | 'flagged';
  flag_reason: FlagReason | null;
  /** What the void gave back to the balance: the payment's amount, or 0 if it never counted. */
  reversed_minor: MinorUnits;
}

export interface ReversalsTable {
  void_fact_id: string;
  bill_id: string;
  amount_minor: MinorUnits;
}

export interface ContactEditsTable {
  fact_id: string;
  account_id: string;
  field: ContactField;
  value: string;
  previous: string;
  device_id: string;
  device_seq: number;
  hlc: string;
  base_change_seq: number;
  change_seq: number;
  received_at: string;
  flag_reason: FlagReason | null;
}

export interface SpotBillsTable {
  fact_id: string;
  account_id: string;
  period_from: string;
  period_to: string;
  tariff_id: string;
  tariff_version: number;
  /** The bill's own amount as printed, without carried lines. */
  printed_minor: MinorUnits;
  /** What the customer was told in all, with carried lines. */
  total_minor: MinorUnits;
  /** The amount by the hub's tariff, or null when the hub has no such tariff. */
  hub_minor: MinorUnits | null;
  difference_minor: MinorUnits;
  status: 'applied' | 'flagged';
  flag_reason: FlagReason | null;
}

/** A difference waiting to be billed: from a spot bill the hub computed otherwise, or a correction. */
export interface CarriedTable {
  id: string;
  account_id: string;
  source_fact_id: string;
  amount_minor: MinorUnits;
  reason: FlagReason;
  /** The spot bill that billed it; null while it waits. */
  billed_by: string | null;
}

export interface AllocationsTable {
  payment_fact_id: string;
  bill_id: string;
  amount_minor: MinorUnits;
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
  delta_minor: MinorUnits;
  change_seq: number;
}

/** Which agents signed in on which device: a fact's agent must be one of its device's. */
export interface DeviceAgentsTable {
  device_id: string;
  user_id: string;
  first_signed_in_at: string;
}

export interface HubMetaTable {
  key: string;
  value: string;
}

/** A supervisor's TOTP secret; confirmed once a code from it was given (hub/auth/mfa.ts). */
export interface TotpSecretsTable {
  user_id: string;
  secret: string;
  confirmed_at: string | null;
  /** The last 30-second step a code was accepted for: a code works once. */
  last_step: number;
}

export interface RecoveryCodesTable {
  code_hash: string;
  user_id: string;
  used_at: string | null;
}

/** A WebAuthn credential (a passkey): its public key as base64url COSE, and its counter. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  public_key: string;
  counter: number;
  /** JSON list of transports the authenticator named. */
  transports: string;
  label: string | null;
  created_at: string;
}

/** A sign-in waiting for its second factor, or a passkey registration in progress. */
export interface SecondFactorChallengesTable {
  token_hash: string;
  user_id: string;
  purpose: 'sign-in' | 'passkey-registration';
  webauthn_challenge: string | null;
  expires_at: string;
  attempts: number;
}

export interface Database {
  regions: RegionsTable;
  routes: RoutesTable;
  areas: AreasTable;
  users: UsersTable;
  sessions: SessionsTable;
  devices: DevicesTable;
  device_agents: DeviceAgentsTable;
  enrolment_codes: EnrolmentCodesTable;
  tariffs: TariffsTable;
  tariff_versions: TariffVersionsTable;
  accounts: AccountsTable;
  prepaid_meters: PrepaidMetersTable;
  sts_meters: StsMetersTable;
  sts_vending_keys: StsVendingKeysTable;
  sts_vends: StsVendsTable;
  token_leases: TokenLeasesTable;
  top_ups: TopUpsTable;
  top_up_tokens: TopUpTokensTable;
  credit_requests: CreditRequestsTable;
  handovers: HandoversTable;
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
  throttles: ThrottlesTable;
  lockouts: LockoutsTable;
  totp_secrets: TotpSecretsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  second_factor_challenges: SecondFactorChallengesTable;
}
