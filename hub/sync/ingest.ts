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
import { allocatePayment } from '../../shared/billing.ts';
import { checkChain, type Fact } from '../../shared/facts.ts';
import { duplicateOf } from '../../shared/conflicts.ts';
import { canonicalJson, type Sha256Hex } from '../../shared/hash.ts';
import { MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { cashPaymentFlag } from '../../shared/payments.ts';
import {
  flagsThatStillApply,
  PROTOCOL_VERSION,
  type FactOutcome,
  type FlagReason,
  type PushRequest,
  type PushResponse,
} from '../../shared/protocol.ts';
import { pushSignatureValid } from '../devices/keys.ts';
import { HubError } from '../http/errors.ts';
import type { Database } from '../store/schema.ts';
import { openBillsOf } from '../store/bills.ts';
import { nextCounter, type Store } from '../store/store.ts';

type Trx = Transaction<Database>;

export async function ingestPush(
  store: Store,
  request: PushRequest,
  receivedAt: Date,
): Promise<PushResponse> {
  const facts = [...request.facts].sort((a, b) => a.seq - b.seq);
  try {
    return await store.transaction(async (trx) => {
      const device = await trx
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', request.deviceId)
        .executeTakeFirst();
      if (!device || device.public_key === null) {
        throw new HubError(
          409,
          'device-not-enrolled',
          'This device is not enrolled. Enrol it with a code from a supervisor.',
        );
      }
      if (device.status === 'revoked')
        throw new HubError(
          403,
          'device-revoked',
          'This device has been revoked; its pushes are refused.',
        );
      if (!(await pushSignatureValid(device.public_key, request))) {
        throw new HubError(
          401,
          'signature-invalid',
          "The push is not signed by this device's enrolled key.",
        );
      }
      assertDistinct(facts);
      const known = facts.filter((fact) => fact.seq <= device.head_seq);
      const fresh = facts.filter((fact) => fact.seq > device.head_seq);
      const results = new Map<string, FactOutcome>();
      for (const outcome of await replayKnown(trx, request.deviceId, known))
        results.set(outcome.id, outcome);
      const chain = checkChain(
        { seq: device.head_seq, hash: device.head_hash as Sha256Hex },
        request.deviceId,
        fresh,
      );
      if (!chain.ok) {
        throw new HubError(
          409,
          chain.error,
          `Fact ${chain.seq} does not extend this device's chain (${chain.error}).`,
          {
            seq: chain.seq,
            expectedSeq: device.head_seq + 1,
          },
        );
      }
      await refuseReusedIds(trx, fresh);
      for (const fact of fresh) results.set(fact.id, await applyFact(trx, fact, receivedAt));
      if (fresh.length > 0) {
        await trx
          .updateTable('devices')
          .set({
            head_seq: chain.head.seq,
            head_hash: chain.head.hash,
            last_push_at: receivedAt.toISOString(),
          })
          .where('id', '=', request.deviceId)
          .execute();
      }
      if (request.sentAtMs !== undefined) {
        // A device clock days off is tolerated (its stamps never decide a winner alone) and shown.
        await trx
          .updateTable('devices')
          .set({ clock_skew_ms: request.sentAtMs - receivedAt.getTime() })
          .where('id', '=', request.deviceId)
          .execute();
      }
      return {
        formatVersion: PROTOCOL_VERSION,
        deviceId: request.deviceId,
        ackedSeq: Math.max(device.head_seq, chain.head.seq),
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

function assertDistinct(facts: readonly Fact[]): void {
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
  known: readonly Fact[],
): Promise<FactOutcome[]> {
  if (known.length === 0) return [];
  const rows = await trx
    .selectFrom('facts')
    .select(['id', 'seq', 'hash', 'outcome', 'flag_reason', 'change_seq'])
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

async function refuseReusedIds(trx: Trx, fresh: readonly Fact[]): Promise<void> {
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

function outcomeOf(row: {
  id: string;
  seq: number;
  outcome: 'accepted' | 'duplicate' | 'flagged';
  flag_reason: string | null;
  change_seq: number;
}): FactOutcome {
  const outcome: FactOutcome = {
    id: row.id,
    seq: row.seq,
    outcome: row.outcome,
    changeSeq: Number(row.change_seq),
  };
  if (row.flag_reason !== null) outcome.reason = row.flag_reason as FlagReason;
  return outcome;
}

async function applyFact(trx: Trx, fact: Fact, receivedAt: Date): Promise<FactOutcome> {
  const changeSeq = await nextCounter(trx, 'change');
  const account = await trx
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', fact.body.accountId)
    .executeTakeFirst();
  const reason = paymentFlag(fact, account) ?? (await duplicateFlag(trx, fact));
  const row = {
    id: fact.id,
    seq: fact.seq,
    outcome:
      reason === undefined
        ? ('accepted' as const)
        : reason === 'possible-duplicate'
          ? ('duplicate' as const)
          : ('flagged' as const),
    flag_reason: reason ?? null,
    change_seq: changeSeq,
  };
  await trx
    .insertInto('facts')
    .values({
      ...row,
      device_id: fact.deviceId,
      kind: fact.kind,
      hash: fact.hash,
      prev_hash: fact.prevHash,
      hlc: fact.hlc,
      agent_id: fact.agentId,
      recorded_at: fact.recordedAt,
      document: canonicalJson(fact),
      received_at: receivedAt.toISOString(),
    })
    .execute();
  await projectPayment(trx, fact, account, reason, changeSeq, receivedAt);
  return outcomeOf(row);
}

type AccountRow = Selectable<Database['accounts']>;

/** 'possible-duplicate' when a payment the hub holds looks like this one taken twice. */
async function duplicateFlag(trx: Trx, fact: Fact): Promise<FlagReason | undefined> {
  const held = await trx
    .selectFrom('payments')
    .innerJoin('facts', 'facts.id', 'payments.fact_id')
    .select(['payments.fact_id', 'payments.account_id', 'payments.amount_minor', 'facts.hlc'])
    .where('payments.account_id', '=', fact.body.accountId)
    .orderBy('payments.received_at', 'desc')
    .limit(50)
    .execute();
  const seen = held.map((row) => ({
    factId: row.fact_id,
    accountId: row.account_id,
    amountMinor: Number(row.amount_minor),
    hlc: row.hlc,
  }));
  const arriving = {
    factId: fact.id,
    accountId: fact.body.accountId,
    amountMinor: fact.body.amountMinor,
    hlc: fact.hlc,
  };
  return duplicateOf(arriving, seen) ? 'possible-duplicate' : undefined;
}

/** What is wrong with a payment, if anything; the first rule broken names the flag. */
function paymentFlag(fact: Fact, account: AccountRow | undefined): FlagReason | undefined {
  if (!account) return 'account-not-found';
  if (account.currency !== fact.body.currency) return 'currency-mismatch';
  if (Math.abs(Number(account.balance_minor) - fact.body.amountMinor) > MAX_ABS_MINOR)
    return 'balance-out-of-range';
  return cashPaymentFlag(fact.body);
}

/**
 * Projects a cash payment: it pays the account's oldest open bills and lowers the balance. A
 * payment that breaks a rule is recorded for the supervisor with its reason; it still counts
 * against the balance only under the flags in `flagsThatStillApply`.
 */
async function projectPayment(
  trx: Trx,
  fact: Fact,
  account: AccountRow | undefined,
  reason: FlagReason | undefined,
  changeSeq: number,
  receivedAt: Date,
): Promise<void> {
  const body = fact.body;
  await trx
    .insertInto('payments')
    .values({
      fact_id: fact.id,
      account_id: body.accountId,
      agent_id: fact.agentId,
      currency: body.currency,
      amount_minor: body.amountMinor,
      method: body.method,
      receipt_number: body.receiptNumber,
      taken_at: fact.recordedAt,
      received_at: receivedAt.toISOString(),
      status: reason === undefined ? 'accepted' : 'flagged',
      flag_reason: reason ?? null,
    })
    .execute();
  if (!account) return;
  if (reason !== undefined && !flagsThatStillApply.has(reason)) {
    // Not applied, but the account still takes this change's number: the device's next
    // snapshot of it then reaches the ack, and the device stops counting the payment itself.
    await trx
      .updateTable('accounts')
      .set({ change_seq: changeSeq })
      .where('id', '=', account.id)
      .execute();
    return;
  }
  const allocation = allocatePayment(await openBillsOf(trx, account.id), body.amountMinor);
  for (const part of allocation.allocations) {
    await trx
      .updateTable('bills')
      .set((eb) => ({ paid_minor: eb('paid_minor', '+', part.amountMinor) }))
      .where('id', '=', part.billId)
      .execute();
    await trx
      .insertInto('allocations')
      .values({ payment_fact_id: fact.id, bill_id: part.billId, amount_minor: part.amountMinor })
      .execute();
  }
  await trx
    .updateTable('accounts')
    .set({
      balance_minor: minor(Number(account.balance_minor) - body.amountMinor),
      change_seq: changeSeq,
    })
    .where('id', '=', account.id)
    .execute();
}

async function auditConflict(
  store: Store,
  request: PushRequest,
  error: HubError,
  at: Date,
): Promise<void> {
  await store.transaction((trx) =>
    trx
      .insertInto('audit')
      .values({
        at: at.toISOString(),
        actor: `device:${request.deviceId}`,
        action: 'push-refused-fact-conflict',
        detail: JSON.stringify({
          message: error.message,
          details: error.details,
          facts: request.facts,
        }),
      })
      .execute(),
  );
}
