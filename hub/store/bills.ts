/**
 * Reading bills from the store as the domain's Bill, oldest first (due date, issue date, id):
 * the order payments pay them in. Ingest and pull both read bills this way.
 */
import type { Transaction } from 'kysely';
import type { Bill } from '../../shared/billing.ts';
import { minor } from '../../shared/money.ts';
import type { Database } from './schema.ts';

export async function openBillsOf(
  trx: Pick<Transaction<Database>, 'selectFrom'>,
  accountId: string,
): Promise<Bill[]> {
  const rows = await trx
    .selectFrom('bills')
    .selectAll()
    .where('account_id', '=', accountId)
    .whereRef('paid_minor', '<', 'amount_minor')
    .orderBy('due_on')
    .orderBy('issued_on')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    period: row.period,
    issuedOn: row.issued_on,
    dueOn: row.due_on,
    kwh: row.kwh,
    amountMinor: minor(Number(row.amount_minor)),
    paidMinor: minor(Number(row.paid_minor)),
  }));
}
