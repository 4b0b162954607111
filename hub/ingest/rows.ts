/**
 * What one push writes, gathered while its facts are applied in memory and written at the end
 * with a few set-based statements per table, in an order the foreign keys accept (facts and new
 * bills before what points at them). A push of 1,000 payments costs about ten statements.
 */
import { nameSearchText } from '../accounts/search-text.ts';
import { sql, type Insertable, type Transaction } from 'kysely';
import type { FactOutcomeKind, FlagReason } from '../../shared/protocol.ts';
import { minor } from '../../shared/money.ts';
import type { Database } from '../store/schema.ts';
import { chunks, type Store } from '../store/store.ts';
import type { AccountState, BillState } from './state.ts';

export type Trx = Transaction<Database>;

type Rows<T extends keyof Database> = Insertable<Database[T]>[];

export interface Writes {
  readonly facts: Rows<'facts'>;
  readonly bills: Rows<'bills'>;
  readonly payments: Rows<'payments'>;
  readonly allocations: Rows<'allocations'>;
  readonly reversals: Rows<'reversals'>;
  readonly voids: Rows<'voids'>;
  readonly contactEdits: Rows<'contact_edits'>;
  readonly creditRequests: Rows<'credit_requests'>;
  readonly handovers: Rows<'handovers'>;
  readonly readings: Rows<'readings'>;
  readonly spotBills: Rows<'spot_bills'>;
  readonly carried: Rows<'carried'>;
  readonly ledger: Rows<'ledger'>;
  readonly topUps: Rows<'top_ups'>;
  readonly topUpTokens: Rows<'top_up_tokens'>;
  /** Prepaid meters whose highest sold count the push raised: account id → count. */
  readonly meterCounts: Map<string, number>;
  /** Payments a void reversed: payment id → void id. */
  readonly voided: Map<string, string>;
  /** Held voids decided by a payment's arrival. */
  readonly released: {
    readonly voidId: string;
    readonly paymentId: string;
    readonly status: 'applied' | 'flagged';
    readonly reason: FlagReason | null;
    readonly reversedMinor: number;
    readonly outcome: FactOutcomeKind;
    readonly changeSeq: number;
  }[];
  /** Readings an arriving reading showed to be the odd one out. */
  readonly readingsFlagged: Set<string>;
  /** Waiting differences billed by a bill printed at the door: carried id → bill id. */
  readonly carriedBilled: Map<string, string>;
}

export function emptyWrites(): Writes {
  return {
    facts: [],
    bills: [],
    payments: [],
    allocations: [],
    reversals: [],
    voids: [],
    contactEdits: [],
    creditRequests: [],
    handovers: [],
    readings: [],
    spotBills: [],
    carried: [],
    ledger: [],
    topUps: [],
    topUpTokens: [],
    meterCounts: new Map(),
    voided: new Map(),
    released: [],
    readingsFlagged: new Set(),
    carriedBilled: new Map(),
  };
}

export async function writeAll(
  store: Store,
  trx: Trx,
  writes: Writes,
  accounts: Iterable<AccountState>,
  bills: Iterable<BillState>,
): Promise<void> {
  const held = new Map([...bills].map((entry) => [entry.bill.id, entry]));
  await store.insertMany(trx, 'facts', writes.facts);
  // A bill issued by this push goes in with what later facts of the push paid on it.
  await store.insertMany(
    trx,
    'bills',
    writes.bills.map((row) => ({
      ...row,
      paid_minor: held.get(row.id)?.bill.paidMinor ?? row.paid_minor,
    })),
  );
  await store.insertMany(trx, 'payments', writes.payments);
  await store.insertMany(trx, 'allocations', writes.allocations);
  await store.insertMany(trx, 'reversals', writes.reversals);
  await store.insertMany(trx, 'voids', writes.voids);
  await store.insertMany(trx, 'contact_edits', writes.contactEdits);
  await store.insertMany(trx, 'credit_requests', writes.creditRequests);
  await store.insertMany(trx, 'handovers', writes.handovers);
  await store.insertMany(trx, 'readings', writes.readings);
  await store.insertMany(trx, 'spot_bills', writes.spotBills);
  await store.insertMany(trx, 'carried', writes.carried);
  await store.insertMany(trx, 'ledger', writes.ledger);
  await store.insertMany(trx, 'top_ups', writes.topUps);
  await store.insertMany(trx, 'top_up_tokens', writes.topUpTokens);
  for (const [accountId, count] of writes.meterCounts)
    await trx
      .updateTable('prepaid_meters')
      .set({ last_count: count })
      .where('account_id', '=', accountId)
      .where('last_count', '<', count)
      .execute();
  const created = new Set(writes.bills.map((bill) => bill.id));
  await addToBills(
    trx,
    [...held.values()]
      .filter((entry) => !created.has(entry.bill.id) && entry.bill.paidMinor !== entry.paidAtRead)
      .map((entry) => [entry.bill.id, entry.bill.paidMinor - entry.paidAtRead]),
  );
  for (const [paymentId, voidId] of writes.voided)
    await trx
      .updateTable('payments')
      .set({ voided_by: voidId })
      .where('fact_id', '=', paymentId)
      .execute();
  await writeReleased(trx, writes.released);
  if (writes.readingsFlagged.size > 0)
    await trx
      .updateTable('readings')
      .set({ status: 'flagged', flag_reason: 'competing-reading' })
      .where('id', 'in', [...writes.readingsFlagged])
      .execute();
  for (const [id, billedBy] of writes.carriedBilled)
    await trx.updateTable('carried').set({ billed_by: billedBy }).where('id', '=', id).execute();
  await writeAccounts(
    trx,
    [...accounts].filter((a) => a.changeSeq !== a.row.change_seq),
  );
}

async function writeReleased(trx: Trx, released: Writes['released']): Promise<void> {
  for (const entry of released) {
    await trx
      .updateTable('voids')
      .set({
        payment_id: entry.paymentId,
        status: entry.status,
        flag_reason: entry.reason,
        reversed_minor: entry.reversedMinor as never,
      })
      .where('fact_id', '=', entry.voidId)
      .execute();
    await trx
      .updateTable('facts')
      .set({ outcome: entry.outcome, flag_reason: entry.reason, change_seq: entry.changeSeq })
      .where('id', '=', entry.voidId)
      .execute();
  }
}

/** Adds what the push paid (or a void took back) to each bill, one statement per chunk. */
async function addToBills(trx: Trx, paid: readonly [string, number][]): Promise<void> {
  for (const part of chunks(paid)) {
    const values = sql.join(part.map(([id, amount]) => sql`(${id}, cast(${amount} as bigint))`));
    await sql`with paid (id, amount) as (values ${values})
      update bills set paid_minor = bills.paid_minor + paid.amount
      from paid where bills.id = paid.id`.execute(trx);
  }
}

/** Writes each account's balance and change number (and contact fields the push changed). */
async function writeAccounts(trx: Trx, accounts: readonly AccountState[]): Promise<void> {
  for (const account of accounts.filter((a) => Object.keys(a.fields).length > 0))
    await trx
      .updateTable('accounts')
      .set({
        ...account.fields,
        // The name as search reads it changes with the name.
        ...(account.fields.name === undefined
          ? {}
          : { name_search: nameSearchText(account.fields.name) }),
      })
      .where('id', '=', account.row.id)
      .execute();
  for (const account of accounts)
    if (account.budget)
      await trx
        .updateTable('accounts')
        .set({ budget_minor: minor(account.budget.minor), budget_hlc: account.budget.hlc })
        .where('id', '=', account.row.id)
        .execute();
  for (const part of chunks(accounts)) {
    const values = sql.join(
      part.map(
        (a) =>
          sql`(${a.row.id}, cast(${a.balanceMinor} as bigint), cast(${a.changeSeq} as bigint))`,
      ),
    );
    await sql`with moved (id, balance, change) as (values ${values})
      update accounts set balance_minor = moved.balance, change_seq = moved.change
      from moved where accounts.id = moved.id`.execute(trx);
  }
}
