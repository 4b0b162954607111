/**
 * Migrations of issue 13 (the agent app, complete).
 *
 * 0017, every way to pay: a payment keeps its method's details beside the amount, so the
 * supervisor's lists and a provider's confirmation (issue 16) can find it by them. All null for
 * cash, and for payments stored before: their method was cash.
 */
import type { Kysely, Migration } from 'kysely';

export const paymentDetails: Migration = {
  async up(db: Kysely<unknown>) {
    for (const column of ['provider', 'reference', 'payer_phone', 'card_brand', 'card_last4'])
      await db.schema.alterTable('payments').addColumn(column, 'text').execute();
    await db.schema
      .createIndex('payments_by_reference')
      .on('payments')
      .columns(['method', 'reference'])
      .execute();
  },
};
