/**
 * Charges after energy, each one line, in the order the tariff writes them. Percentages take
 * the sum of named earlier lines as their base ("energy" names every energy line), and every
 * line is worked out exactly, then rounded once by its own rule. A discount never takes a bill
 * below zero. Amounts (a base, a discount's cap, a minimum) count at what the tariff's lines
 * count for: rounded, or exact when the tariff's lines are exact (see `counted`).
 */
import { lineLabelFields, nameOf } from './line-names.ts';
import { assertNever } from '../assert.ts';
import type { CurrencyCode, RoundingRule } from '../money.ts';
import { energyExact, kwhText, minorPerMajor, rate, RATE_SCALE, type Wh } from './decimal.ts';
import type { Share } from './energy.ts';
import {
  compareExact,
  exact,
  EXACT_ZERO,
  maxExact,
  minExact,
  negateExact,
  subtractExact,
  sumExact,
  type Exact,
} from './exact.ts';
import { counted, priceLine, type BillFailure, type BillLine, type PricedLine } from './lines.ts';
import type { Charge, LineAmounts } from './schema.ts';

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
  readonly lineAmounts: LineAmounts;
  readonly idSuffix: string;
}

/** A fixed amount in major units, scaled by the share of the period, exactly. */
function fixedExact(amount: string, share: Share, currency: CurrencyCode): Exact {
  return exact(
    rate(amount) * minorPerMajor(currency) * BigInt(share.numerator),
    RATE_SCALE * BigInt(share.denominator),
  );
}

/** percent % of an amount, exactly. */
function percentExact(base: Exact, percent: string): Exact {
  return exact(base.numerator * rate(percent), base.denominator * 100n * RATE_SCALE);
}

/** What the named earlier lines count for together (all of them when none are named). */
function baseOf(
  lines: readonly PricedLine[],
  names: readonly string[] | undefined,
  suffix: string,
): Exact {
  const wanted = names === undefined ? undefined : new Set(names.map((name) => name + suffix));
  const included = lines.filter(({ line }) => {
    if (wanted === undefined) return true;
    if (line.kind === 'energy' && names?.includes('energy')) return true;
    if (line.kind === 'allowance' && names?.includes('allowance')) return true;
    return wanted.has(line.id);
  });
  return sumExact(included.map((priced) => priced.exact));
}

export type ChargeOutcome =
  { ok: true; line: PricedLine | undefined } | { ok: false; failure: BillFailure };

type Fields = Omit<BillLine, 'id' | 'rounding' | 'label' | 'labels' | 'amountMinor' | 'exactMinor'>;

interface Maker {
  readonly make: (fields: Fields, value: Exact, quantum?: number) => ChargeOutcome;
  /** What an amount counts for on this tariff's bills, by this charge's rule. */
  readonly count: (value: Exact) => Exact;
}

function discountLine(
  charge: Extract<Charge, { kind: 'discount' }>,
  earlier: readonly PricedLine[],
  input: ChargeInput,
  context: Context,
  maker: Maker,
): ChargeOutcome {
  if (charge.eligibility !== undefined && !input.eligibility.has(charge.eligibility))
    return { ok: true, line: undefined };
  // A discount never takes the bill below zero: it is capped at the total so far.
  const running = maxExact(EXACT_ZERO, baseOf(earlier, undefined, context.idSuffix));
  const asked = maker.count(
    charge.percent !== undefined
      ? percentExact(baseOf(earlier, charge.of, context.idSuffix), charge.percent)
      : fixedExact(charge.amount ?? '0', input.share, context.currency),
  );
  const wanted =
    charge.capAmount === undefined
      ? asked
      : minExact(asked, maker.count(fixedExact(charge.capAmount, input.share, context.currency)));
  const off = minExact(running, maxExact(EXACT_ZERO, wanted));
  return maker.make(
    { kind: 'discount', ...(charge.percent === undefined ? {} : { rate: charge.percent }) },
    negateExact(off),
  );
}

function minimumLine(
  charge: Extract<Charge, { kind: 'minimum' }>,
  earlier: readonly PricedLine[],
  input: ChargeInput,
  context: Context,
  maker: Maker,
): ChargeOutcome {
  const minimum = maker.count(fixedExact(charge.amount, input.share, context.currency));
  const subtotal = baseOf(earlier, charge.of, context.idSuffix);
  if (compareExact(subtotal, minimum) >= 0) return { ok: true, line: undefined };
  return maker.make({ kind: 'minimum' }, subtractExact(minimum, subtotal));
}

/** How this charge's line is made and what amounts count for, both by the charge's own rule. */
function makerFor(charge: Charge, context: Context): Maker {
  const rule = charge.rounding ?? context.rounding;
  const id = charge.id + context.idSuffix;
  return {
    make: (fields, value, quantum) => ({
      ok: true,
      line: priceLine(
        {
          id,
          ...lineLabelFields(nameOf(charge.label, { en: charge.id })),
          rounding: rule,
          ...fields,
        },
        value,
        context.lineAmounts,
        quantum,
      ),
    }),
    count: (value) => counted(value, rule, context.lineAmounts),
  };
}

/** A fixed amount chosen by the first step that covers all the bill's kWh, free ones too. */
function steppedFixedLine(
  charge: Extract<Charge, { kind: 'fixed-by-kwh' }>,
  input: ChargeInput,
  context: Context,
  maker: Maker,
): ChargeOutcome {
  const step = charge.steps.find(
    (candidate) =>
      candidate.upToKwh === null || input.totalWh <= Math.round(candidate.upToKwh * 1000),
  );
  return maker.make(
    { kind: 'fixed' },
    fixedExact(step?.amount ?? '0', input.share, context.currency),
  );
}

/** A per-kWh charge at the rate of the latest row that has started by the bill's month. */
function datedRateLine(
  charge: Extract<Charge, { kind: 'per-kwh-dated' }>,
  index: number,
  input: ChargeInput,
  context: Context,
  maker: Maker,
): ChargeOutcome {
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
  return maker.make(
    { kind: 'per-kwh', kwh: kwhText(input.chargedWh), rate: row.rate },
    energyExact(input.chargedWh, rate(row.rate), context.currency),
  );
}

export function chargeLine(
  charge: Charge,
  index: number,
  earlier: readonly PricedLine[],
  input: ChargeInput,
  context: Context,
): ChargeOutcome {
  const maker = makerFor(charge, context);
  switch (charge.kind) {
    case 'fixed':
      return maker.make(
        { kind: 'fixed' },
        fixedExact(charge.amount, input.share, context.currency),
      );
    case 'fixed-by-kwh':
      return steppedFixedLine(charge, input, context, maker);
    case 'per-kwh':
      return maker.make(
        { kind: 'per-kwh', kwh: kwhText(input.chargedWh), rate: charge.rate },
        energyExact(input.chargedWh, rate(charge.rate), context.currency),
      );
    case 'per-kwh-dated':
      return datedRateLine(charge, index, input, context, maker);
    case 'percentage':
      return maker.make(
        { kind: charge.group, rate: charge.percent },
        percentExact(baseOf(earlier, charge.of, context.idSuffix), charge.percent),
        charge.quantumMinor,
      );
    case 'discount':
      return discountLine(charge, earlier, input, context, maker);
    case 'minimum':
      return minimumLine(charge, earlier, input, context, maker);
    default:
      return assertNever(charge);
  }
}
