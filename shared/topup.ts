/**
 * Prepaid top-ups: money to energy by the account's tariff, and the OpenPAYGO tokens that carry
 * the energy to the meter, made on the device with no network (docs/prepaid-tokens.md, "Tokens
 * made on the tablet"). One module for both sides: the tablet makes a purchase and its tokens
 * with these functions, and the hub checks what arrives with the same ones.
 *
 * Counts are leased. A meter takes a token only at a count near its last one, so one device at
 * a time holds a lease of LEASE_COUNTS counts of a meter's chain, granted by the hub; the device
 * makes tokens at the counts of its lease, in order, and the hub checks at ingest that each
 * count was leased to that device and never used before.
 *
 * Guarantees: pure, no IO and no clock; energy in whole Wh, money in minor units; a purchase
 * never costs more than the money paid.
 */
import { generateOpenPaygoToken, FORMAT_RULES } from './openpaygo/index.ts';
import { minor, type MinorUnits } from './money.ts';
import { err, ok, type Result } from './result.ts';
import { computeBill } from './tariff/engine.ts';
import { kwhText, wh } from './tariff/decimal.ts';
import { energyForMoney } from './tariff/prepaid.ts';
import type { Tariff } from './tariff/schema.ts';
import { saleMonth, type BoughtBefore, type TokenLease, type TopUpToken } from './token-lease.ts';

export * from './token-lease.ts';

/** The most tokens one top-up may need: a purchase beyond it is refused on the device. */
export const MAX_TOKENS_PER_TOP_UP = 8;
/** The largest value one standard OpenPAYGO Add Time token carries. */
export const MAX_TOKEN_VALUE = FORMAT_RULES.standard.maxActivationValue;
export type PurchaseError =
  'amount-must-be-positive' | 'no-tariff-on-device' | 'energy-not-priced' | 'amount-buys-no-energy';

export interface Purchase {
  readonly energyWh: number;
  readonly costMinor: MinorUnits;
  /** What is left of the money: kept on the account as credit. */
  readonly creditMinor: MinorUnits;
  readonly tariffVersion: number;
}

/** The versions in effect over the sale's month, or undefined when part of it has no price. */
function versionsFor(
  versions: readonly Tariff[],
  tariffId: string,
  period: { from: string; to: string },
): Tariff[] | undefined {
  const inEffect = versions.filter((v) => v.id === tariffId && v.effectiveFrom < period.to);
  return inEffect.some((v) => v.effectiveFrom <= period.from) ? inEffect : undefined;
}

function usageOf(period: { from: string; to: string }, bought: BoughtBefore) {
  return {
    period,
    boughtKwh: kwhText(wh(bought.monthWh)),
    priorKwhThisYear: kwhText(wh(bought.yearWh)),
  };
}

/**
 * What an amount buys on the day of the sale: the energy in whole units of the meter (rounded
 * down; the rest of the money stays as credit), and what that energy costs by the tariff, the
 * tiers counted from what was bought before in the month (and year).
 */
export function purchaseFor(input: {
  readonly versions: readonly Tariff[];
  readonly tariffId: string;
  readonly amountMinor: MinorUnits;
  readonly saleDate: string;
  readonly bought: BoughtBefore;
  readonly unitWh: number;
}): Result<Purchase, PurchaseError> {
  if (input.amountMinor <= 0) return err('amount-must-be-positive');
  const period = saleMonth(input.saleDate);
  const versions = versionsFor(input.versions, input.tariffId, period);
  if (!versions) return err('no-tariff-on-device');
  const bought = energyForMoney(versions, input.amountMinor, usageOf(period, input.bought));
  if (!bought.ok) return err('energy-not-priced');
  const steps = Math.round(Number(bought.value.kwh) * 1000);
  const energyWh = Math.floor(steps / input.unitWh) * input.unitWh;
  if (energyWh <= 0) return err('amount-buys-no-energy');
  const cost = costOfEnergy({ ...input, energyWh });
  if (cost === undefined) return err('energy-not-priced');
  return ok({
    energyWh,
    costMinor: cost.costMinor,
    creditMinor: minor(input.amountMinor - cost.costMinor),
    tariffVersion: cost.tariffVersion,
  });
}

/**
 * What energy costs on the day of a sale: how much the month's bill grows by when it is added
 * after the energy bought before. The hub prices what arrives with this; the tablet too.
 */
export function costOfEnergy(input: {
  readonly versions: readonly Tariff[];
  readonly tariffId: string;
  readonly energyWh: number;
  readonly saleDate: string;
  readonly bought: BoughtBefore;
}): { costMinor: MinorUnits; tariffVersion: number } | undefined {
  const period = saleMonth(input.saleDate);
  const versions = versionsFor(input.versions, input.tariffId, period);
  if (!versions) return undefined;
  const billOf = (monthWh: number) =>
    computeBill(versions, {
      period,
      kwh: kwhText(wh(monthWh)),
      priorKwhThisYear: kwhText(wh(input.bought.yearWh)),
    });
  const before = billOf(input.bought.monthWh);
  const after = billOf(input.bought.monthWh + input.energyWh);
  if (!before.ok || !after.ok) return undefined;
  return {
    costMinor: minor(after.value.totalMinor - before.value.totalMinor),
    tariffVersion: Math.max(...versions.map((v) => v.version)),
  };
}

/** A token value in the meter's units split into tokens one can carry, largest first. */
export function splitValue(units: number): number[] {
  const values: number[] = [];
  for (let left = units; left > 0; left -= MAX_TOKEN_VALUE)
    values.push(Math.min(left, MAX_TOKEN_VALUE));
  return values;
}

export type TokenError =
  'lease-used-up' | 'too-many-tokens' | 'energy-not-in-units' | 'meter-key-invalid';

/**
 * The Add Time tokens that carry an energy to the meter, at the next counts of the lease after
 * `lastCount` (the highest count this device used in it, or one below the lease).
 */
export function makeTokens(
  lease: TokenLease,
  lastCount: number,
  energyWh: number,
): Result<TopUpToken[], TokenError> {
  const { meter } = lease;
  if (energyWh <= 0 || energyWh % meter.unitWh !== 0) return err('energy-not-in-units');
  const values = splitValue(energyWh / meter.unitWh);
  if (values.length > MAX_TOKENS_PER_TOP_UP) return err('too-many-tokens');
  const tokens: TopUpToken[] = [];
  let last = Math.max(lastCount, lease.fromCount - 1);
  for (const value of values) {
    const made = generateOpenPaygoToken({
      device: {
        secretKeyHex: meter.secretKeyHex,
        startingCode: meter.startingCode,
        restrictedDigitSet: meter.restrictedDigitSet,
      },
      lastCount: last,
      command: { kind: 'add-time', value },
      extended: false,
    });
    if (!made.ok) return err('meter-key-invalid');
    if (made.value.count >= lease.toCount) return err('lease-used-up');
    tokens.push({ count: made.value.count, value, digits: made.value.token });
    last = made.value.count;
  }
  return ok(tokens);
}
