/**
 * What a bill printed at the door does when it reaches the hub, decided in one place. It is
 * issued as printed (the customer was told that amount) unless the hub cannot stand behind it:
 * an unknown account, another currency, a total that is not its lines, a period already
 * billed, an amount beyond the limits, a reading not accepted (implausible or in the future),
 * or no tariff to recompute it with. Otherwise the hub recomputes it with the account's tariff
 * and carries any difference to the next bill (shared/conflicts.ts spotBillCheck).
 */
import { spotBillCheck } from '../conflicts.ts';
import type { FactOf } from '../facts.ts';
import { MAX_ABS_MINOR, type CurrencyCode } from '../money.ts';
import { appliesUnder, type FlagReason } from '../protocol.ts';
import { computeBill } from '../tariff/engine.ts';
import type { Tariff } from '../tariff/schema.ts';

export interface Period {
  readonly from: string;
  readonly to: string;
}

/** Whether two periods share a day: each is from its first day up to, not including, its end. */
export function periodsOverlap(a: Period, b: Period): boolean {
  return a.from < b.to && b.from < a.to;
}

/** Flags of the bill's reading under which the bill is not issued: it waits for a supervisor. */
const readingFlagsThatStopBills: ReadonlySet<FlagReason> = new Set([
  'implausible-reading',
  'reading-in-future',
]);

export interface SpotBillContext {
  readonly provenance: FlagReason | undefined;
  readonly account:
    | {
        readonly currency: CurrencyCode;
        readonly tariffId: string;
        readonly balanceMinor: number;
      }
    | undefined;
  readonly maxAmountMinor: number;
  /** The periods of the account's bills already issued. */
  readonly billed: readonly Period[];
  /** The flag of the reading the bill was printed from, if the hub holds it flagged. */
  readonly readingFlag: FlagReason | undefined;
  /** Every version of the account's tariff the hub holds. */
  readonly versions: readonly Tariff[];
  /** Differences waiting to be billed on the account, by id. */
  readonly waitingCarried: ReadonlyMap<string, number>;
}

export interface SpotBillDecision {
  readonly reason: FlagReason | undefined;
  /** Whether the bill is issued: it raises the balance by its total. */
  readonly issued: boolean;
  /** The amount by the hub's tariff, or null when it could not be computed. */
  readonly hubMinor: number | null;
  readonly differenceMinor: number;
  /** Carried differences the bill billed, which stop waiting. */
  readonly carriedBilled: readonly string[];
  /** Carried lines the hub did not hold as waiting, by their index on the bill. */
  readonly carriedMismatched: readonly number[];
}

const refused = (reason: FlagReason): SpotBillDecision => ({
  reason,
  issued: false,
  hubMinor: null,
  differenceMinor: 0,
  carriedBilled: [],
  carriedMismatched: [],
});

function refusal(
  body: FactOf<'spot-bill'>['body'],
  context: SpotBillContext,
): FlagReason | undefined {
  const { account } = context;
  if (context.provenance !== undefined) return context.provenance;
  if (!account) return 'account-not-found';
  if (body.currency !== account.currency) return 'currency-mismatch';
  const carriedSum = body.carried.reduce((sum, item) => sum + item.amountMinor, 0);
  if (body.totalMinor !== body.amountMinor + carriedSum) return 'bill-total-mismatch';
  if (context.billed.some((period) => periodsOverlap(period, body.period)))
    return 'period-already-billed';
  // A reading the hub does not accept says why the bill is wrong better than its size does.
  if (context.readingFlag !== undefined && readingFlagsThatStopBills.has(context.readingFlag))
    return context.readingFlag;
  if (Math.abs(body.totalMinor) > context.maxAmountMinor) return 'amount-above-limit';
  if (Math.abs(account.balanceMinor + body.totalMinor) > MAX_ABS_MINOR)
    return 'balance-out-of-range';
  return undefined;
}

/** The hub's amount for the bill, with the newest version in effect, or undefined. */
function recompute(
  body: FactOf<'spot-bill'>['body'],
  versions: readonly Tariff[],
): { amountMinor: number; latestVersion: number } | undefined {
  const inEffect = versions.filter((v) => v.effectiveFrom < body.period.to);
  if (!inEffect.some((v) => v.effectiveFrom <= body.period.from)) return undefined;
  const computed = computeBill(inEffect, { period: body.period, kwh: body.kwh });
  if (!computed.ok) return undefined;
  return {
    amountMinor: computed.value.totalMinor,
    latestVersion: Math.max(...inEffect.map((v) => v.version)),
  };
}

export function decideSpotBill(
  fact: FactOf<'spot-bill'>,
  context: SpotBillContext,
): SpotBillDecision {
  const body = fact.body;
  const stop = refusal(body, context);
  if (stop !== undefined || !context.account) return refused(stop ?? 'account-not-found');
  // Recomputed with the account's tariff, whatever tariff the device named; a device that used
  // another tariff cannot have used a stale version of this one.
  const hub = recompute(body, context.versions);
  const printed =
    body.tariffId === context.account.tariffId
      ? body
      : { amountMinor: body.amountMinor, tariffVersion: Number.MAX_SAFE_INTEGER };
  const check = spotBillCheck(printed, hub);
  // A bill the hub cannot recompute is stored for a supervisor and issues nothing.
  if (!appliesUnder(check.flag)) return refused(check.flag ?? 'tariff-not-found');
  const waiting = new Map(context.waitingCarried);
  const carriedBilled: string[] = [];
  const carriedMismatched: number[] = [];
  body.carried.forEach((item, index) => {
    if (waiting.get(item.sourceId) === item.amountMinor) {
      waiting.delete(item.sourceId);
      carriedBilled.push(item.sourceId);
    } else carriedMismatched.push(index);
  });
  return {
    reason: check.flag ?? (carriedMismatched.length > 0 ? 'carried-mismatch' : undefined),
    issued: true,
    hubMinor: hub?.amountMinor ?? null,
    differenceMinor: check.differenceMinor,
    carriedBilled,
    carriedMismatched,
  };
}
