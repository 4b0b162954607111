/**
 * Reading payments as the rules see them: each account's latest unvoided payments in the order
 * they arrived at the hub (their change numbers), which the duplicate rule compares a new
 * payment with at ingest, and which a pull sends so the device can warn its agent too.
 */
import { sql, type Transaction } from 'kysely';
import type { MinorUnits } from '../../shared/money.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import type { Database } from './schema.ts';

/** What the duplicate rule compares of a payment: all of it in the payments_recent index. */
export interface SeenPayment {
  readonly fact_id: string;
  readonly account_id: string;
  readonly amount_minor: MinorUnits;
  readonly hlc: string;
}

export interface LatestPayment extends SeenPayment {
  readonly receipt_number: string;
  readonly taken_at: string;
  readonly flag_reason: FlagReason | null;
}

const SEEN_COLUMNS = sql`fact_id, account_id, amount_minor, hlc, change_seq`;
const LATEST_COLUMNS = sql`fact_id, account_id, receipt_number, amount_minor, hlc, taken_at,
  flag_reason, change_seq`;

/**
 * Up to `limit` latest unvoided payments of each account, oldest first: one walk of the
 * payments_recent index per account, stopped at the limit, in one statement. Callers keep the
 * list of accounts to a few hundred.
 */
export async function latestPayments(
  trx: Transaction<Database>,
  accountIds: readonly string[],
  limit: number,
): Promise<LatestPayment[]> {
  return latest<LatestPayment>(trx, accountIds, limit, LATEST_COLUMNS);
}

/**
 * The same payments with only what the duplicate rule compares, read from the index alone
 * (a push of 100 payments compares each with its account's latest 50: 5,000 rows, each a
 * lookup in the table when more is read).
 */
export async function latestPaymentsSeen(
  trx: Transaction<Database>,
  accountIds: readonly string[],
  limit: number,
): Promise<SeenPayment[]> {
  return latest<SeenPayment>(trx, accountIds, limit, SEEN_COLUMNS);
}

async function latest<Row>(
  trx: Transaction<Database>,
  accountIds: readonly string[],
  limit: number,
  columns: typeof SEEN_COLUMNS,
): Promise<Row[]> {
  if (accountIds.length === 0) return [];
  const latest = accountIds.map(
    (id) =>
      sql`select * from (select ${columns} from payments where account_id = ${id}
          and voided_by is null order by change_seq desc limit ${limit}) as latest`,
  );
  // Put in order here, not by the statement: sorting a few thousand rows in SQLite took longer
  // than reading them. Each payment has its own change number; the id only makes it total.
  const { rows } = await sql<Row & Ordered>`${sql.join(latest, sql` union all `)}`.execute(trx);
  return rows.sort(
    (a, b) =>
      a.change_seq - b.change_seq || (a.fact_id < b.fact_id ? -1 : a.fact_id > b.fact_id ? 1 : 0),
  );
}

/** The columns every read of latest payments has, that put them in order. */
interface Ordered {
  readonly change_seq: number;
  readonly fact_id: string;
}
