/**
 * Risk caps for offline collection, as card processors apply to offline payments: the most
 * cash a device may hold unsynced, and the most days it may go without a successful sync.
 * Past a cap the device stops taking new collections and says why; nothing already taken is
 * touched. The hub sets the caps and sends them with every pull.
 */
import { z } from 'zod';

export const deviceSettingsSchema = z.object({
  maxUnsyncedCashMinor: z.number().int().min(0),
  maxDaysOffline: z.number().int().min(1),
  /** Acknowledged facts are kept this long, so a hub restored from an older backup can get them again. */
  retentionDays: z.number().int().min(1),
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
