/**
 * Charges after energy, each one line, in the order the tariff writes them. Percentages take
 * the sum of named earlier lines as their base ("energy" names every energy line), and every
 * line is rounded once by its own rule. A discount never takes a bill below zero.
 */
import { assertNever } from '../assert.ts';
import {
  minor,
  roundQuotient,
  type CurrencyCode,
  type MinorUnits,
  type RoundingRule,
} from '../money.ts';
import {
  energyAmount,
  kwhText,
  minorPerMajor,
  percentOf,
  rate,
  RATE_SCALE,
  type Wh,
} from './decimal.ts';
import type { Share } from './energy.ts';
import type { BillFailure, BillLine } from './lines.ts';
import type { Charge } from './schema.ts';

export interface ChargeInput {
  readonly chargedWh: Wh;
  /** All of this bill's kWh, free ones too: what chooses a step of a fixed-by-kWh charge. */
  readonly totalWh: Wh;
  /** The bill's month (YYYY-MM), for month-by-month rates. */
  readonly month: string;
  readonly eligibility: ReadonlySet<string>;
  readonly share: Share;
}

interface Context {
  readonly currency: CurrencyCode;
  readonly rounding: RoundingRule;
  readonly idSuffix: string;
}

/** A fixed amount in major units, scaled by the share of the period, rounded once. */
function fixedAmount(
  amount: string,
  share: Share,
  currency: CurrencyCode,
  rule: RoundingRule,
): MinorUnits {
  const numerator = rate(amount) * minorPerMajor(currency) * BigInt(share.numerator);
  return minor(Number(roundQuotient(numerator, RATE_SCALE * BigInt(share.denominator), rule)));
}

function baseOf(
  lines: readonly BillLine[],
  names: readonly string[] | undefined,
  suffix: string,
): MinorUnits {
  const wanted = names === undefined ? undefined : new Set(names.map((name) => name + suffix));
  const included = lines.filter((line) => {
    if (wanted === undefined) return true;
    if (line.kind === 'energy' && names?.includes('energy')) return true;
    if (line.kind === 'allowance' && names?.includes('allowance')) return true;
    return wanted.has(line.id);
  });
  return minor(included.reduce((total, line) => total + line.amountMinor, 0));
}

export type ChargeOutcome =
  { ok: true; line: BillLine | undefined } | { ok: false; failure: BillFailure };

export function chargeLine(
  charge: Charge,
  index: number,
  earlier: readonly BillLine[],
  input: ChargeInput,
  context: Context,
): ChargeOutcome {
  const rule = charge.rounding ?? context.rounding;
  const id = charge.id + context.idSuffix;
  const line = (fields: Omit<BillLine, 'id' | 'rounding' | 'label'>): ChargeOutcome => ({
    ok: true,
    line: { id, label: charge.label ?? charge.id, rounding: rule, ...fields },
  });
  switch (charge.kind) {
    case 'fixed':
      return line({
        kind: 'fixed',
        amountMinor: fixedAmount(charge.amount, input.share, context.currency, rule),
      });
    case 'fixed-by-kwh': {
      const step = charge.steps.find(
        (candidate) =>
          candidate.upToKwh === null || input.totalWh <= Math.round(candidate.upToKwh * 1000),
      );
      return line({
        kind: 'fixed',
        amountMinor: fixedAmount(step?.amount ?? '0', input.share, context.currency, rule),
      });
    }
    case 'per-kwh':
      return line({
        kind: 'per-kwh',
        kwh: kwhText(input.chargedWh),
        rate: charge.rate,
        amountMinor: energyAmount(input.chargedWh, rate(charge.rate), context.currency, rule),
      });
    case 'per-kwh-dated': {
      const row = [...charge.table].reverse().find((candidate) => candidate.from <= input.month);
      if (!row) {
        return {
          ok: false,
          failure: {
            error: 'no-rate-for-month',
            field: `charges.${index}.table`,
            message: `no rate of "${charge.id}" applies in ${input.month}`,
          },
        };
      }
      return line({
        kind: 'per-kwh',
        kwh: kwhText(input.chargedWh),
        rate: row.rate,
        amountMinor: energyAmount(input.chargedWh, rate(row.rate), context.currency, rule),
      });
    }
    case 'percentage': {
      const quantum = BigInt(charge.quantumMinor ?? 1);
      const exact = BigInt(baseOf(earlier, charge.of, context.idSuffix)) * rate(charge.percent);
      const amount = roundQuotient(exact, 100n * RATE_SCALE * quantum, rule) * quantum;
      return line({ kind: charge.group, rate: charge.percent, amountMinor: minor(Number(amount)) });
    }
    case 'discount': {
      if (charge.eligibility !== undefined && !input.eligibility.has(charge.eligibility))
        return { ok: true, line: undefined };
      // A discount never takes the bill below zero: it is capped at the total so far.
      const running = Math.max(0, baseOf(earlier, undefined, context.idSuffix));
      const asked =
        charge.percent !== undefined
          ? percentOf(baseOf(earlier, charge.of, context.idSuffix), rate(charge.percent), rule)
          : fixedAmount(charge.amount ?? '0', input.share, context.currency, rule);
      const cap =
        charge.capAmount === undefined
          ? Infinity
          : fixedAmount(charge.capAmount, input.share, context.currency, rule);
      const wanted = Math.min(asked, cap);
      const off = minor(Math.min(running, Math.max(0, wanted)));
      return line({
        kind: 'discount',
        ...(charge.percent === undefined ? {} : { rate: charge.percent }),
        amountMinor: minor(-off),
      });
    }
    case 'minimum': {
      const minimum = fixedAmount(charge.amount, input.share, context.currency, rule);
      const subtotal = baseOf(earlier, charge.of, context.idSuffix);
      if (subtotal >= minimum) return { ok: true, line: undefined };
      return line({ kind: 'minimum', amountMinor: minor(minimum - subtotal) });
    }
    default:
      return assertNever(charge);
  }
}
