/**
 * Calendar days as bills, readings and periods hold them (`YYYY-MM-DD`, in UTC): pure
 * arithmetic, without the tariff engine, so a screen that only writes dates does not load it.
 */

const DAY_MS = 86_400_000;

/** Days from one ISO date to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The first day of the month `offset` months after the month of `date`. */
export function monthStart(date: string, offset = 0): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7)) - 1 + offset;
  return new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 10);
}
