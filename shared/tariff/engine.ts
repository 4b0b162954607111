/**
 * The bill engine: a tariff (or the tariff versions in force during the period) and a
 * period's usage in, bill lines and a total out. Pure and deterministic: the tablet printing
 * a spot bill offline and the hub checking it run this same code and get the same number to
 * the minor unit.
 *
 * When the tariff changes inside the period, the period is split at each version's effective
 * date and each part is billed with its version: the kWh, the monthly thresholds, the
 * allowance and the fixed amounts are shared out by days. Annual tiers are not shared out:
 * the later part's kWh simply follow the earlier part's in the year.
 *
 * The total is the sum of the lines. Each line is rounded once, unless the tariff's lines are
 * exact: then the bill is rounded once, at the total, and a rounding line shows what the
 * rounded lines shown leave over (`lineRoundingLine`).
 */
import { ENGINE_NAMES, lineLabelFields, nameOf } from './line-names.ts';
import { err, ok, type Result } from '../result.ts';
import { roundQuotient, type MinorUnits, type RoundingRule } from '../money.ts';
import { kwhText, parseKwh, wh, type Wh } from './decimal.ts';
import { energyLines, firstTierLeft, WHOLE, type Share } from './energy.ts';
import { chargeLine } from './charges.ts';
import {
  billMinor,
  BillOutOfRange,
  EXACT_ZERO,
  MAX_BILL_MINOR,
  roundExact,
  sumExact,
} from './exact.ts';
import {
  priceLine,
  type BillFailure,
  type BillLine,
  type BillResult,
  type PricedLine,
} from './lines.ts';
import { usageSchema, type Tariff, type Usage, type UsageInput } from './schema.ts';

const DAY_MS = 86_400_000;

function days(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

function previousDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

function failure(
  error: BillFailure['error'],
  field: string,
  message: string,
): { ok: false; error: BillFailure } {
  return err({ error, field, message });
}

interface Measured {
  readonly totalWh: Wh;
  readonly registers: Map<string, Wh>;
  readonly priorYearWh: Wh;
  readonly averageWh: Wh | undefined;
}

function measure(tariff: Tariff, usage: Usage): Result<Measured, BillFailure> {
  const registers = new Map<string, Wh>();
  for (const [name, value] of Object.entries(usage.registers ?? {}))
    registers.set(name, parseKwh(value) ?? wh(0));
  const timeOfUse = tariff.energy.find((component) => component.kind === 'time-of-use');
  if (timeOfUse && registers.size === 0)
    return failure('registers-required', 'registers', 'this tariff bills time-of-use registers');
  if (timeOfUse) {
    const known = new Set(timeOfUse.periods.map((period) => period.register));
    const unknown = [...registers.keys()].find((name) => !known.has(name));
    if (unknown)
      return failure(
        'unknown-register',
        `registers.${unknown}`,
        `the tariff has no register "${unknown}"`,
      );
  }
  const fromRegisters = [...registers.values()].reduce((total, value) => total + value, 0);
  const totalWh =
    usage.kwh !== undefined
      ? parseKwh(usage.kwh)
      : registers.size > 0
        ? wh(fromRegisters)
        : undefined;
  if (totalWh === undefined)
    return failure('kwh-required', 'kwh', 'give the kWh used, or the registers');
  const annual = tariff.energy.some(
    (component) => component.kind === 'blocks' && component.period === 'year',
  );
  if (annual && usage.priorKwhThisYear === undefined) {
    return failure(
      'prior-usage-required',
      'priorKwhThisYear',
      'annual tiers need the kWh already billed this year',
    );
  }
  let averageWh: Wh | undefined;
  for (const component of tariff.energy) {
    if (component.kind !== 'bands' || component.basis.kind !== 'average') continue;
    const months = component.basis.months;
    const history: number[] = (usage.history ?? [])
      .slice(-months)
      .map((value) => parseKwh(value) ?? 0);
    if (history.length < months)
      return failure(
        'history-required',
        'history',
        `band choice needs the last ${months} months of kWh`,
      );
    averageWh = wh(Math.floor(history.reduce((total, value) => total + value, 0) / months));
  }
  return ok({
    totalWh,
    registers,
    priorYearWh: parseKwh(usage.priorKwhThisYear ?? 0) ?? wh(0),
    averageWh,
  });
}

interface Part {
  readonly tariff: Tariff;
  readonly measured: Measured;
  readonly share: Share;
  readonly idSuffix: string;
}

function billPart(part: Part, usage: Usage, month: string): Result<PricedLine[], BillFailure> {
  const { tariff, measured, share } = part;
  const eligibility = new Set(usage.eligibility);
  const lifeline =
    tariff.lifeline !== undefined && eligibility.has(tariff.lifeline.eligibility)
      ? tariff.lifeline
      : undefined;
  const freeWh = lifeline
    ? wh(
        Math.floor(
          (Math.round(lifeline.allowanceKwh * 1000) * share.numerator) / share.denominator,
        ),
      )
    : wh(0);
  const input = {
    ...measured,
    freeWh,
    freeFrom: lifeline?.takenFrom ?? ('lowest' as const),
    share,
  };
  const lines: PricedLine[] = [];
  tariff.energy.forEach((component, index) => {
    const idPrefix = index === 0 ? 'energy-' : `energy-${index + 1}-`;
    for (const priced of energyLines(component, input, {
      currency: tariff.currency,
      rounding: tariff.rounding,
      lineAmounts: tariff.lineAmounts,
      idPrefix,
    })) {
      lines.push({ ...priced, line: { ...priced.line, id: priced.line.id + part.idSuffix } });
    }
  });
  const free = wh(Math.min(freeWh, measured.totalWh));
  if (lifeline && free > 0) {
    const allowance = {
      id: `allowance${part.idSuffix}`,
      kind: 'allowance' as const,
      ...lineLabelFields(nameOf(lifeline.label, ENGINE_NAMES.lifeline)),
      kwh: kwhText(free),
      rounding: tariff.rounding,
    };
    lines.push(priceLine(allowance, EXACT_ZERO, tariff.lineAmounts));
  }
  const chargeInput = {
    chargedWh: wh(measured.totalWh - free),
    totalWh: measured.totalWh,
    month,
    eligibility,
    share,
  };
  for (const [index, charge] of tariff.charges.entries()) {
    const outcome = chargeLine(charge, index, lines, chargeInput, {
      currency: tariff.currency,
      rounding: tariff.rounding,
      lineAmounts: tariff.lineAmounts,
      idSuffix: part.idSuffix,
    });
    if (!outcome.ok) return err(outcome.failure);
    if (outcome.line) lines.push(outcome.line);
  }
  return ok(lines);
}

/** Shares `total` out over `weights` exactly: floors, with the remainder on the last part. */
function shareOut(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((weight) => Math.floor((total * weight) / sum));
  parts[parts.length - 1] = total - parts.slice(0, -1).reduce((a, b) => a + b, 0);
  return parts;
}

/** A stretch of the period billed with one tariff version. */
interface Span {
  readonly tariff: Tariff;
  readonly from: string;
  readonly to: string;
}

/** The versions in force in the period, each with the days it covers. */
function partsOfPeriod(versions: readonly Tariff[], usage: Usage): Span[] {
  const sorted = [...versions].sort((a, b) =>
    a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : 0,
  );
  const parts: Span[] = [];
  sorted.forEach((tariff, index) => {
    const next = sorted[index + 1]?.effectiveFrom;
    const from =
      tariff.effectiveFrom > usage.period.from ? tariff.effectiveFrom : usage.period.from;
    const to = next !== undefined && next < usage.period.to ? next : usage.period.to;
    if (from < to) parts.push({ tariff, from, to });
  });
  return parts;
}

/**
 * The one place a bill's total is rounded to minor units: the exact sum of what the lines count
 * for, rounded once by the tariff's rule. When lines are rounded they count for their rounded
 * amounts, the sum is whole and nothing changes. When lines are exact, the rounded amounts they
 * show may not add up to it; the line returned shows the difference, so the lines always add up
 * to the total. Absent when nothing changes.
 */
function lineRoundingLine(priced: readonly PricedLine[], rule: RoundingRule): BillLine | undefined {
  const total = roundExact(sumExact(priced.map((one) => one.exact)), rule);
  const shown = sumMinor(priced.map((one) => one.line.amountMinor));
  if (BigInt(total) === shown) return undefined;
  return {
    id: 'line-rounding',
    kind: 'rounding',
    ...lineLabelFields(ENGINE_NAMES.lineRounding),
    amountMinor: billMinor(BigInt(total) - shown),
    rounding: rule,
  };
}

/** The line that rounds the total to the tariff's quantum; absent when nothing changes. */
function totalRoundingLine(
  lines: readonly BillLine[],
  rounding: NonNullable<Tariff['totalRounding']>,
): BillLine | undefined {
  const sum = sumMinor(lines.map((line) => line.amountMinor));
  const quantum = BigInt(rounding.quantumMinor);
  const rounded = roundQuotient(sum, quantum, rounding.rule) * quantum;
  if (rounded === sum) return undefined;
  return {
    id: 'rounding',
    kind: 'rounding',
    ...lineLabelFields(ENGINE_NAMES.totalRounding),
    amountMinor: billMinor(rounded - sum),
    rounding: rounding.rule,
  };
}

/** A sum of amounts, exactly, whatever their number. */
function sumMinor(amounts: readonly MinorUnits[]): bigint {
  return amounts.reduce((total, amount) => total + BigInt(amount), 0n);
}

/** The usage as the schema reads it; what it cannot read is refused at the first field named. */
function parseUsage(usageInput: UsageInput): Result<Usage, BillFailure> {
  const parsedUsage = usageSchema.safeParse(usageInput);
  if (!parsedUsage.success) {
    const issue = parsedUsage.error.issues[0];
    return failure('kwh-required', issue?.path.join('.') ?? '', issue?.message ?? 'invalid usage');
  }
  return ok(parsedUsage.data);
}

/**
 * The spans of the period with the first of them. Refused when no version is in force from the
 * period's start, or when the versions do not share a currency: one bill has one currency.
 */
function spansInForce(
  versions: Tariff | readonly Tariff[],
  usage: Usage,
): Result<{ first: Span; spans: Span[] }, BillFailure> {
  const list = Array.isArray(versions) ? versions : [versions as Tariff];
  const spans = partsOfPeriod(list, usage);
  const first = spans[0];
  if (!first)
    return failure(
      'no-tariff-in-effect',
      'period',
      `no tariff version is in effect from ${usage.period.from}`,
    );
  if (spans.some((span) => span.tariff.currency !== first.tariff.currency)) {
    return failure('currency-mismatch', 'tariff', 'the versions of a tariff must share a currency');
  }
  return ok({ first, spans });
}

/**
 * Prices each span with its own version. The kWh and each register are shared out by days; the
 * kWh billed this year grow span by span, so annual tiers run on across a change of version.
 */
function billSpans(
  spans: readonly Span[],
  usage: Usage,
  whole: Measured,
): Result<PricedLine[], BillFailure> {
  const totalDays = days(usage.period.from, usage.period.to);
  const weights = spans.map((span) => days(span.from, span.to));
  const energyShares = shareOut(whole.totalWh, weights);
  const registerShares = new Map(
    [...whole.registers].map(([name, value]) => [name, shareOut(value, weights)]),
  );
  const month = previousDay(usage.period.to).slice(0, 7);
  const priced: PricedLine[] = [];
  let priorYearWh = whole.priorYearWh;
  for (const [index, span] of spans.entries()) {
    const measured = measure(span.tariff, usage);
    if (!measured.ok) return measured;
    const registers = new Map(
      [...registerShares].map(([name, shares]) => [name, wh(shares[index] ?? 0)]),
    );
    const part: Part = {
      tariff: span.tariff,
      measured: {
        ...measured.value,
        totalWh: wh(energyShares[index] ?? 0),
        registers,
        priorYearWh,
      },
      share:
        spans.length === 1 ? WHOLE : { numerator: weights[index] ?? 0, denominator: totalDays },
      idSuffix: spans.length === 1 ? '' : `@${span.from}`,
    };
    const billed = billPart(part, usage, month);
    if (!billed.ok) return billed;
    priced.push(...billed.value);
    priorYearWh = wh(priorYearWh + part.measured.totalWh);
  }
  return ok(priced);
}

/** The bill's lines: the priced lines, then whatever rounding lines the last version asks for. */
function closingLines(priced: readonly PricedLine[], lastTariff: Tariff): BillLine[] {
  const lines: BillLine[] = priced.map((one) => one.line);
  const lineRounding = lineRoundingLine(priced, lastTariff.rounding);
  if (lineRounding) lines.push(lineRounding);
  const adjustment = lastTariff.totalRounding
    ? totalRoundingLine(lines, lastTariff.totalRounding)
    : undefined;
  if (adjustment) lines.push(adjustment);
  return lines;
}

/**
 * The bill for a usage under a tariff (one version, or every version that may be in force),
 * or a named failure: a usage the tariff cannot bill, or an amount beyond MAX_BILL_MINOR.
 */
export function computeBill(
  versions: Tariff | readonly Tariff[],
  usageInput: UsageInput,
): Result<BillResult, BillFailure> {
  try {
    return billWithinRange(versions, usageInput);
  } catch (error) {
    if (!(error instanceof BillOutOfRange)) throw error;
    return failure(
      'amount-out-of-range',
      'usage',
      `the bill would pass ${MAX_BILL_MINOR} minor units: the usage or the tariff's rates are too large`,
    );
  }
}

function billWithinRange(
  versions: Tariff | readonly Tariff[],
  usageInput: UsageInput,
): Result<BillResult, BillFailure> {
  const usage = parseUsage(usageInput);
  if (!usage.ok) return usage;
  const inForce = spansInForce(versions, usage.value);
  if (!inForce.ok) return inForce;
  const { first, spans } = inForce.value;
  const measuredWhole = measure(first.tariff, usage.value);
  if (!measuredWhole.ok) return measuredWhole;
  const priced = billSpans(spans, usage.value, measuredWhole.value);
  if (!priced.ok) return priced;
  // The latest version's rules round the total, as its quantum already did.
  const lastTariff = spans[spans.length - 1]?.tariff ?? first.tariff;
  const lines = closingLines(priced.value, lastTariff);
  const left = firstTierLeft(
    lastTariff.energy,
    measuredWhole.value.priorYearWh,
    measuredWhole.value.totalWh,
  );
  return ok({
    tariffId: first.tariff.id,
    tariffVersions: spans.map((span) => span.tariff.version),
    currency: first.tariff.currency,
    period: usage.value.period,
    energyKwh: kwhText(measuredWhole.value.totalWh),
    lines,
    totalMinor: billMinor(sumMinor(lines.map((line) => line.amountMinor))),
    ...(left === undefined ? {} : { firstTierKwhLeftThisYear: kwhText(left) }),
  });
}
