/**
 * Every error code, in closed lists: the hub's answers (`{ error, message }`) and the device's
 * own refusals. The client shows each in the user's words from one table per language, typed
 * by these lists, so a code without words in every language fails the typecheck. Flag reasons
 * (why a stored fact is held for review) are their own list, `flagReasons` in protocol.ts.
 */

import { stsVendErrors, type StsVendError } from './prepaid-tokens.ts';
import type { BillError } from './tariff/lines.ts';

/** Why the bill engine could not price a usage (POST /api/quote answers with these). */
export const billErrorCodes = [
  'no-tariff-in-effect',
  'kwh-required',
  'registers-required',
  'unknown-register',
  'prior-usage-required',
  'history-required',
  'no-rate-for-month',
  'currency-mismatch',
  'amount-out-of-range',
] as const satisfies readonly BillError[];

/** Fails the typecheck when the engine gains a failure this list does not name. */
const everyBillError: Record<Exclude<BillError, (typeof billErrorCodes)[number]>, never> = {};
void everyBillError;

/** Codes the hub answers a refused request with. */
export const hubErrorCodes = [
  'invalid-request',
  'request-too-large',
  'unsupported-encoding',
  'not-found',
  'internal-error',
  'not-signed-in',
  'not-allowed',
  'sign-in-failed',
  'sign-in-locked',
  'too-many-requests',
  'card-number-refused',
  'second-factor-failed',
  'second-factor-expired',
  'second-factor-exists',
  'no-route-assigned',
  'device-not-enrolled',
  'device-revoked',
  'device-already-enrolled',
  'device-not-found',
  'device-mismatch',
  'enrolment-code-invalid',
  'signature-invalid',
  'fact-hash-mismatch',
  'chain-gap',
  'chain-broken',
  'fact-conflict',
  'tariff-not-found',
  'invalid-tariff',
  'tariff-version-conflict',
  ...billErrorCodes,
] as const;

export type HubErrorCode = (typeof hubErrorCodes)[number];

/** Codes the device gives for what it refuses or could not do, before or without the hub. */
export const deviceErrorCodes = [
  'hub-unreachable',
  'hub-failed',
  'hub-bad-answer',
  'pull-page-corrupt',
  'hub-key-changed',
  'audit-head-forged',
  'hub-history-rewritten',
  'password-sign-in-failed',
  'offline-first-sign-in',
  'payment-details-invalid',
  'offline-unlock-expired',
  'offline-pin-locked',
  'vault-unreadable',
  'unsynced-facts',
  'nothing-to-export',
  'risk-cap-cash',
  'risk-cap-days-offline',
  'record-invalid',
  'amount-not-a-number',
  'amount-too-precise',
  'amount-too-large',
  'amount-must-be-positive',
  'amount-above-limit',
  'tendered-less-than-amount',
  'possible-duplicate',
  'payment-not-found',
  'already-voided',
  'receipt-number-invalid',
  'unchanged',
  'account-not-found',
  'reading-not-a-number',
  'reading-in-future',
  'reading-implausible',
  'no-previous-reading',
  'reading-not-after-previous',
  'reading-went-backwards',
  'digits-out-of-range',
  'no-tariff-on-device',
  'bill-not-computed',
  'not-prepaid',
  'no-lease',
  'lease-used-up',
  'too-many-tokens',
  'energy-not-in-units',
  'meter-key-invalid',
  'energy-not-priced',
  'amount-buys-no-energy',
  'credit-not-available',
  'transfer-to-same-account',
  'transfer-target-not-found',
  'count-total-mismatch',
  'handover-out-of-order',
  'handover-expected-mismatch',
  'variance-unexplained',
  'unknown',
] as const;

export type DeviceErrorCode = (typeof deviceErrorCodes)[number];

/** A vending service's refusals (shared/prepaid-tokens.ts), which a receipt shows in words. */
export type ErrorCode = HubErrorCode | DeviceErrorCode | StsVendError;

const known: ReadonlySet<string> = new Set<string>([
  ...hubErrorCodes,
  ...deviceErrorCodes,
  ...stsVendErrors,
]);

export function isErrorCode(code: string): code is ErrorCode {
  return known.has(code);
}
