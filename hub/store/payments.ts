/**
 * Reading payments as the rules see them: each account's latest unvoided payments in the order
 * they arrived at the hub (their change numbers), which the duplicate rule compares a new
 * payment with at ingest, and which a pull sends so the device can warn its agent too.
 */
import { sql, type Transaction } from 'kysely';
import type { MinorUnits } from '../../shared/money.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import type { Database } from './schema.ts';

export interface LatestPayment {
  readonly fact_id: string;
  readonly account_id: string;
  readonly receipt_number: string;
  readonly amount_minor: MinorUnits;
  readonly hlc: string;
  readonly taken_at: string;
  readonly flag_reason: FlagReason | null;
}

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
  if (accountIds.length === 0) return [];
  const latest = accountIds.map(
    (id) =>
      sql`select * from (select fact_id, account_id, receipt_number, amount_minor, hlc, taken_at,
          flag_reason, change_seq from payments where account_id = ${id} and voided_by is null
          order by change_seq desc limit ${limit}) as latest`,
  );
  const rows = await sql<LatestPayment>`${sql.join(latest, sql` union all `)}
    order by change_seq, fact_id`.execute(trx);
  return rows.rows;
}
