/**
 * The part of prepaid top-ups that needs neither the tariff engine nor the token generator:
 * leases of a meter's token counts, what earlier sales add up to, and how a token is read out.
 * The tablet's start-up code and its sync read these; pricing and tokens load when a top-up
 * is made (shared/topup.ts re-exports all of it).
 */

/**
 * Counts in one lease: eight Add Time tokens (they take even counts). A meter accepts an Add
 * Time token up to 15 counts below its last one, so the tokens of one lease load in any order;
 * a token of an older lease far below may not (docs/prepaid-tokens.md, "The lease edge").
 */
export const LEASE_COUNTS = 16;
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
