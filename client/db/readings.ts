/**
 * Meter readings taken at the door, and the bill printed from one: judged as the hub judges
 * them, priced with the tariff versions the device holds, and written to the device's chain
 * (client/db/facts.ts). Apart from the payments' code, so that a tablet starts without the
 * reading rules and the tariff engine.
 */
import type { User } from '../../shared/api.ts';
import type { ReadingBody, SpotBillBody } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import { appliesUnder, pendingEffects } from '../../shared/protocol.ts';
import { maxAmountMinor } from '../../shared/risk.ts';
import {
  newMeterCeiling,
  readingImplausible,
  readingInFuture,
} from '../../shared/rules/reading.ts';
import type { SpotBillError } from '../../shared/spot-bill.ts';
import type { BillLine } from '../../shared/tariff/lines.ts';
import { ok, type Result } from '../../shared/result.ts';
import type { GridtallyDatabase, StoredAccount, StoredFact } from './database.ts';
import {
  appendFacts,
  capsOf,
  loadPricing,
  type AppendError,
  type DeviceDeps,
  type Draft,
} from './facts.ts';

type Pricing = Awaited<ReturnType<typeof loadPricing>>;

export type ReadingError =
  | 'account-not-found'
  | 'reading-in-future'
  | 'reading-implausible'
  | 'amount-above-limit'
  | SpotBillError;

export interface ReadingInput {
  readonly accountId: string;
  readonly registerKwh: number;
  readonly readOn: string;
  readonly agent: User;
  /** Also print a bill for the period since the last reading. */
  readonly bill: boolean;
  /** The agent was told the reading implies far more use than the meter's own and confirms it. */
  readonly confirmedImplausible?: boolean;
}

/**
 * The meter's history a new reading is judged against, as the hub judges it: the accepted
 * readings the hub's snapshot carries, and this device's own readings it does not include yet.
 */
async function readingHistory(
  db: GridtallyDatabase,
  account: StoredAccount,
): Promise<{ readOn: string; registerKwh: number }[]> {
  const own = await db.facts.where('accountId').equals(account.id).sortBy('seq');
  const pending = pendingEffects(account, own).flatMap((stored) =>
    stored.fact.kind === 'reading' && appliesUnder(stored.reason) ? [stored.fact.body] : [],
  );
  return [...account.recentReadings, ...pending];
}

/**
 * The reading a bill printed here starts from: where the hub's last bill ended, or where a
 * later bill printed on this device ended (the reading it was printed from).
 */
async function previousReading(
  db: GridtallyDatabase,
  account: StoredAccount,
): Promise<{ readOn: string; registerKwh: number } | null> {
  let previous = account.lastReading;
  const own = await db.facts.where('accountId').equals(account.id).sortBy('seq');
  const readings = new Map(
    own.flatMap((stored) => (stored.fact.kind === 'reading' ? [[stored.id, stored.fact]] : [])),
  );
  for (const stored of pendingEffects(account, own)) {
    const fact = stored.fact;
    if (fact.kind !== 'spot-bill') continue;
    const reading = readings.get(fact.body.readingId);
    if (reading && (!previous || reading.body.readOn > previous.readOn))
      previous = { readOn: reading.body.readOn, registerKwh: reading.body.registerKwh };
  }
  return previous;
}

/**
 * Records a meter reading and, when asked, the bill for the period since the previous
 * reading, computed here with the tariff versions the device holds. Both facts are written
 * in one transaction: a bill never exists without its reading.
 */
export async function recordReading(
  db: GridtallyDatabase,
  input: ReadingInput,
  deps: DeviceDeps,
): Promise<
  Result<
    { reading: StoredFact; bill?: StoredFact; lines?: readonly BillLine[] },
    ReadingError | AppendError
  >
> {
  let lines: readonly BillLine[] | undefined;
  const pricing = await loadPricing();
  const written = await appendFacts<ReadingError>(
    db,
    input.agent,
    deps,
    async ({ head, firstSeq, nowMs, newId }) => {
      const account = await db.accounts.get(input.accountId);
      if (!account) return 'account-not-found';
      if (readingInFuture(input.readOn, new Date(nowMs).toISOString().slice(0, 10)))
        return 'reading-in-future';
      const implausible = readingImplausible(
        input,
        await readingHistory(db, account),
        newMeterCeiling((await pricing.tariffVersionsOf(db, account.tariffId)).at(-1)),
      );
      if (implausible && input.confirmedImplausible !== true) return 'reading-implausible';
      const reading: ReadingBody = {
        accountId: account.id,
        meterNumber: account.meterNumber,
        registerKwh: input.registerKwh,
        readOn: input.readOn,
        ...(implausible ? { confirmedImplausible: true as const } : {}),
      };
      const readingDraft: Draft = {
        id: newId(),
        fact: { kind: 'reading', body: reading },
        accountId: account.id,
        amountMinor: minor(0),
        balanceDeltaMinor: 0,
      };
      if (!input.bill) return [readingDraft];
      const billed = await spotBillDraft(pricing, db, account, reading, {
        readingId: readingDraft.id,
        billNumber: billNumber(head.deviceId, firstSeq + 1),
        id: newId(),
      });
      if (typeof billed === 'string') return billed;
      lines = billed.lines;
      return [readingDraft, billed.draft];
    },
  );
  if (!written.ok) return written;
  const [reading, bill] = written.value as [StoredFact, StoredFact | undefined];
  return ok(bill && lines ? { reading, bill, lines } : { reading });
}

/**
 * The bill for the period since the account's previous reading, computed with the tariff
 * versions the device holds, as a draft to write after its reading; or why it cannot be.
 */
async function spotBillDraft(
  pricing: Pricing,
  db: GridtallyDatabase,
  account: StoredAccount,
  reading: ReadingBody,
  made: { readingId: string; billNumber: string; id: string },
): Promise<{ draft: Draft; lines: readonly BillLine[] } | ReadingError> {
  const versions = await pricing.tariffVersionsOf(db, account.tariffId);
  const draft = pricing.draftSpotBill({
    account,
    previous: await previousReading(db, account),
    reading,
    versions,
  });
  if (!draft.ok) return draft.error;
  const caps = await capsOf(db);
  if (Math.abs(draft.value.totalMinor) > maxAmountMinor(caps.maxAmountMinor, account.currency))
    return 'amount-above-limit';
  const body: SpotBillBody = {
    accountId: account.id,
    billNumber: made.billNumber,
    readingId: made.readingId,
    period: draft.value.period,
    kwh: draft.value.kwh,
    tariffId: draft.value.tariffId,
    tariffVersion: draft.value.tariffVersion,
    currency: account.currency,
    amountMinor: draft.value.amountMinor,
    carried: [...draft.value.carried],
    totalMinor: draft.value.totalMinor,
  };
  return {
    lines: draft.value.lines,
    draft: {
      id: made.id,
      fact: { kind: 'spot-bill', body },
      accountId: account.id,
      amountMinor: minor(0),
      balanceDeltaMinor: draft.value.totalMinor,
    },
  };
}

export function billNumber(deviceId: string, seq: number): string {
  return `B-${deviceId.replace(/-/g, '').slice(-6).toUpperCase()}-${String(seq).padStart(6, '0')}`;
}
