/**
 * Prepaid tokens: the numbers a customer types into a meter or device keypad to load the
 * credit they paid for. Gridtally meets two systems, described in docs/prepaid-tokens.md:
 *
 * - OpenPAYGO Token (shared/openpaygo/): we hold each device's key and make tokens ourselves.
 * - STS, IEC 62055-41: tokens are made by a vending service that holds the vending keys: the
 *   hub's own software module (hub/prepaid/sts/vending.ts) or, behind the same interface, an
 *   adapter to an outside service with its secure module. This module is the contract.
 *
 * Guarantees: declarations only, no behaviour and no IO. Every quantity is an integer with its
 * unit last in its name; money is MinorUnits; every expected failure is one of a closed union
 * of kebab-case codes.
 */
import type { CurrencyCode, MinorUnits } from './money.ts';
import type { Result } from './result.ts';

export type PrepaidTokenSystem = 'openpaygo' | 'sts';

/** An STS token is 20 decimal digits, shown in five groups of four. */
export const STS_TOKEN_DIGITS = 20;

/**
 * What identifies an STS meter to a vending service. The service keeps its own record of
 * these; we send ours so that a stale record on either side is caught, not vended against.
 */
export interface StsMeterIdentity {
  /** The meter number printed on the meter: 11 or 13 digits, the last a check digit. */
  readonly meterNumber: string;
  /** SGC: 6 digits, the utility's supply group. */
  readonly supplyGroupCode: string;
  /** KRN: 1 to 9, the revision of the supply group's vending key. */
  readonly keyRevisionNumber: number;
  /** TI: 2 digits, 00 to 99. */
  readonly tariffIndex: string;
}

/**
 * How much to vend. STS electricity credit is counted in tenths of a kWh. A sale by money
 * leaves the conversion to the service's tariff, and its response says how much energy it
 * gave, so the receipt shows the service's figure and never one we worked out separately.
 */
export type StsCredit =
  | { readonly basis: 'energy'; readonly energyDeciKwh: number }
  | { readonly basis: 'money'; readonly amountMinor: MinorUnits; readonly currency: CurrencyCode };

export interface StsVendRequest {
  /**
   * UUIDv7 made on the device and stored with the payment before any network call. A retry
   * sends the same id and gets the same tokens back, so one payment never buys credit twice.
   */
  readonly requestId: string;
  readonly meter: StsMeterIdentity;
  readonly credit: StsCredit;
}

/** The STS token classes we expect from a vending service, by what they do. */
export type StsTokenKind =
  | 'credit-electricity'
  | 'key-change-first'
  | 'key-change-second'
  | 'clear-credit'
  | 'clear-tamper'
  | 'set-maximum-power';

export interface StsToken {
  /** Exactly STS_TOKEN_DIGITS decimal digits, without spaces. */
  readonly digits: string;
  readonly kind: StsTokenKind;
}

export interface StsVendResponse {
  readonly requestId: string;
  /** The service's own reference for the sale, printed on the receipt and used in disputes. */
  readonly vendReference: string;
  /**
   * In the order the customer must enter them. When the service has a key change due for the
   * meter, its two key change tokens come before the credit token.
   */
  readonly tokens: readonly StsToken[];
  /** The energy the credit token carries, in tenths of a kWh. */
  readonly energyDeciKwh: number;
  /** What the service charged, when the sale was by money. */
  readonly charged?: { readonly amountMinor: MinorUnits; readonly currency: CurrencyCode };
  /** True when this answers a retry of a request the service had already vended. */
  readonly replayed: boolean;
  /** The service's clock, ISO 8601: evidence for the receipt, never used to order anything. */
  readonly issuedAt: string;
}

/** Every way a vend can be refused, as a closed list (the comments say when). */
export const stsVendErrors = [
  /** Not 11 or 13 digits, or the check digit is wrong. */
  'meter-number-malformed',
  'supply-group-code-malformed',
  'key-revision-out-of-range',
  'tariff-index-malformed',
  'credit-must-be-positive',
  /** Above the largest credit one STS token can carry, or the service's own limit. */
  'credit-too-large',
  'meter-not-found',
  /** The service's record of the SGC, KRN or TI differs from ours: refresh ours, then retry. */
  'meter-details-mismatch',
  /** The utility has stopped sales to this meter. */
  'meter-blocked',
  /** The meter's key has expired and the service cannot issue the key change itself. */
  'meter-key-expired',
  /** The same requestId came with a different meter or credit: a bug on our side. */
  'request-id-reused',
  /** No answer, or a timeout: retry later with the same requestId. */
  'vending-service-unavailable',
  /** Any other refusal; the adapter logs the service's own code and message. */
  'vending-service-refused',
] as const;

export type StsVendError = (typeof stsVendErrors)[number];

/**
 * One implementation per vending service, in the hub. It must be safe to call again with the
 * same request after any failure, including a timeout after the service had vended.
 */
export interface StsVendingService {
  vend(request: StsVendRequest): Promise<Result<StsVendResponse, StsVendError>>;
}
