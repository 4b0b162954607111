/**
 * Reading bills from the store as the domain's Bill, oldest first (due date, issue date, id):
 * the order payments pay them in. Ingest and pull both read bills this way.
 */
import type { Selectable, Transaction } from 'kysely';
import type { Bill } from '../../shared/billing.ts';
import type { Database } from './schema.ts';

/** The open bills of several accounts: each account's oldest first, accounts in id order. */
export async function openBillsOfAccounts(
  trx: Pick<Transaction<Database>, 'selectFrom'>,
  accountIds: readonly string[],
): Promise<{ accountId: string; bill: Bill }[]> {
  if (accountIds.length === 0) return [];
  const rows = await trx
    .selectFrom('bills')
    .selectAll()
    .where('account_id', 'in', accountIds)
    .whereRef('paid_minor', '<', 'amount_minor')
    .orderBy('account_id')
    .orderBy('due_on')
    .orderBy('issued_on')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ accountId: row.account_id, bill: billOf(row) }));
}

/** A bill row as the domain's Bill. */
export function billOf(row: Selectable<Database['bills']>): Bill {
  return {
    id: row.id,
    period: { from: row.period_from, to: row.period_to },
    issuedOn: row.issued_on,
    dueOn: row.due_on,
    kwh: row.kwh,
    amountMinor: row.amount_minor,
    paidMinor: row.paid_minor,
  };
}

export async function openBillsOf(
  trx: Pick<Transaction<Database>, 'selectFrom'>,
  accountId: string,
): Promise<Bill[]> {
  return (await openBillsOfAccounts(trx, [accountId])).map((open) => open.bill);
}
