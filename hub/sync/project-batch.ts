/**
 * Cash payments applied as a batch: the same rules as `applyFact` + `projectPayment`, fact by
 * fact in the device's order, but with the state they read (the accounts, their open bills,
 * their recent payments) read once for the whole run and kept in memory, and every row written
 * with a few set-based statements at the end. A push of 1,000 payments then costs about ten
 * statements instead of ten thousand.
 *
 * Only payments that release no held void run here: a payment some void waits for, and every
 * other kind of fact, goes through `applyFact`, after the batch before it is written.
 * tests/hub/ingest-batch.test.ts checks that both ways leave the store identical.
 */
import { sql, type Insertable } from 'kysely';
import { allocatePayment, type Bill } from '../../shared/billing.ts';
import { parseHlc } from '../../shared/clock.ts';
import { duplicateOf, type PaymentSeen } from '../../shared/conflicts.ts';
import type { Fact, FactOf } from '../../shared/facts.ts';
import { canonicalJson } from '../../shared/hash.ts';
import { MAX_ABS_MINOR, minor } from '../../shared/money.ts';
import { cashPaymentFlag } from '../../shared/payments.ts';
import { flagsThatStillApply, type FactOutcome, type FlagReason } from '../../shared/protocol.ts';
import type { Database } from '../store/schema.ts';
import { openBillsOfAccounts } from '../store/bills.ts';
import { chunks, takeCounters, type Store } from '../store/store.ts';
import { outcomeOf } from './project.ts';
import { factRow, flag, paymentRow, type AccountRow, type Trx } from './projection.ts';

/** How many recent payments of an account the duplicate rule looks at (as `duplicateFlag`). */
const RECENT_PAYMENTS = 50;

/** What the run reads of one account, kept up to date as its payments are applied. */
interface AccountState {
  readonly row: AccountRow;
  balanceMinor: number;
  changeSeq: number;
  /** Open bills, oldest first, with what this run has paid on them. */
  bills: Bill[];
  /** Unvoided payments, oldest first: at most RECENT_PAYMENTS from the store, then this run's. */
  readonly recent: PaymentSeen[];
}

function seen(factId: string, accountId: string, amountMinor: number, hlc: string): PaymentSeen {
  return { factId, accountId, amountMinor, hlc, wallMs: parseHlc(hlc)?.wallMs ?? Number.NaN };
}

/** Whether payments in `facts` release voids that arrived before them (those need applyFact). */
export async function paymentsWithHeldVoids(
  trx: Trx,
  paymentIds: readonly string[],
): Promise<Set<string>> {
  const held = new Set<string>();
  for (const ids of chunks(paymentIds)) {
    const rows = await trx
      .selectFrom('voids')
      .select('payment_id')
      .where('status', '=', 'held')
      .where('payment_id', 'in', ids)
      .execute();
    for (const row of rows) held.add(row.payment_id);
  }
  return held;
}

export async function applyPayments(
  store: Store,
  trx: Trx,
  facts: readonly FactOf<'payment'>[],
  /** Each fact's canonical JSON, made while its hash was checked. */
  documents: ReadonlyMap<Fact, string>,
  receivedAt: Date,
): Promise<FactOutcome[]> {
  if (facts.length === 0) return [];
  // The change numbers are taken before anything is read: on PostgreSQL the counter's row stays
  // locked to commit (ingest took it already), so the balances, open bills and recent payments
  // read below cannot change before this push's writes. Signatures, hashes and parsing ran
  // before the transaction, outside the lock.
  const firstChange = await takeCounters(trx, 'change', facts.length);
  const accounts = await readAccounts(trx, [...new Set(facts.map((f) => f.body.accountId))]);
  const receivedIso = receivedAt.toISOString();
  const factRows: Insertable<Database['facts']>[] = [];
  const paymentRows: Insertable<Database['payments']>[] = [];
  const allocationRows: Insertable<Database['allocations']>[] = [];
  const ledgerRows: Insertable<Database['ledger']>[] = [];
  const billsPaid = new Map<string, number>();
  const outcomes: FactOutcome[] = [];
  facts.forEach((fact, index) => {
    const changeSeq = firstChange + index;
    const body = fact.body;
    const account = accounts.get(body.accountId);
    const reason = paymentFlag(fact, account);
    const applied =
      account !== undefined && (reason === undefined || flagsThatStillApply.has(reason));
    if (applied && account) {
      const allocation = allocatePayment(account.bills, body.amountMinor);
      for (const part of allocation.allocations) {
        billsPaid.set(part.billId, (billsPaid.get(part.billId) ?? 0) + part.amountMinor);
        allocationRows.push({
          payment_fact_id: fact.id,
          bill_id: part.billId,
          amount_minor: part.amountMinor,
        });
      }
      account.bills = allocation.bills.filter((bill) => bill.paidMinor < bill.amountMinor);
      account.balanceMinor = minor(account.balanceMinor - body.amountMinor);
      if (body.amountMinor !== 0)
        ledgerRows.push({
          source: fact.id,
          account_id: account.row.id,
          delta_minor: -body.amountMinor,
          change_seq: changeSeq,
        });
    }
    if (account) {
      account.changeSeq = changeSeq;
      account.recent.push(seen(fact.id, body.accountId, body.amountMinor, fact.hlc));
      if (account.recent.length > RECENT_PAYMENTS) account.recent.shift();
    }
    const decision = reason === undefined ? undefined : flag(reason);
    factRows.push(
      factRow(fact, documents.get(fact) ?? canonicalJson(fact), receivedIso, changeSeq, decision),
    );
    paymentRows.push(paymentRow(fact, receivedIso, reason));
    outcomes.push(
      outcomeOf({
        id: fact.id,
        seq: fact.seq,
        outcome: decision?.outcome ?? 'accepted',
        flag_reason: reason ?? null,
        change_seq: changeSeq,
      }),
    );
  });
  await store.insertMany(trx, 'facts', factRows);
  await store.insertMany(trx, 'payments', paymentRows);
  await store.insertMany(trx, 'allocations', allocationRows);
  await store.insertMany(trx, 'ledger', ledgerRows);
  await addToBills(trx, billsPaid);
  await writeAccounts(
    trx,
    [...accounts.values()].filter((a) => a.changeSeq !== Number(a.row.change_seq)),
  );
  return outcomes;
}

/** As `paymentFlag` + `duplicateFlag` in project-money.ts, on the run's state. */
function paymentFlag(
  fact: FactOf<'payment'>,
  account: AccountState | undefined,
): FlagReason | undefined {
  if (!account) return 'account-not-found';
  if (account.row.currency !== fact.body.currency) return 'currency-mismatch';
  if (Math.abs(account.balanceMinor - fact.body.amountMinor) > MAX_ABS_MINOR)
    return 'balance-out-of-range';
  const cash = cashPaymentFlag(fact.body);
  if (cash !== undefined) return cash;
  const arriving = seen(fact.id, fact.body.accountId, fact.body.amountMinor, fact.hlc);
  return duplicateOf(arriving, account.recent) ? 'possible-duplicate' : undefined;
}

async function readAccounts(trx: Trx, ids: readonly string[]): Promise<Map<string, AccountState>> {
  const accounts = new Map<string, AccountState>();
  for (const part of chunks(ids)) {
    const rows = await trx.selectFrom('accounts').selectAll().where('id', 'in', part).execute();
    for (const row of rows) {
      accounts.set(row.id, {
        row,
        balanceMinor: Number(row.balance_minor),
        changeSeq: Number(row.change_seq),
        bills: [],
        recent: [],
      });
    }
    const known = rows.map((row) => row.id);
    if (known.length === 0) continue;
    for (const { accountId, bill } of await openBillsOfAccounts(trx, known))
      accounts.get(accountId)?.bills.push(bill);
    // Each account's latest unvoided payments, oldest first: one walk of the payments_recent
    // index per account, stopped at the limit.
    const latest = known.map(
      (id) =>
        sql`select * from (select fact_id, account_id, amount_minor, hlc, received_at
            from payments where account_id = ${id} and voided_by is null
            order by received_at desc limit ${RECENT_PAYMENTS}) as latest`,
    );
    const recent = await sql<{
      fact_id: string;
      account_id: string;
      amount_minor: number;
      hlc: string;
    }>`${sql.join(latest, sql` union all `)} order by received_at, fact_id`.execute(trx);
    for (const row of recent.rows) {
      accounts
        .get(row.account_id)
        ?.recent.push(seen(row.fact_id, row.account_id, Number(row.amount_minor), row.hlc));
    }
  }
  return accounts;
}

/** Adds what the run paid to each bill, one statement per chunk of bills. */
async function addToBills(trx: Trx, paid: ReadonlyMap<string, number>): Promise<void> {
  for (const part of chunks([...paid])) {
    const values = sql.join(part.map(([id, amount]) => sql`(${id}, cast(${amount} as bigint))`));
    await sql`with paid (id, amount) as (values ${values})
      update bills set paid_minor = bills.paid_minor + paid.amount
      from paid where bills.id = paid.id`.execute(trx);
  }
}

/** Writes each account's new balance and change number, one statement per chunk. */
async function writeAccounts(trx: Trx, accounts: readonly AccountState[]): Promise<void> {
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
