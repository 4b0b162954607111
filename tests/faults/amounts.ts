/**
 * Which accounts each device of a fault test pays into, and how much. The payments are all
 * distinct payments, so the hub must accept every one; the amounts are chosen so that no
 * rule could honestly take two of them for one payment taken twice (the hub flags a payment
 * within 5 % of another on the same account and within an hour, shared/conflicts.ts), and a
 * flag of any kind is a finding.
 *
 * Accounts: a route's devices stand in a ring, and group g of the route's accounts is paid by
 * the route's device g (band 0) and device g + 1 (band 1); every touched account is shared by
 * two devices, and each device pays into two groups.
 *
 * Amounts: the k-th payment of a device on an account is LADDER[k] (band 0) or ten times it
 * (band 1), plus `place × devices + device index`, where place is the account's place in the
 * device's list. The ladder grows by over 1/12 a step and the offset stays below 500, so one
 * device's payments on an account are more than 7 % apart; band 0 ends below 42 000 and band
 * 1 starts at 60 000, so the two devices of an account are far apart; and since ladder steps
 * are wider than the offset, an amount names its device, account and k: every amount in the
 * fleet is distinct, and no total can come out right by coincidence.
 */

export const PAYMENTS_PER_ACCOUNT_MAX = 25;
const LADDER_START_MINOR = 6_000;
const BAND_FACTOR = 10;
const OFFSET_LIMIT = 500;

const LADDER: readonly number[] = (() => {
  const steps = [LADDER_START_MINOR];
  for (let k = 1; k < PAYMENTS_PER_ACCOUNT_MAX; k++) {
    const last = steps[k - 1] ?? LADDER_START_MINOR;
    steps.push(last + Math.floor(last / 12) + 1);
  }
  return steps;
})();

export interface AccountSlot {
  readonly accountId: string;
  readonly band: 0 | 1;
  /** The account's place in its device's list. */
  readonly place: number;
}

/** The accounts of the device at `position` in its route's ring of `devicesInRoute`. */
export function accountSlots(
  routeAccounts: readonly string[],
  position: number,
  devicesInRoute: number,
  perGroup: number,
): AccountSlot[] {
  if (devicesInRoute * perGroup > routeAccounts.length)
    throw new Error('not enough accounts on the route for every group');
  const group = (g: number) => {
    const first = ((g + devicesInRoute) % devicesInRoute) * perGroup;
    return routeAccounts.slice(first, first + perGroup);
  };
  const own = group(position).map((accountId) => ({ accountId, band: 0 as const }));
  const shared = group(position - 1).map((accountId) => ({ accountId, band: 1 as const }));
  // A ring of one device would pay into its own group twice.
  const slots = devicesInRoute > 1 ? [...own, ...shared] : own;
  return slots.map((slot, place) => ({ ...slot, place }));
}

export function amountMinor(
  slot: AccountSlot,
  k: number,
  deviceIndex: number,
  devices: number,
): number {
  const step = LADDER[k];
  if (step === undefined) throw new Error(`at most ${PAYMENTS_PER_ACCOUNT_MAX} per account`);
  const offset = slot.place * devices + deviceIndex;
  if (offset >= OFFSET_LIMIT) throw new Error('too many devices or accounts for distinct amounts');
  return step * (slot.band === 0 ? 1 : BAND_FACTOR) + offset;
}
