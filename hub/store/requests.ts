/**
 * What refund and transfer requests waiting for a supervisor ask of accounts' credit: read by
 * ingest (a new request may ask only for what is left) and by pulls (so tablets know it too).
 */
import type { Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { chunks } from './store.ts';

export async function creditRequested(
  trx: Transaction<Database>,
  accountIds: readonly string[],
): Promise<Map<string, number>> {
  const asked = new Map<string, number>();
  for (const part of chunks(accountIds)) {
    const rows = await trx
      .selectFrom('credit_requests')
      .select(['account_id', (eb) => eb.fn.sum<number>('amount_minor').as('asked')])
      .where('account_id', 'in', part)
      .where('status', '=', 'pending')
      .groupBy('account_id')
      .execute();
    for (const row of rows) asked.set(row.account_id, Number(row.asked));
  }
  return asked;
}
