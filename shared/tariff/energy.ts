/**
 * Pricing of energy components. Each component prices the *charged* kWh of a bill: all of
 * them, less a lifeline allowance for an eligible customer, taken from the lowest or the top
 * of the bill's range. Block thresholds are in cumulative kWh: for annual tiers, this bill's
 * kWh start where the kWh already billed this year end.
 */
import {
  ENGINE_NAMES,
  bandOf,
  lineLabelFields,
  nameOf,
  registerOf,
  tierOf,
  type LineName,
} from './line-names.ts';
import type { CurrencyCode, RoundingRule } from '../money.ts';
import { assertNever } from '../assert.ts';
import { energyExact, kwhText, rate, wh, type Wh } from './decimal.ts';
import { priceLine, type PricedLine } from './lines.ts';
import type { EnergyComponent, LineAmounts } from './schema.ts';

/** A fraction by which monthly thresholds and allowances shrink when a tariff covers part of a period. */
export interface Share {
  readonly numerator: number;
  readonly denominator: number;
}

export const WHOLE: Share = { numerator: 1, denominator: 1 };

export function scaleWh(value: number, share: Share): Wh {
  return wh(Math.floor((value * share.numerator) / share.denominator));
}

export interface EnergyInput {
  readonly totalWh: Wh;
  readonly registers: ReadonlyMap<string, Wh>;
  readonly priorYearWh: Wh;
  readonly averageWh: Wh | undefined;
  readonly freeWh: Wh;
  readonly freeFrom: 'lowest' | 'top';
  readonly share: Share;
}

interface Context {
  readonly currency: CurrencyCode;
  readonly rounding: RoundingRule;
  readonly lineAmounts: LineAmounts;
  readonly idPrefix: string;
}

/** What every line of a component shares: the currency, the line rule and the tariff's line amounts. */
interface Pricing {
  readonly currency: CurrencyCode;
  readonly rule: RoundingRule;
  readonly lineAmounts: LineAmounts;
}

function pricing(component: EnergyComponent, context: Context): Pricing {
  return {
    currency: context.currency,
    rule: component.rounding ?? context.rounding,
    lineAmounts: context.lineAmounts,
  };
}

type Block = { upToKwh: number | null; rate: string };

/** Upper bounds in Wh, the last one open (Infinity). */
function bounds(blocks: readonly { upToKwh: number | null }[], share: Share): number[] {
  return blocks.map((block) =>
    block.upToKwh === null ? Infinity : scaleWh(Math.round(block.upToKwh * 1000), share),
  );
}

/** The charged range of this bill, in the component's cumulative coordinates. */
function chargedRange(start: number, input: EnergyInput): [number, number] {
  const free = Math.min(input.freeWh, input.totalWh);
  return input.freeFrom === 'lowest'
    ? [start + free, start + input.totalWh]
    : [start, start + input.totalWh - free];
}

/** One energy line: kWh at one price, exactly, then rounded once unless lines are exact. */
function energyLine(
  id: string,
  name: LineName,
  energy: Wh,
  price: string,
  how: Pricing,
): PricedLine {
  return priceLine(
    {
      id,
      kind: 'energy',
      ...lineLabelFields(name),
      kwh: kwhText(energy),
      rate: price,
      rounding: how.rule,
    },
    energyExact(energy, rate(price), how.currency),
    how.lineAmounts,
  );
}

interface Ladder {
  readonly blocks: readonly Block[];
  readonly range: [number, number];
  readonly share: Share;
  readonly label: LineName;
  readonly idPrefix: string;
}

/** One line for each block the charged range reaches, with the kWh that fall in it. */
function ladderLines(ladder: Ladder, how: Pricing): PricedLine[] {
  const [from, to] = ladder.range;
  const uppers = bounds(ladder.blocks, ladder.share);
  const lines: PricedLine[] = [];
  ladder.blocks.forEach((block, index) => {
    const lower = index === 0 ? 0 : (uppers[index - 1] ?? 0);
    const upper = uppers[index] ?? Infinity;
    const inBlock = Math.max(0, Math.min(to, upper) - Math.max(from, lower));
    if (inBlock === 0) return;
    lines.push(
      energyLine(
        `${ladder.idPrefix}block-${index + 1}`,
        tierOf(ladder.label, index + 1),
        wh(inBlock),
        block.rate,
        how,
      ),
    );
  });
  return lines;
}

function blockLines(
  component: Extract<EnergyComponent, { kind: 'blocks' }>,
  input: EnergyInput,
  context: Context,
): PricedLine[] {
  const annual = component.period === 'year';
  return ladderLines(
    {
      blocks: component.blocks,
      range: chargedRange(annual ? input.priorYearWh : 0, input),
      share: annual ? WHOLE : input.share,
      label: nameOf(component.label, ENGINE_NAMES.energy),
      idPrefix: context.idPrefix,
    },
    pricing(component, context),
  );
}

function bandLines(
  component: Extract<EnergyComponent, { kind: 'bands' }>,
  input: EnergyInput,
  context: Context,
): PricedLine[] {
  const byThisBill = component.basis.kind === 'this-month';
  const chooser = byThisBill ? input.totalWh : (input.averageWh ?? input.totalWh);
  const uppers = bounds(component.bands, byThisBill ? input.share : WHOLE);
  const found = uppers.findIndex((upper) => chooser <= upper);
  const index = found === -1 ? component.bands.length - 1 : found;
  const band = component.bands[index];
  const range = chargedRange(0, input);
  if (!band || range[1] - range[0] === 0) return [];
  const how = pricing(component, context);
  const label = bandOf(nameOf(component.label, ENGINE_NAMES.energy), index + 1);
  const idPrefix = `${context.idPrefix}band-${index + 1}`;
  if ('blocks' in band) {
    return ladderLines(
      { blocks: band.blocks, range, share: input.share, label, idPrefix: `${idPrefix}-` },
      how,
    );
  }
  return [energyLine(idPrefix, label, wh(range[1] - range[0]), band.rate, how)];
}

function timeOfUseLines(
  component: Extract<EnergyComponent, { kind: 'time-of-use' }>,
  input: EnergyInput,
  context: Context,
): PricedLine[] {
  // The allowance is taken from the cheapest registers first (lowest) or the dearest (top).
  const order = [...component.periods].sort((a, b) => {
    const difference = rate(a.rate) - rate(b.rate);
    return Number(input.freeFrom === 'lowest' ? difference : -difference);
  });
  let free: number = Math.min(input.freeWh, input.totalWh);
  const charged = new Map<string, number>();
  for (const period of order) {
    const used = input.registers.get(period.register) ?? 0;
    const taken = Math.min(used, free);
    free -= taken;
    charged.set(period.register, used - taken);
  }
  const how = pricing(component, context);
  return component.periods
    .filter((period) => (charged.get(period.register) ?? 0) > 0)
    .map((period) =>
      energyLine(
        `${context.idPrefix}${period.register}`,
        nameOf(period.label, registerOf(period.register)),
        wh(charged.get(period.register) ?? 0),
        period.rate,
        how,
      ),
    );
}

function flatLines(
  component: Extract<EnergyComponent, { kind: 'flat' }>,
  input: EnergyInput,
  context: Context,
): PricedLine[] {
  const [from, to] = chargedRange(0, input);
  if (to - from === 0) return [];
  return [
    energyLine(
      `${context.idPrefix}flat`,
      nameOf(component.label, ENGINE_NAMES.energy),
      wh(to - from),
      component.rate,
      pricing(component, context),
    ),
  ];
}

export function energyLines(
  component: EnergyComponent,
  input: EnergyInput,
  context: Context,
): PricedLine[] {
  switch (component.kind) {
    case 'flat':
      return flatLines(component, input, context);
    case 'blocks':
      return blockLines(component, input, context);
    case 'bands':
      return bandLines(component, input, context);
    case 'time-of-use':
      return timeOfUseLines(component, input, context);
    default:
      return assertNever(component);
  }
}

/** kWh left at the first annual tier's price after this bill, when the tariff has annual tiers. */
export function firstTierLeft(
  components: readonly EnergyComponent[],
  priorYearWh: Wh,
  totalWh: Wh,
): Wh | undefined {
  const annual = components.find(
    (component) => component.kind === 'blocks' && component.period === 'year',
  );
  if (!annual || annual.kind !== 'blocks') return undefined;
  const first = annual.blocks[0]?.upToKwh;
  if (first === null || first === undefined) return undefined;
  return wh(Math.max(0, Math.round(first * 1000) - priorYearWh - totalWh));
}
