/**
 * Where the outbox starts, so that a sync round finds the pending facts by seq instead of through
 * the status index. That index's run of `pending` keeps an entry left behind by every fact ever
 * acknowledged on some engines (fake-indexeddb keeps them until most of the index is such,
 * LevelDB until a compaction): on the benchmark's tablet of 10,000 payments each look at it
 * walked ten thousand of them, four times a round.
 *
 * Guarantee: no fact below the kept `pendingFrom` is pending. Facts are recorded at the head of
 * the chain, above it; the start moves forward only over seqs a batch read and the hub answered
 * (or a read found acknowledged), and moves back, in the same transaction, wherever facts are
 * made pending again. `reopened` counts those moves back: a batch read before one of them cannot
 * move the start past the facts it reopened. Each pull also moves the start back to just above
 * the hub's head for this device, so a fact the hub does not hold is never below it.
 */
import { pendingCount } from '../db/facts.ts';
import type { StoredRecord } from '../db/vault.ts';
import { openStored, storedFrom } from './sealed-reads.ts';
import {
  readSetting,
  type GridtallyDatabase,
  type OutboxRecord,
  type StoredFact,
} from '../db/database.ts';

/** A range of seqs read whole: every fact in it that was not pending then was acknowledged. */
export interface OutboxRead {
  readonly from: number;
  /** The last seq read (below `from` when nothing was). */
  readonly through: number;
  /** `reopened` as kept before the read. */
  readonly reopened: number;
}

/** The outbox's start, worked out from the status index once, on a device that kept none yet. */
export async function outboxStart(db: GridtallyDatabase): Promise<OutboxRecord> {
  const kept = await readSetting(db, 'outbox');
  if (kept) return kept;
  return db.transaction('rw', db.facts, db.settings, async () => {
    const again = await readSetting(db, 'outbox');
    if (again) return again;
    const [first] = await db.facts.where('status').equals('pending').limit(1).primaryKeys();
    const device = await readSetting(db, 'device');
    const record: OutboxRecord = {
      key: 'outbox',
      pendingFrom: first ?? (device?.headSeq ?? 0) + 1,
      reopened: 0,
    };
    await db.settings.put(record);
    return record;
  });
}

/**
 * The first run of up to `size` facts from seq `from` on, read by seq, that holds a pending one
 * (acknowledged runs above the start, left by a pull's acks, are read past): its pending facts as
 * stored, none opened, and the last seq read (below `from` when nothing was).
 */
async function pendingRun(
  db: GridtallyDatabase,
  from: number,
  size: number,
): Promise<{ pending: StoredRecord[]; through: number }> {
  for (let start = from; ;) {
    const run = await storedFrom(db.facts, start, size);
    const last = run.at(-1)?.seq;
    const pending = run.filter((stored) => stored.status === 'pending');
    if (typeof last !== 'number' || pending.length > 0)
      return { pending, through: typeof last === 'number' ? last : start - 1 };
    start = last + 1;
  }
}

/**
 * Up to `size` pending facts from seq `from` on, oldest first, and what was read; only they are
 * opened, in bulk and after the read (./sealed-reads.ts).
 */
export async function pendingFacts(
  db: GridtallyDatabase,
  from: number,
  size: number,
  reopened: number,
): Promise<{ facts: StoredFact[]; read: OutboxRead }> {
  const { pending, through } = await pendingRun(db, from, size);
  const facts = await openStored<StoredFact>(db.facts, pending);
  return { facts, read: { from, through, reopened } };
}

/** The seq of the first pending fact from seq `from` on, none opened; undefined when none is. */
export async function firstPendingSeq(
  db: GridtallyDatabase,
  from: number,
  size: number,
): Promise<number | undefined> {
  const { pending } = await pendingRun(db, from, size);
  const seq = pending[0]?.seq;
  return typeof seq === 'number' ? seq : undefined;
}

/**
 * Every fact of `read` that was not pending was acknowledged, and the rest are now: the outbox
 * starts after it, if it started within it and nothing was reopened since the read. Inside the
 * caller's read-write transaction over facts and settings.
 */
export async function closeOutbox(db: GridtallyDatabase, read: OutboxRead): Promise<void> {
  const kept = await readSetting(db, 'outbox');
  if (!kept || kept.reopened !== read.reopened) return;
  if (kept.pendingFrom < read.from || kept.pendingFrom > read.through) return;
  await db.settings.put({ ...kept, pendingFrom: read.through + 1 });
}

/**
 * Facts from `seq` on may be pending again: the outbox starts there at the latest, and reads
 * from before this cannot close it. Inside the caller's read-write transaction over settings.
 */
export async function reopenOutbox(db: GridtallyDatabase, seq: number): Promise<void> {
  const kept = await readSetting(db, 'outbox');
  if (!kept) return;
  await db.settings.put({
    ...kept,
    pendingFrom: Math.min(kept.pendingFrom, seq),
    reopened: kept.reopened + 1,
  });
}

/** How many facts are pending: none without a fact from the outbox's start on. */
export async function outboxCount(db: GridtallyDatabase): Promise<number> {
  const { pendingFrom } = await outboxStart(db);
  const above = await db.facts.where('seq').aboveOrEqual(pendingFrom).count();
  return above === 0 ? 0 : pendingCount(db);
}
