/**
 * Recording facts on the device. A fact gets its id, sequence number, clock stamp and chain
 * link, and is written with the new chain head in one transaction, before any network call;
 * a retry of its sync reuses all of it. A payment that fails the cash rules is refused here
 * with a named error and nothing is written.
 */
import { uuidv7 } from 'uuidv7';
import type { User } from '../../shared/api.ts';
import { formatHlc, hlcStart, hlcTick, parseHlc } from '../../shared/clock.ts';
import { sealFact, type UnsignedFact } from '../../shared/facts.ts';
import { GENESIS_HASH, type Sha256Hex } from '../../shared/hash.ts';
import type { CurrencyCode, MinorUnits } from '../../shared/money.ts';
import { cashTender, type CashPaymentError } from '../../shared/payments.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import {
  DEFAULT_DEVICE_SETTINGS,
  riskCapBreached,
  type DeviceSettings,
  type RiskCapError,
} from '../../shared/risk.ts';
import type { DeviceRecord, GridtallyDatabase, StoredFact } from './database.ts';

export interface DeviceDeps {
  readonly makeId: () => string;
  readonly nowMs: () => number;
}

export const browserDeps: DeviceDeps = { makeId: () => uuidv7(), nowMs: () => Date.now() };

/** The device's identity, made on first use and kept for the life of the database. */
export async function ensureDevice(db: GridtallyDatabase, deps: DeviceDeps): Promise<DeviceRecord> {
  return db.transaction('rw', db.settings, async () => {
    const existing = await db.settings.get('device');
    if (existing?.key === 'device') return existing;
    const deviceId = deps.makeId();
    const device: DeviceRecord = {
      key: 'device',
      deviceId,
      headSeq: 0,
      headHash: GENESIS_HASH,
      hlc: formatHlc(hlcStart(deviceId, deps.nowMs())),
    };
    await db.settings.put(device);
    return device;
  });
}

export interface CashPaymentInput {
  readonly accountId: string;
  readonly currency: CurrencyCode;
  readonly amountMinor: MinorUnits;
  readonly tenderedMinor: MinorUnits;
  readonly agent: User;
}

export function receiptNumber(deviceId: string, seq: number): string {
  return `R-${deviceId.replace(/-/g, '').slice(-6).toUpperCase()}-${String(seq).padStart(6, '0')}`;
}

export async function recordCashPayment(
  db: GridtallyDatabase,
  input: CashPaymentInput,
  deps: DeviceDeps,
): Promise<Result<StoredFact, CashPaymentError | RiskCapError>> {
  const tender = cashTender(input.amountMinor, input.tenderedMinor);
  if (!tender.ok) return err(tender.error);
  const device = await ensureDevice(db, deps);
  const stored = await db.transaction('rw', db.settings, db.facts, async () => {
    const head = (await db.settings.get('device')) as DeviceRecord;
    const nowMs = deps.nowMs();
    const breach = await riskCapCheck(db, head, tender.value.amountMinor, nowMs);
    if (breach) return breach;
    const previous = parseHlc(head.hlc) ?? hlcStart(device.deviceId, nowMs);
    const clock = hlcTick(previous, nowMs);
    const seq = head.headSeq + 1;
    const unsigned: UnsignedFact = {
      id: deps.makeId(),
      deviceId: head.deviceId,
      seq,
      prevHash: head.headHash,
      hlc: formatHlc(clock),
      agentId: input.agent.id,
      recordedAt: new Date(nowMs).toISOString(),
      kind: 'payment',
      body: {
        accountId: input.accountId,
        currency: input.currency,
        method: 'cash',
        amountMinor: tender.value.amountMinor,
        tenderedMinor: tender.value.tenderedMinor,
        changeMinor: tender.value.changeMinor,
        receiptNumber: receiptNumber(head.deviceId, seq),
      },
    };
    const fact = sealFact(unsigned);
    const record: StoredFact = {
      seq,
      id: fact.id,
      accountId: input.accountId,
      amountMinor: tender.value.amountMinor,
      fact,
      status: 'pending',
    };
    await db.facts.add(record);
    const next: DeviceRecord = {
      ...head,
      headSeq: seq,
      headHash: fact.hash as Sha256Hex,
      hlc: formatHlc(clock),
    };
    await db.settings.put(next);
    return record;
  });
  return typeof stored === 'string' ? err(stored) : ok(stored);
}

/** Whether a new collection would pass a risk cap the hub set (defaults before the first pull). */
async function riskCapCheck(
  db: GridtallyDatabase,
  device: DeviceRecord,
  amountMinor: number,
  nowMs: number,
): Promise<RiskCapError | undefined> {
  const caps = await db.settings.get('caps');
  const settings: DeviceSettings = caps?.key === 'caps' ? caps : DEFAULT_DEVICE_SETTINGS;
  const sync = await db.settings.get('sync');
  const lastSuccess =
    sync?.key === 'sync' && sync.lastSuccessAt !== undefined
      ? Date.parse(sync.lastSuccessAt)
      : -Infinity;
  const enrolled = device.enrolledAt === undefined ? -Infinity : Date.parse(device.enrolledAt);
  const lastContact = Math.max(lastSuccess, enrolled);
  const pending = await db.facts.where('status').equals('pending').toArray();
  const unsyncedCashMinor = pending.reduce((total, stored) => total + stored.amountMinor, 0);
  const exposure = {
    unsyncedCashMinor,
    lastContactMs: Number.isFinite(lastContact) ? lastContact : nowMs,
    nowMs,
  };
  return riskCapBreached(settings, exposure, amountMinor);
}

export async function pendingCount(db: GridtallyDatabase): Promise<number> {
  return db.facts.where('status').equals('pending').count();
}
