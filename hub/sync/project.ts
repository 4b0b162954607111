/**
 * Applying a fact the hub has just verified: store it, decide by the conflict rules in
 * shared/, and project its effect on the account, all inside the push's transaction. Every
 * fact on a known account gives the account its change number, so the device's next pull of
 * that account reaches the fact's acknowledgement.
 */

import type { Fact } from '../../shared/facts.ts';
import { canonicalJson } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';
import type { FactOutcome, FactOutcomeKind, FlagReason } from '../../shared/protocol.ts';
import { nextCounter } from '../store/store.ts';
import { projectPayment, projectVoid } from './project-money.ts';
import { projectContact, projectReading, projectSpotBill } from './project-records.ts';
import { factRow, type Context, type Decision, type Trx } from './projection.ts';

export function outcomeOf(row: {
  id: string;
  seq: number;
  outcome: FactOutcomeKind;
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

export async function applyFact(
  trx: Trx,
  fact: Fact,
  receivedAt: Date,
  document: string = canonicalJson(fact),
): Promise<FactOutcome> {
  const changeSeq = await nextCounter(trx, 'change');
  const account = await trx
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', fact.body.accountId)
    .executeTakeFirst();
  await trx
    .insertInto('facts')
    .values(factRow(fact, document, receivedAt.toISOString(), changeSeq))
    .execute();
  const context: Context = {
    trx,
    changeSeq,
    receivedAt,
    account,
    effect: { entries: new Map(), fields: {} },
  };
  const decision = await project(context, fact);
  if (decision.outcome !== 'accepted') {
    await trx
      .updateTable('facts')
      .set({ outcome: decision.outcome, flag_reason: decision.reason ?? null })
      .where('id', '=', fact.id)
      .execute();
  }
  if (account) {
    // Not applied or not about money, the account still takes this change's number: the
    // device's next snapshot of it then reaches the ack, and the device stops counting the fact.
    let delta = 0;
    for (const [source, deltaMinor] of context.effect.entries) {
      delta += deltaMinor;
      await trx
        .insertInto('ledger')
        .values({ source, account_id: account.id, delta_minor: deltaMinor, change_seq: changeSeq })
        .execute();
    }
    await trx
      .updateTable('accounts')
      .set({
        ...context.effect.fields,
        balance_minor: minor(Number(account.balance_minor) + delta),
        change_seq: changeSeq,
      })
      .where('id', '=', account.id)
      .execute();
  }
  return outcomeOf({
    id: fact.id,
    seq: fact.seq,
    outcome: decision.outcome,
    flag_reason: decision.reason ?? null,
    change_seq: changeSeq,
  });
}

function project(context: Context, fact: Fact): Promise<Decision> {
  switch (fact.kind) {
    case 'payment':
      return projectPayment(context, fact);
    case 'void':
      return projectVoid(context, fact);
    case 'contact':
      return projectContact(context, fact);
    case 'reading':
      return projectReading(context, fact);
    case 'spot-bill':
      return projectSpotBill(context, fact);
  }
}
