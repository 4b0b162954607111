/**
 * What a payment fact does, decided in one place for every path that asks: ingest (its flag and
 * whether it counts), the void that may reverse it, the integrity check, and the supervisor's
 * collections (the state each payment is listed in, and which totals count it).
 */
import { duplicateOf, type PaymentSeen } from '../conflicts.ts';
import type { FactOf } from '../facts.ts';
import { MAX_ABS_MINOR, type CurrencyCode } from '../money.ts';
import { cashPaymentFlag } from '../payments.ts';
import { appliesUnder, type FlagReason } from '../protocol.ts';
import { topUpFlag, topUpSells, type TopUpContext } from './topup.ts';

/**
 * How many of an account's latest unvoided payments, by arrival at the hub, the duplicate rule
 * compares an arriving payment with: a bound on the work per payment, and part of the rule
 * (a payment matching only an older one is not flagged).
 */
export const RECENT_PAYMENTS_CHECKED = 50;

export interface PaymentContext {
  /** A flag the fact got before its kind's rules (shared/rules/fact.ts), if any. */
  readonly provenance: FlagReason | undefined;
  /** The account the payment names, as the hub holds it now; undefined if unknown. */
  readonly account: { readonly currency: CurrencyCode; readonly balanceMinor: number } | undefined;
  /** The most one payment may carry in the payment's currency. */
  readonly maxAmountMinor: number;
  /** The account's latest unvoided payments, at most RECENT_PAYMENTS_CHECKED. */
  readonly recent: readonly PaymentSeen[];
  /** For a top-up: the account's meter, its leases and sales (undefined: not prepaid). */
  readonly topUp?: TopUpContext | undefined;
}

export interface PaymentDecision {
  readonly reason: FlagReason | undefined;
  /** Whether the payment lowers the balance and pays bills. */
  readonly counts: boolean;
  /** For a top-up: whether its energy is sold (charged to the account, its tokens kept). */
  readonly sells: boolean;
}

/**
 * The first rule a payment breaks names its flag; it counts unless the flag says otherwise. A
 * top-up sells its energy when the payment counts and its tokens and price check out (or only
 * its price differs: the customer holds the tokens and was told that price).
 */
export function decidePayment(fact: FactOf<'payment'>, context: PaymentContext): PaymentDecision {
  const topUp = fact.body.topUp;
  const sale = topUp
    ? topUpFlag(
        topUp,
        { amountMinor: fact.body.amountMinor, saleDate: fact.recordedAt.slice(0, 10) },
        context.topUp ?? NOT_PREPAID,
      )
    : undefined;
  const reason = paymentFlag(fact, context, sale);
  const counts = appliesUnder(reason);
  return { reason, counts, sells: topUp !== undefined && counts && topUpSells(sale) };
}

const NOT_PREPAID: TopUpContext = {
  meter: undefined,
  leased: () => false,
  used: () => false,
  versions: [],
  tariffId: '',
  bought: { monthWh: 0, yearWh: 0 },
};

function paymentFlag(
  fact: FactOf<'payment'>,
  context: PaymentContext,
  sale: FlagReason | undefined,
): FlagReason | undefined {
  const { account } = context;
  const body = fact.body;
  if (context.provenance !== undefined) return context.provenance;
  if (!account) return 'account-not-found';
  if (account.currency !== body.currency) return 'currency-mismatch';
  if (body.amountMinor > context.maxAmountMinor) return 'amount-above-limit';
  if (Math.abs(account.balanceMinor - body.amountMinor) > MAX_ABS_MINOR)
    return 'balance-out-of-range';
  const tender = body.method === 'cash' ? cashPaymentFlag(body) : positiveAmount(body.amountMinor);
  if (tender !== undefined) return tender;
  if (sale !== undefined) return sale;
  const arriving: PaymentSeen = {
    factId: fact.id,
    accountId: body.accountId,
    amountMinor: body.amountMinor,
    hlc: fact.hlc,
  };
  if (duplicateOf(arriving, context.recent)) return 'possible-duplicate';
  // The payer's SMS is not the provider's word: counted, and on the review list until the
  // provider's confirmation is matched to it (issue 16).
  return body.method === 'mobile-money' ? 'mobile-money-unconfirmed' : undefined;
}

function positiveAmount(amountMinor: number): FlagReason | undefined {
  return amountMinor > 0 ? undefined : 'amount-must-be-positive';
}

export { paymentStanding, paymentStandings, type PaymentStanding } from '../payments.ts';

/** Whether a payment counts against its account, from its flag: the same rule as at ingest. */
export function paymentCounts(reason: FlagReason | null): boolean {
  return appliesUnder(reason);
}
