/**
 * One sync round: push every pending fact, oldest first, in batches; then pull the route's
 * changes after the cursor until there are none. Each batch's answers and each pulled page
 * are written in one transaction, so a round cut short at any point leaves the device
 * consistent and the next round carries on from there. A fact leaves `pending` only when the
 * hub acknowledged it, by a push answer or by an ack in a pull.
 */
import { checkAuditHead, lastKeptHead, type AuditVerdict } from './audit-heads.ts';
import {
  MAX_FACTS_PER_PUSH,
  PROTOCOL_VERSION,
  pullPageIntact,
  pullResponseSchema,
  pushResponseSchema,
  answersOf,
  type FactAnswer,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from '../../shared/protocol.ts';
import Dexie from 'dexie';
import { base64url, ECDSA_SIGNING, pushSigningText } from '../../shared/devices.ts';
import { fetchLeases, leasesWanted, notePrepaid } from '../db/prepaid.ts';
import { callHub, type FetchLike, type HubFailure } from '../api.ts';
import { markRevoked } from '../db/facts.ts';
import { searchWordsOf } from '../db/search-words.ts';
import { refreshSearchWords } from '../db/accounts.ts';
import { plainFieldsOf, updateSyncState } from '../db/vault.ts';
import {
  closeOutbox,
  firstPendingSeq,
  outboxCount,
  outboxStart,
  pendingFacts,
  reopenOutbox,
  type OutboxRead,
} from './outbox.ts';
import {
  type GridtallyDatabase,
  type SessionRecord,
  type StoredFact,
  readSetting,
} from '../db/database.ts';

/**
 * Facts per push: as many as the hub takes. A push of 1,000 cash payments is about 75 kB
 * gzipped (12 s at 2G's 50 kbit/s), so a dropped link costs at most that, and a week of an
 * agent's work goes up in one request instead of a round trip per few hundred facts.
 */
export const PUSH_BATCH = MAX_FACTS_PER_PUSH;
const MAX_PULL_PAGES = 200;

export type SyncState = 'synced' | 'offline' | 'signed-out' | 'not-enrolled' | 'refused' | 'failed';

export interface SyncReport {
  readonly state: SyncState;
  readonly pushed: number;
  readonly pulledAccounts: number;
  readonly pending: number;
  readonly error?: string;
  readonly message?: string;
}

export interface SyncDeps {
  readonly baseUrl: string;
  readonly fetch?: FetchLike;
  readonly now: () => Date;
  /** Facts per push (PUSH_BATCH unless a test wants several batches from a few facts). */
  readonly pushBatch?: number;
}

export async function syncOnce(db: GridtallyDatabase, deps: SyncDeps): Promise<SyncReport> {
  const device = await readSetting(db, 'device');
  if (!device?.signingKey || device.enrolledAt === undefined) {
    return finish(db, deps, { state: 'not-enrolled', pushed: 0, pulledAccounts: 0 });
  }
  // Facts and accounts are sealed until an agent opens the device's data (client/auth/unlock.ts):
  // a locked device waits, its facts safe on disk, until then.
  if (!db.vault.unlocked)
    return finish(db, deps, { state: 'signed-out', pushed: 0, pulledAccounts: 0 });
  // Accounts held under an older search rule get its words once, here in the worker, with the
  // network or without (a single read when they are current).
  await refreshSearchWords(db);
  // Pushing needs no session: the device's signature authenticates its facts.
  const pushed = await pushPending(db, deps, device.deviceId, device.signingKey);
  if (!pushed.ok && pushed.failure.code === 'device-revoked') await markRevoked(db, deps.now());
  if (!pushed.ok) {
    return finish(db, deps, {
      ...failureReport(pushed.failure),
      pushed: pushed.count,
      pulledAccounts: 0,
    });
  }
  const session = await readSetting(db, 'session');
  if (session?.user.role !== 'agent')
    return finish(db, deps, { state: 'signed-out', pushed: pushed.count, pulledAccounts: 0 });
  const pulled = await pullAll(db, deps, session, device.deviceId);
  if (!pulled.ok) {
    return finish(db, deps, {
      ...failureReport(pulled.failure),
      pushed: pushed.count,
      pulledAccounts: pulled.count,
    });
  }
  let resentCount = 0;
  if (pulled.revived > 0) {
    // The hub was restored and forgot facts it had acknowledged: send them again now, not
    // only when the agent records the next one.
    const resent = await pushPending(db, deps, device.deviceId, device.signingKey);
    resentCount = resent.count;
    if (!resent.ok)
      return finish(db, deps, {
        ...failureReport(resent.failure),
        pushed: pushed.count + resent.count,
        pulledAccounts: pulled.count,
      });
  }
  await pruneAcknowledged(db, deps.now());
  // Leases for top-ups with no network: asked for once the route is pulled. One that fails is
  // asked for again next round; the sync itself went through.
  const wanted = await leasesWanted(db);
  if (wanted.length > 0)
    await fetchLeases(
      db,
      { baseUrl: deps.baseUrl, token: session.token, deviceId: device.deviceId, fetch: deps.fetch },
      wanted,
    );
  return finish(db, deps, {
    state: 'synced',
    pushed: pushed.count + resentCount,
    pulledAccounts: pulled.count,
  });
}

const DAY_MS = 86_400_000;

/**
 * Forgets facts the hub acknowledged longer ago than the retention period and whose effect
 * the device has pulled back: until then they are kept, so a hub restored from an older
 * backup can be sent them again.
 */
export async function pruneAcknowledged(db: GridtallyDatabase, now: Date): Promise<number> {
  return db.transaction('rw', db.facts, db.settings, db.accounts, async () => {
    const caps = await db.settings.get('caps');
    const cursor = await db.settings.get('cursor');
    if (caps?.key !== 'caps' || cursor?.key !== 'cursor') return 0;
    const before = new Date(now.getTime() - caps.retentionDays * DAY_MS).toISOString();
    const old = await db.facts
      .where('[status+fact.recordedAt]')
      .between(['acked', Dexie.minKey], ['acked', before])
      .filter((stored) => (stored.ackChangeSeq ?? Infinity) <= cursor.cursor)
      .toArray();
    // The cursor passing a fact's change is not enough for an account the pulls never bring (a
    // walk-in customer a village agent's tablet keeps): its snapshot must hold the change.
    const accountIds = [
      ...new Set(old.flatMap((stored) => (stored.accountId ? [stored.accountId] : []))),
    ];
    const walkIns = new Map(
      (await db.accounts.bulkGet(accountIds)).flatMap((account) =>
        account?.walkIn ? [[account.id, account.changeSeq] as const] : [],
      ),
    );
    const gone = old.filter((stored) => {
      const seen = walkIns.get(stored.accountId);
      return seen === undefined || seen >= (stored.ackChangeSeq ?? Infinity);
    });
    await db.facts.bulkDelete(gone.map((stored) => stored.seq));
    return gone.length;
  });
}

/** The hub's history failed the device's check: every sync is refused until a supervisor looks. */
const AUDIT_ALARMS: readonly string[] = [
  'hub-key-changed',
  'audit-head-forged',
  'hub-history-rewritten',
] satisfies AuditVerdict[];

function failureReport(failure: HubFailure): { state: SyncState; error: string; message: string } {
  const refusal =
    AUDIT_ALARMS.includes(failure.code) ||
    failure.status === 409 ||
    failure.status === 403 ||
    (failure.status === 401 && failure.code !== 'not-signed-in');
  const state: SyncState =
    failure.code === 'hub-unreachable'
      ? 'offline'
      : failure.code === 'not-signed-in'
        ? 'signed-out'
        : refusal
          ? 'refused'
          : 'failed';
  return { state, error: failure.code, message: failure.message };
}

async function finish(
  db: GridtallyDatabase,
  deps: SyncDeps,
  report: Omit<SyncReport, 'pending'>,
): Promise<SyncReport> {
  const pending = await outboxCount(db);
  const at = deps.now().toISOString();
  await db.transaction('rw', db.settings, async () => {
    const previous = await db.settings.get('sync');
    const base = previous?.key === 'sync' ? previous : { key: 'sync' as const };
    await db.settings.put({
      ...base,
      lastAttemptAt: at,
      ...(report.state === 'synced'
        ? { lastSuccessAt: at, lastError: undefined }
        : { lastError: report.error }),
    });
  });
  return { ...report, pending };
}

type Step = { ok: true; count: number } | { ok: false; count: number; failure: HubFailure };

async function pushPending(
  db: GridtallyDatabase,
  deps: SyncDeps,
  deviceId: string,
  key: CryptoKey,
): Promise<Step> {
  let count = 0;
  let resends = 0;
  let next = signedBatch(db, deps, deviceId, key);
  let readAhead = false;
  // The previous batch's answer, being written while the hub works on the current batch.
  let applying: Promise<void> = Promise.resolve();
  for (;;) {
    const { batch: current, read } = await next;
    if (!current) {
      await applying;
      // What was read holds nothing pending: the outbox starts after it.
      if (read.through >= read.from)
        await db.transaction('rw', db.facts, db.settings, () => closeOutbox(db, read));
      if (!readAhead) return { ok: true, count };
      // Nothing pending right after the last batch: one more look at the whole outbox.
      readAhead = false;
      next = signedBatch(db, deps, deviceId, key);
      continue;
    }
    const answering = callHub(
      deps.baseUrl,
      { method: 'POST', path: '/api/sync/push', body: current.message, gzip: true },
      pushResponseSchema,
      deps.fetch,
    );
    // While the hub works on this batch, the last answer is written and the next batch is read
    // and signed: the facts after those this one read that are pending now (one acknowledged
    // meanwhile by another tab is only answered again).
    next = signedBatch(db, deps, deviceId, key, read.through + 1);
    readAhead = true;
    await applying;
    const answer = await answering;
    if (!answer.ok) {
      // The batch read ahead is not sent: the next round reads it again.
      await next.catch(() => undefined);
      if (
        resends < MAX_RESENDS &&
        (await resendForgottenFacts(db, answer.error, current.firstSeq))
      ) {
        resends++;
        next = signedBatch(db, deps, deviceId, key);
        readAhead = false;
        continue;
      }
      return { ok: false, count, failure: answer.error };
    }
    applying = applyPushAnswer(db, answer.value, { seqs: current.seqs, read });
    count += current.seqs.length;
  }
}

/** A push as sent: its facts' seqs, and the range read to find them. */
interface SentBatch {
  readonly seqs: readonly number[];
  readonly read: OutboxRead;
}

/**
 * The oldest pending facts, up to a batch, as a signed push, from the outbox's start or from
 * `fromSeq` (read ahead, after the batch in flight); no batch when nothing is pending there.
 */
async function signedBatch(
  db: GridtallyDatabase,
  deps: SyncDeps,
  deviceId: string,
  key: CryptoKey,
  fromSeq?: number,
): Promise<{
  batch?: { message: PushRequest; firstSeq: number; seqs: number[] };
  read: OutboxRead;
}> {
  // The start is read before the facts: a reopening after it keeps this read from closing it.
  const outbox = await outboxStart(db);
  const size = deps.pushBatch ?? PUSH_BATCH;
  const { facts: batch, read } = await pendingFacts(
    db,
    fromSeq ?? outbox.pendingFrom,
    size,
    outbox.reopened,
  );
  const first = batch[0];
  if (!first) return { read };
  const unsigned = {
    formatVersion: PROTOCOL_VERSION,
    deviceId,
    facts: batch.map((stored) => stored.fact),
    sentAtMs: deps.now().getTime(),
  };
  const signature = await crypto.subtle.sign(
    ECDSA_SIGNING,
    key,
    new TextEncoder().encode(pushSigningText(unsigned)),
  );
  return {
    batch: {
      message: { ...unsigned, signature: base64url(signature), acceptsRuns: true },
      firstSeq: first.seq,
      seqs: batch.map((stored) => stored.seq),
    },
    read,
  };
}

const MAX_RESENDS = 3;

/**
 * A hub restored from an older backup has forgotten facts it once acknowledged: it answers
 * `chain-gap` and the seq it expects. The device still holds them (acknowledged facts are kept
 * for the retention period), so it marks them pending again and sends them once more; the hub
 * stores each exactly once whatever it already holds. Returns whether there was anything to
 * resend.
 */
async function resendForgottenFacts(
  db: GridtallyDatabase,
  failure: HubFailure,
  firstPendingSeq: number | undefined,
): Promise<boolean> {
  if (failure.code !== 'chain-gap' || firstPendingSeq === undefined) return false;
  const expected = (failure.details as { expectedSeq?: unknown } | undefined)?.expectedSeq;
  if (typeof expected !== 'number' || expected < 1 || expected >= firstPendingSeq) return false;
  return db.transaction('rw', db.facts, db.settings, async () => {
    const kept = await db.facts
      .where('seq')
      .between(expected, firstPendingSeq, true, false)
      .toArray();
    // Every forgotten fact must still be here, or resending would only move the gap.
    if (kept.length !== firstPendingSeq - expected) return false;
    await db.facts
      .where('seq')
      .between(expected, firstPendingSeq, true, false)
      .modify((stored) => {
        stored.status = 'pending';
        delete stored.ackChangeSeq;
      });
    await reopenOutbox(db, expected);
    return true;
  });
}

/**
 * Writes a push's answer; when every fact of the batch `sent` is acknowledged by it, the outbox
 * starts after what was read to find them.
 */
export async function applyPushAnswer(
  db: GridtallyDatabase,
  answer: PushResponse,
  sent?: SentBatch,
): Promise<void> {
  await db.transaction('rw', db.facts, db.settings, async () => {
    const acked = await applyAnswers(db, answersOf(answer));
    if (sent?.seqs.every((seq) => acked.has(seq))) await closeOutbox(db, sent.read);
  });
}

/**
 * Writes the hub's answers onto the facts they name, inside the caller's transaction, and returns
 * the seqs of those acknowledged now. Only the facts' sync state changes, and it is kept in the
 * clear (client/db/vault.ts), so the facts are neither opened nor sealed again. An answer that
 * arrives late (another tab already learnt a later decision of the hub, such as a held void
 * applied) must not put an older outcome back.
 */
async function applyAnswers(
  db: GridtallyDatabase,
  answers: readonly FactAnswer[],
): Promise<Set<number>> {
  const acked = new Set<number>();
  if (answers.length === 0) return acked;
  const bySeq = new Map(answers.map((answer) => [answer.seq, answer]));
  await updateSyncState(
    db.facts,
    answers.map((answer) => answer.seq),
    (stored) => {
      const seq = stored.seq as number;
      const answer = bySeq.get(seq);
      if (!answer || (answer.id !== undefined && stored.id !== answer.id)) return undefined;
      acked.add(seq);
      const later = stored.ackChangeSeq;
      if (typeof later === 'number' && answer.changeSeq < later) return undefined;
      return {
        status: 'acked',
        ackChangeSeq: answer.changeSeq,
        outcome: answer.outcome,
        reason: answer.reason,
      } satisfies Pick<StoredFact, 'status' | 'ackChangeSeq' | 'outcome' | 'reason'>;
    },
  );
  return acked;
}

async function pullAll(
  db: GridtallyDatabase,
  deps: SyncDeps,
  session: SessionRecord,
  deviceId: string,
): Promise<Step & { revived: number }> {
  // What the device holds: a field agent's route, or every route of a village agent's area.
  const routeId = pullScopeOf(session.user);
  if (routeId === null) return { ok: true, count: 0, revived: 0 };
  let count = 0;
  let revived = 0;
  // Read once a round: a page's acks only move it on, so asking for a little more is harmless.
  const answered = await answeredThrough(db);
  for (let page = 0; page < MAX_PULL_PAGES; page++) {
    const saved = await readSetting(db, 'cursor');
    const cursor = saved?.routeId === routeId ? saved.cursor : 0;
    const askedAfter = await lastKeptHead(db);
    const answer = await callHub(
      deps.baseUrl,
      {
        method: 'POST',
        path: '/api/sync/pull',
        token: session.token,
        body: {
          formatVersion: PROTOCOL_VERSION,
          deviceId,
          cursor,
          answeredThrough: answered,
        },
      },
      pullResponseSchema,
      deps.fetch,
    );
    if (!answer.ok) return { ok: false, count, revived, failure: answer.error };
    if (!pullPageIntact(answer.value)) {
      // Not applied: the cursor stays, and the next round asks for the same page again.
      return {
        ok: false,
        count,
        revived,
        failure: {
          code: 'pull-page-corrupt',
          message: 'A page of changes arrived damaged.',
          status: 0,
        },
      };
    }
    const audit = await checkAuditHead(
      db,
      answer.value.auditHead,
      answer.value.hubKey,
      askedAfter,
      deps.now(),
    );
    if (audit !== 'ok') {
      // Not applied: what the hub says now cannot be squared with what it signed before.
      return {
        ok: false,
        count,
        revived,
        failure: { code: audit, message: 'The hub’s history does not match.', status: 0 },
      };
    }
    revived += await reviveForgotten(db, answer.value.deviceHeadSeq);
    if (
      saved?.routeId === routeId &&
      saved.epoch !== undefined &&
      saved.epoch !== answer.value.epoch &&
      cursor !== 0
    ) {
      // The hub was restored from a backup: its change numbers went back, so a cursor from
      // before could skip changes made since. Start again from 0 in the new epoch.
      await db.settings.put({ ...saved, cursor: 0, epoch: answer.value.epoch });
      continue;
    }
    await applyPullPage(db, answer.value, routeId, saved?.routeId !== routeId, deps.now());
    count += answer.value.accounts.length;
    if (!answer.value.hasMore) return { ok: true, count, revived };
  }
  return { ok: true, count, revived };
}

/**
 * The highest seq up to which every fact this device holds has its final answer: below its
 * oldest pending or held fact, or its newest fact (the chain's head) when none is. Facts pruned
 * after their answer were answered too.
 */
async function answeredThrough(db: GridtallyDatabase): Promise<number> {
  const outbox = await outboxStart(db);
  // Read in the clear: only the seq is wanted, no fact is opened.
  const pending = await firstPendingSeq(db, outbox.pendingFrom, PUSH_BATCH);
  const [held] = await db.facts.where('outcome').equals('held').limit(1).primaryKeys();
  const waiting = Math.min(pending ?? Infinity, held ?? Infinity);
  if (waiting !== Infinity) return waiting - 1;
  const device = await readSetting(db, 'device');
  return device?.headSeq ?? 0;
}

/**
 * Facts this device holds as acknowledged above the hub's head for it were forgotten by a hub
 * restored from an older backup: they become pending again, to be sent once more (the hub
 * stores each exactly once). Returns how many.
 */
async function reviveForgotten(db: GridtallyDatabase, hubHeadSeq: number): Promise<number> {
  return db.transaction('rw', db.facts, db.settings, async () => {
    const revived = await db.facts
      .where('seq')
      .above(hubHeadSeq)
      .filter((stored) => stored.status === 'acked')
      .modify((stored) => {
        stored.status = 'pending';
        delete stored.ackChangeSeq;
      });
    // Whatever the hub does not hold is at or above the outbox's start, revived or not.
    const outbox = await readSetting(db, 'outbox');
    if (revived > 0 || (outbox && outbox.pendingFrom > hubHeadSeq + 1))
      await reopenOutbox(db, hubHeadSeq + 1);
    return revived;
  });
}

/**
 * The key of what a device holds, kept with its cursor: a route's id, or `area:` and an area's
 * id. When it changes (a supervisor gave the agent another route or area), the device drops
 * what it held and pulls its new scope from the start.
 */
export function pullScopeOf(user: {
  readonly routeId: string | null;
  readonly areaId?: string | null | undefined;
}): string | null {
  if (user.areaId) return `area:${user.areaId}`;
  return user.routeId;
}

export async function applyPullPage(
  db: GridtallyDatabase,
  page: PullResponse,
  routeId: string,
  newRoute: boolean,
  now: Date,
): Promise<void> {
  await db.transaction(
    'rw',
    [db.accounts, db.facts, db.settings, db.tariffs, db.leases, db.details],
    async () => {
      // Decided from what is stored now, not when the request left: another tab may have pulled
      // in between, and this page may be the older one.
      const saved = await db.settings.get('cursor');
      const current = saved?.key === 'cursor' ? saved : undefined;
      const routeChanged = current !== undefined && current.routeId !== routeId;
      if (routeChanged) {
        await db.accounts.clear();
        await db.leases.clear();
        await db.details.clear();
      }
      // A page can arrive late, after another tab applied a newer one: within one history of
      // the hub (one epoch) a snapshot never replaces a newer snapshot of the same account, and
      // the cursor never goes back within a route. A restored hub's numbers start lower: its
      // pages replace everything.
      const sameHistory = current?.routeId === routeId && current.epoch === page.epoch;
      // Change numbers are kept in the clear: the held snapshots are compared unopened.
      const heldSeqs = sameHistory
        ? (
            await plainFieldsOf(
              db.accounts,
              page.accounts.map((account) => account.id),
            )
          ).map((stored) => stored?.changeSeq)
        : [];
      await db.accounts.bulkPut(
        page.accounts
          .filter((account, at) => {
            const heldSeq = heldSeqs[at];
            return typeof heldSeq !== 'number' || account.changeSeq >= heldSeq;
          })
          .map((account) => ({ ...account, searchWords: searchWordsOf(account) })),
      );
      await notePrepaid(db, page.accounts, routeChanged || current === undefined);
      await applyAnswers(db, page.acks);
      await db.settings.put({
        key: 'cursor',
        routeId,
        cursor: sameHistory && current ? Math.max(current.cursor, page.cursor) : page.cursor,
        pulledAt: now.toISOString(),
        epoch: page.epoch,
      });
      await db.settings.put({ key: 'caps', ...page.settings });
      if (page.tariffs.length > 0) await db.tariffs.bulkPut(page.tariffs);
      const progress = await db.settings.get('sync');
      const state = progress?.key === 'sync' ? progress : { key: 'sync' as const };
      const done =
        (newRoute || !state.pullProgress ? 0 : state.pullProgress.done) + page.accounts.length;
      await db.settings.put({
        ...state,
        pullProgress: page.hasMore ? { done, total: done + page.remaining } : undefined,
      });
    },
  );
}
