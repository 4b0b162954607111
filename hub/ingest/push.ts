/**
 * Ingest of a push: verify, store once, project, in one transaction.
 *
 * Guarantees: a fact is stored exactly once (its id and its (device, seq) are unique); a fact
 * already stored is answered with the outcome it got the first time, so a repeated push
 * changes nothing and returns the same answer; the same id or seq with other content is
 * refused and audited, never overwritten; new facts must extend the device's hash chain, or
 * the whole batch is refused and nothing is written. A fact that breaks a business rule is
 * stored and flagged, never dropped: money that was taken was taken.
 */
import type { Selectable, Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import {
  bodyFaultSchema,
  checkChain,
  factTexts,
  type BodyFault,
  type ChainHead,
  type FactEnvelope,
} from '../../shared/facts.ts';
import {
  PROTOCOL_VERSION,
  type FactOutcome,
  type FlagReason,
  type PushRequest,
  type PushResponse,
} from '../../shared/protocol.ts';
import type { AmountLimits } from '../../shared/risk.ts';
import { assert } from '../../shared/assert.ts';
import { canonicalJsonFast } from '../../shared/canonical-order.ts';
import { pushSignatureValid } from '../devices/keys.ts';
import { HubError } from '../http/errors.ts';
import { appendAudit } from '../store/audit.ts';
import type { Database } from '../store/schema.ts';
import { takeCounters, type Store } from '../store/store.ts';
import { applyFacts } from './apply.ts';
import { arriving, type Arriving } from './batch.ts';
import { writeAll } from './rows.ts';
import { loadState } from './reads.ts';

type Trx = Transaction<Database>;

/**
 * SHA-256 of a text's UTF-8 bytes, as shared/hash.ts's `sha256Hex`, by Node's own (native)
 * hash: a push hashes 1,000 facts and its 1,000 answers.
 */
function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface IngestOptions {
  /** The most one fact may carry, by currency (the hub's setting). */
  readonly limits?: AmountLimits | undefined;
  /**
   * The supervisor uploading the device's exported file, if it came that way. A revoked
   * device's pushes are refused, but its file is taken from a supervisor's hands: every new
   * fact in it is stored, flagged `device-revoked`, and changes nothing until decided.
   */
  readonly uploadedBy?: string | undefined;
}

/**
 * A fact whose free text holds a payment card number is not stored, not even flagged: the
 * whole push is refused (shared/card-data.ts). The app refuses such text before it seals a
 * fact, so only a tampered device meets this, and holds its own outbox up by it.
 */
function refuseCardNumbers(documents: ReadonlyMap<FactEnvelope, Arriving>): void {
  for (const [fact, { read }] of documents) {
    if (read.ok || read.error.problem !== 'card-number') continue;
    throw new HubError(
      400,
      'card-number-refused',
      `Fact ${fact.id} holds a payment card number at ${read.error.field}; nothing of this push was stored.`,
      { factId: fact.id, field: read.error.field },
    );
  }
}

export async function ingestPush(
  store: Store,
  request: PushRequest,
  receivedAt: Date,
  options: IngestOptions = {},
): Promise<PushResponse> {
  const facts = [...request.facts].sort((a, b) => a.seq - b.seq);
  const viaSupervisor = options.uploadedBy !== undefined;
  // The costly checks (the signature, every fact's hash, reading every body) run before the
  // transaction, so on PostgreSQL they hold no lock while other pushes wait.
  const keyChecked = await checkedKey(store, request, viaSupervisor);
  const documents = new Map<FactEnvelope, Arriving>();
  for (const fact of facts) {
    const texts = factTexts(fact);
    if (sha256Hex(texts.unsigned) === fact.hash)
      documents.set(fact, arriving(fact, texts.document));
  }
  refuseCardNumbers(documents);
  try {
    return await store.transaction(async (trx) => {
      const device = await lockedDevice(store, trx, request, keyChecked, viaSupervisor);
      assertDistinct(facts);
      const known = facts.filter((fact) => fact.seq <= device.head_seq);
      const fresh = facts.filter((fact) => fact.seq > device.head_seq);
      const results = new Map<string, FactOutcome>();
      for (const outcome of await replayKnown(trx, request.deviceId, known))
        results.set(outcome.id, outcome);
      const head = extendedHead(device, request.deviceId, fresh, (fact) => documents.has(fact));
      await refuseReusedIds(trx, fresh);
      const arrived = fresh.map((fact) => documents.get(fact) as Arriving);
      const applied = await applyNew(store, trx, request.deviceId, arrived, {
        receivedAt,
        deviceRevoked: device.status === 'revoked',
        limits: options.limits,
      });
      for (const outcome of applied) results.set(outcome.id, outcome);
      await moveHead(trx, request, fresh.length > 0 ? head : undefined, receivedAt);
      if (fresh.length > 0)
        await auditReceived(trx, request.deviceId, head, applied, receivedAt, options.uploadedBy);
      return {
        formatVersion: PROTOCOL_VERSION,
        deviceId: request.deviceId,
        ackedSeq: Math.max(device.head_seq, head.seq),
        results: facts
          .map((fact) => results.get(fact.id))
          .filter((r): r is FactOutcome => r !== undefined),
      };
    });
  } catch (error) {
    if (error instanceof HubError && error.code === 'fact-conflict')
      await auditConflict(store, request, error, receivedAt);
    throw error;
  }
}

type DeviceRow = Selectable<Database['devices']>;

/**
 * Each push that brought new facts is an entry of the audit chain: the device's new chain head
 * (whose hash covers every fact the device ever sent) and a hash of the hub's answers to them.
 * The chain's head, signed in every pull answer (shared/audit-head.ts), so covers what was
 * received and how the hub decided it: rewriting either later breaks the chain or a kept head.
 */
async function auditReceived(
  trx: Trx,
  deviceId: string,
  head: ChainHead,
  outcomes: readonly FactOutcome[],
  at: Date,
  uploadedBy: string | undefined,
): Promise<void> {
  await appendAudit(trx, {
    at: at.toISOString(),
    actor: uploadedBy === undefined ? `device:${deviceId}` : `user:${uploadedBy}`,
    action: 'facts-received',
    detail: JSON.stringify({
      deviceId,
      headSeq: head.seq,
      headHash: head.hash,
      outcomes: sha256Hex(canonicalJsonFast(outcomes)),
    }),
  });
}

/**
 * The pushing device's row, locked: pushes of one device take turns (on PostgreSQL, where hub
 * processes write at once, the row is locked until this push commits; SQLite runs one
 * transaction at a time). Refuses an unknown or revoked device, or a signature not by its key.
 */
async function lockedDevice(
  store: Store,
  trx: Trx,
  request: PushRequest,
  keyChecked: string,
  viaSupervisor: boolean,
): Promise<DeviceRow> {
  const device = await trx
    .selectFrom('devices')
    .selectAll()
    .where('id', '=', request.deviceId)
    .$if(store.engine === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst();
  if (!device || device.public_key === null) throw notEnrolled();
  if (device.status === 'revoked' && !viaSupervisor) throw revoked();
  if (device.public_key !== keyChecked && !(await pushSignatureValid(device.public_key, request)))
    throw badSignature();
  return device;
}

/** The chain's head after the new facts, which must extend it; or the whole push is refused. */
function extendedHead(
  device: DeviceRow,
  deviceId: string,
  fresh: readonly FactEnvelope[],
  hashIsRight: (fact: FactEnvelope) => boolean,
): ChainHead {
  const chain = checkChain(
    { seq: device.head_seq, hash: device.head_hash },
    deviceId,
    fresh,
    hashIsRight,
  );
  if (chain.ok) return chain.head;
  throw new HubError(
    409,
    chain.error,
    `Fact ${chain.seq} does not extend this device's chain (${chain.error}).`,
    { seq: chain.seq, expectedSeq: device.head_seq + 1 },
  );
}

/** The device's new chain head, when the push brought new facts, and its clock's skew. */
async function moveHead(
  trx: Trx,
  request: PushRequest,
  head: ChainHead | undefined,
  receivedAt: Date,
): Promise<void> {
  if (head === undefined && request.sentAtMs === undefined) return;
  await trx
    .updateTable('devices')
    .set({
      ...(head !== undefined && {
        head_seq: head.seq,
        head_hash: head.hash,
        last_push_at: receivedAt.toISOString(),
      }),
      // A device clock days off is tolerated (its stamps never decide a winner alone) and shown.
      ...(request.sentAtMs !== undefined && {
        clock_skew_ms: request.sentAtMs - receivedAt.getTime(),
      }),
    })
    .where('id', '=', request.deviceId)
    .execute();
}

/**
 * The device's enrolled key if the push's signature is right under it, checked outside any
 * transaction; the transaction checks again only if the key changed meanwhile. Refuses the
 * push when the device is unknown, revoked (unless a supervisor brought its file), or the
 * signature is wrong.
 */
async function checkedKey(
  store: Store,
  request: PushRequest,
  viaSupervisor: boolean,
): Promise<string> {
  const device = await store.db
    .selectFrom('devices')
    .select(['public_key', 'status'])
    .where('id', '=', request.deviceId)
    .executeTakeFirst();
  if (!device || device.public_key === null) throw notEnrolled();
  if (device.status === 'revoked' && !viaSupervisor) throw revoked();
  if (!(await pushSignatureValid(device.public_key, request))) throw badSignature();
  return device.public_key;
}

const notEnrolled = () =>
  new HubError(
    409,
    'device-not-enrolled',
    'This device is not enrolled. Enrol it with a code from a supervisor.',
  );
const revoked = () =>
  new HubError(403, 'device-revoked', 'This device has been revoked; its pushes are refused.');
const badSignature = () =>
  new HubError(401, 'signature-invalid', "The push is not signed by this device's enrolled key.");

/**
 * Applies new facts in the device's order, all by one path (hub/ingest/apply.ts): the change
 * counter first (on PostgreSQL its row stays locked to commit, so what is read next cannot
 * change before this push writes), then every read the rules need, the rules in memory, and
 * the rows written set-based.
 */
async function applyNew(
  store: Store,
  trx: Trx,
  deviceId: string,
  fresh: readonly Arriving[],
  arrival: { receivedAt: Date; deviceRevoked: boolean; limits: AmountLimits | undefined },
): Promise<FactOutcome[]> {
  if (fresh.length === 0) return [];
  const firstChange = await takeCounters(trx, 'change', 0);
  const readable = fresh.flatMap((fact) => (fact.read.ok ? [fact.read.value] : []));
  const state = await loadState(trx, deviceId, readable);
  const applied = applyFacts(state, fresh, { ...arrival, firstChange });
  const taken = await takeCounters(trx, 'change', applied.changesUsed);
  assert(taken === firstChange, 'the change counter moved while this push held it');
  await writeAll(store, trx, applied.writes, state.accounts.values(), state.bills.values());
  return applied.outcomes;
}

function assertDistinct(facts: readonly FactEnvelope[]): void {
  const ids = new Set(facts.map((fact) => fact.id));
  const seqs = new Set(facts.map((fact) => fact.seq));
  if (ids.size !== facts.length || seqs.size !== facts.length) {
    throw new HubError(
      400,
      'fact-conflict',
      'A batch names the same fact id or sequence number twice.',
    );
  }
}

/** Facts the hub already holds: the same content gets the same answer; other content is refused. */
async function replayKnown(
  trx: Trx,
  deviceId: string,
  known: readonly FactEnvelope[],
): Promise<FactOutcome[]> {
  if (known.length === 0) return [];
  const rows = await trx
    .selectFrom('facts')
    .select(['id', 'seq', 'hash', 'outcome', 'flag_reason', 'flag_detail', 'change_seq'])
    .where('device_id', '=', deviceId)
    .where(
      'seq',
      'in',
      known.map((fact) => fact.seq),
    )
    .execute();
  const bySeq = new Map(rows.map((row) => [row.seq, row]));
  return known.map((fact) => {
    const row = bySeq.get(fact.seq);
    if (!row || row.id !== fact.id || row.hash !== fact.hash) {
      throw new HubError(
        409,
        'fact-conflict',
        `Fact ${fact.seq} differs from the one the hub already holds.`,
        { seq: fact.seq },
      );
    }
    return outcomeOf(row);
  });
}

async function refuseReusedIds(trx: Trx, fresh: readonly FactEnvelope[]): Promise<void> {
  if (fresh.length === 0) return;
  const reused = await trx
    .selectFrom('facts')
    .select('id')
    .where(
      'id',
      'in',
      fresh.map((fact) => fact.id),
    )
    .executeTakeFirst();
  if (reused)
    throw new HubError(
      409,
      'fact-conflict',
      `Fact id ${reused.id} is already used by another fact.`,
      { id: reused.id },
    );
}

/** A stored fact's answer, as it was given the first time. */
export function outcomeOf(row: {
  id: string;
  seq: number;
  outcome: FactOutcome['outcome'];
  flag_reason: FlagReason | null;
  flag_detail: string | null;
  change_seq: number;
}): FactOutcome {
  const fault = row.flag_detail === null ? undefined : faultOf(row.flag_detail);
  return {
    id: row.id,
    seq: row.seq,
    outcome: row.outcome,
    ...(row.flag_reason === null ? {} : { reason: row.flag_reason }),
    ...(fault ? { fault } : {}),
    changeSeq: row.change_seq,
  };
}

/** A stored body fault, read defensively: what the hub wrote it can always read back. */
export function faultOf(text: string): BodyFault | undefined {
  try {
    const parsed = bodyFaultSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function auditConflict(
  store: Store,
  request: PushRequest,
  error: HubError,
  at: Date,
): Promise<void> {
  await store.transaction((trx) =>
    appendAudit(trx, {
      at: at.toISOString(),
      actor: `device:${request.deviceId}`,
      action: 'push-refused-fact-conflict',
      detail: JSON.stringify({
        message: error.message,
        details: error.details,
        facts: request.facts,
      }),
    }),
  );
}
