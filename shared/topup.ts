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

/**
 * Counts in one lease: eight Add Time tokens (they take even counts). A meter accepts an Add
 * Time token up to 15 counts below its last one, so tokens of a lease and of the next one still
 * all load when a customer types them out of order.
 */
export const LEASE_COUNTS = 16;
/** The most tokens one top-up may need: a purchase beyond it is refused on the device. */
export const MAX_TOKENS_PER_TOP_UP = 8;
/** The largest value one standard OpenPAYGO Add Time token carries. */
export const MAX_TOKEN_VALUE = FORMAT_RULES.standard.maxActivationValue;
/** The smallest energy unit a meter's firmware counts, and the largest we accept. */
export const MIN_UNIT_WH = 1;
export const MAX_UNIT_WH = 10_000;

/** What a device needs to make tokens for one meter: secret, sent only to its lease holder. */
export interface OpenPaygoMeter {
  /** 32 hexadecimal characters. */
  readonly secretKeyHex: string;
  readonly startingCode: number;
  readonly restrictedDigitSet: boolean;
  /** The energy one unit of a token's value stands for, in Wh (100: tenths of a kWh). */
  readonly unitWh: number;
}

/** Counts fromCount (inclusive) to toCount (exclusive) of one meter, leased to one device. */
export interface TokenLease {
  readonly accountId: string;
  readonly meter: OpenPaygoMeter;
  readonly fromCount: number;
  readonly toCount: number;
}

export interface TopUpToken {
  readonly count: number;
  readonly value: number;
  readonly digits: string;
}

/** The calendar month a sale falls in: prepaid tiers run by month, as bills do. */
export function saleMonth(dateIso: string): { from: string; to: string } {
  const year = Number(dateIso.slice(0, 4));
  const month = Number(dateIso.slice(5, 7));
  const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
  return { from: `${dateIso.slice(0, 7)}-01`, to: `${next}-01` };
}

/** Energy the account bought earlier, on which this purchase's tiers build. */
export interface BoughtBefore {
  /** In the sale's month, before this purchase. */
  readonly monthWh: number;
  /** In the sale's year, before the sale's month: the base of annual tiers. */
  readonly yearWh: number;
}

/** What earlier sales (by day) add up to before a sale on `saleDate`. */
export function boughtBefore(
  sales: readonly { readonly soldOn: string; readonly energyWh: number }[],
  saleDate: string,
): BoughtBefore {
  const month = saleDate.slice(0, 7);
  const year = saleDate.slice(0, 4);
  let monthWh = 0;
  let yearWh = 0;
  for (const sale of sales) {
    if (sale.soldOn.slice(0, 7) === month) monthWh += sale.energyWh;
    else if (sale.soldOn.slice(0, 4) === year && sale.soldOn < saleDate) yearWh += sale.energyWh;
  }
  return { monthWh, yearWh };
}

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

/** How many more Add Time tokens a lease holds after `lastCount`. */
export function tokensLeft(lease: Pick<TokenLease, 'fromCount' | 'toCount'>, lastCount: number) {
  const first = Math.max(lastCount + 1, lease.fromCount);
  const firstEven = first % 2 === 0 ? first : first + 1;
  return firstEven >= lease.toCount ? 0 : Math.ceil((lease.toCount - firstEven) / 2);
}

/** A token as it is read out and typed: digits in groups of three (four for 20, five for 15). */
export function groupDigits(digits: string): string {
  const size = digits.length === 20 ? 4 : digits.length === 15 ? 5 : 3;
  const groups: string[] = [];
  for (let at = 0; at < digits.length; at += size) groups.push(digits.slice(at, at + size));
  return groups.join(' ');
}
