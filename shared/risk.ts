/**
 * Risk caps for offline collection, as card processors apply to offline payments: the most
 * cash a device may hold unsynced, and the most days it may go without a successful sync.
 * Past a cap the device stops taking new collections and says why; nothing already taken is
 * touched. The hub sets the caps and sends them with every pull.
 */
import { z } from 'zod';
import { currencies, currencySchema, type CurrencyCode } from './money.ts';

/**
 * The most one fact may carry in a currency (one payment, one bill), unless the hub is set
 * otherwise: a million major units (a hundred million for exponent 0 currencies, whose units
 * are small). Far below the money range, so that any number of facts within it sums safely.
 */
export const DEFAULT_MAX_AMOUNT_MINOR: Readonly<Record<CurrencyCode, number>> = Object.fromEntries(
  Object.entries(currencies).map(([code, { exponent }]) => [
    code,
    exponent === 0 ? 100_000_000 : 1_000_000 * 10 ** exponent,
  ]),
) as Record<CurrencyCode, number>;

/** The highest the hub may set a currency's limit: a millionth of the money range. */
export const MAX_CONFIGURABLE_AMOUNT_MINOR = 1_000_000_000;

export const amountLimitsSchema = z.partialRecord(
  currencySchema,
  z.number().int().min(1).max(MAX_CONFIGURABLE_AMOUNT_MINOR),
);

export type AmountLimits = z.infer<typeof amountLimitsSchema>;

/** The most one fact may carry in `currency`: the hub's setting, or the default. */
export function maxAmountMinor(limits: AmountLimits | undefined, currency: CurrencyCode): number {
  return limits?.[currency] ?? DEFAULT_MAX_AMOUNT_MINOR[currency];
}

export const deviceSettingsSchema = z.object({
  maxUnsyncedCashMinor: z.number().int().min(0),
  maxDaysOffline: z.number().int().min(1),
  /** Acknowledged facts are kept this long, so a hub restored from an older backup can get them again. */
  retentionDays: z.number().int().min(1),
  /** The most one fact may carry, by currency (absent: DEFAULT_MAX_AMOUNT_MINOR). */
  maxAmountMinor: amountLimitsSchema.optional(),
});

export type DeviceSettings = z.infer<typeof deviceSettingsSchema>;

export const DEFAULT_DEVICE_SETTINGS: DeviceSettings = {
  maxUnsyncedCashMinor: 10_000_000,
  maxDaysOffline: 14,
  retentionDays: 90,
};

export type RiskCapError = 'risk-cap-cash' | 'risk-cap-days-offline';

const DAY_MS = 86_400_000;

export interface DeviceExposure {
  readonly unsyncedCashMinor: number;
  /** When the device last synced, or was enrolled if it never has (epoch ms). */
  readonly lastContactMs: number;
  readonly nowMs: number;
}

/** Whether taking `amountMinor` more would breach a cap; the first cap breached names the error. */
export function riskCapBreached(
  settings: DeviceSettings,
  exposure: DeviceExposure,
  amountMinor: number,
): RiskCapError | undefined {
  if (exposure.nowMs - exposure.lastContactMs > settings.maxDaysOffline * DAY_MS)
    return 'risk-cap-days-offline';
  if (exposure.unsyncedCashMinor + amountMinor > settings.maxUnsyncedCashMinor)
    return 'risk-cap-cash';
  return undefined;
}
