/**
 * One account in full, as the hub answers GET /api/accounts/{id}: a fresh snapshot (what a pull
 * would send), the payments from every channel, the bills paid and open with their lines, the
 * meter's readings and a prepaid meter's purchases. What the customer screen shows when the hub
 * can be reached, and keeps to show offline, as of when it was read.
 */
import { z } from 'zod';
import { billLineSchema } from './api.ts';
import { billSchema } from './billing.ts';
import { paymentMethods, uuidSchema } from './facts.ts';
import { minorUnitsSchema } from './money.ts';
import { accountSnapshotSchema } from './protocol.ts';

/** The latest payments and bills the answer carries: a year of monthly bills and more. */
export const DETAIL_PAYMENTS = 50;
export const DETAIL_BILLS = 24;
export const DETAIL_READINGS = 25;
export const DETAIL_PURCHASES = 50;

export const historyPaymentSchema = z.object({
  factId: uuidSchema,
  receiptNumber: z.string(),
  amountMinor: minorUnitsSchema,
  method: z.enum(paymentMethods),
  reference: z.string().nullable(),
  takenAt: z.iso.datetime(),
  /** The device that took it, and its agent's name. */
  deviceId: z.string(),
  agentName: z.string(),
  /** counted: in the balance; flagged: waiting for a supervisor; voided: taken back. */
  state: z.enum(['counted', 'flagged', 'voided']),
  topUp: z
    .object({
      energyWh: z.number().int(),
      costMinor: minorUnitsSchema,
      tokens: z.array(z.object({ count: z.number().int(), digits: z.string() })),
    })
    .optional(),
});

export const historyBillSchema = billSchema.extend({
  /** The bill's lines by the tariff, when the engine gives the amount billed to the unit. */
  lines: z.array(billLineSchema).optional(),
});

export const accountDetailSchema = z.object({
  /** The hub's clock when it read the account. */
  asOf: z.iso.datetime(),
  /** The hub's history the snapshot belongs to (a pull page's `epoch`). */
  epoch: z.string(),
  account: accountSnapshotSchema,
  payments: z.array(historyPaymentSchema).max(DETAIL_PAYMENTS),
  bills: z.array(historyBillSchema).max(DETAIL_BILLS),
  readings: z
    .array(z.object({ readOn: z.iso.date(), registerKwh: z.number().int() }))
    .max(DETAIL_READINGS),
  purchases: z
    .array(z.object({ on: z.iso.date(), energyWh: z.number().int() }))
    .max(DETAIL_PURCHASES),
});

export type HistoryPayment = z.infer<typeof historyPaymentSchema>;
export type HistoryBill = z.infer<typeof historyBillSchema>;
export type AccountDetail = z.infer<typeof accountDetailSchema>;
