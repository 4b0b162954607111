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

/**
 * 0018, prepaid top-ups: an account's prepaid meter (its OpenPAYGO key, starting code, unit,
 * the highest count sold, and the device now holding its lease), every lease granted (the
 * device may use exactly those counts), every top-up with what it sold, and every token by its
 * count, which is unique per meter: a count is sold once.
 */
export const prepaidTopUps: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('prepaid_meters')
      .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
      .addColumn('system', 'text', (c) => c.notNull())
      .addColumn('secret_key', 'text', (c) => c.notNull())
      .addColumn('starting_code', 'bigint', (c) => c.notNull())
      .addColumn('restricted_digits', 'integer', (c) => c.notNull())
      .addColumn('unit_wh', 'integer', (c) => c.notNull())
      .addColumn('last_count', 'bigint', (c) => c.notNull())
      .addColumn('lease_device_id', 'text')
      .addColumn('lease_from', 'bigint', (c) => c.notNull())
      .addColumn('lease_to', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('token_leases')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('from_count', 'bigint', (c) => c.notNull())
      .addColumn('to_count', 'bigint', (c) => c.notNull())
      .addColumn('granted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('token_leases_pk', ['account_id', 'from_count'])
      .execute();
    await db.schema
      .createTable('top_ups')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('sold_on', 'text', (c) => c.notNull())
      .addColumn('energy_wh', 'bigint', (c) => c.notNull())
      .addColumn('cost_minor', 'bigint', (c) => c.notNull())
      .addColumn('tariff_id', 'text', (c) => c.notNull())
      .addColumn('tariff_version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('top_ups_account').on('top_ups').column('account_id').execute();
    await db.schema
      .createTable('top_up_tokens')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('fact_id', 'text', (c) => c.notNull().references('facts.id'))
      .addColumn('value', 'integer', (c) => c.notNull())
      .addColumn('digits', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('top_up_tokens_pk', ['account_id', 'count'])
      .execute();
  },
};

/**
 * 0019, budgets: the monthly budget a customer set through an agent (a `budget` fact), and the
 * hybrid clock stamp of the fact that set it: a later setting wins, in whatever order they arrive.
 */
export const customerBudgets: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('accounts').addColumn('budget_minor', 'bigint').execute();
    await db.schema.alterTable('accounts').addColumn('budget_hlc', 'text').execute();
  },
};

/**
 * 0020, credit requests: refunds of credit and transfers of credit to another account, each a
 * device's fact that waits (`pending`) for a supervisor's decision, or was flagged on arrival.
 */
export const creditRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('credit_requests')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('to_account_id', 'text')
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('credit_requests_account')
      .on('credit_requests')
      .columns(['account_id', 'status'])
      .execute();
  },
};

/**
 * 0021, handovers: an agent's end-of-day handover of a device's cash, with the cash the hub
 * expected over the handover's facts and the cash counted, waiting for a supervisor to confirm.
 */
export const handovers: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('handovers')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('from_seq', 'bigint', (c) => c.notNull())
      .addColumn('through_seq', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('expected_minor', 'bigint', (c) => c.notNull())
      .addColumn('counted_minor', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('handovers_device')
      .on('handovers')
      .columns(['device_id', 'through_seq'])
      .execute();
  },
};

/**
 * 0022, areas: a named group of routes (a market town and the villages around it), which a
 * village agent's pop-up payment point serves whole. A route belongs to one area at most; an
 * agent has a route (a field agent) or an area (a village agent), set by a supervisor.
 */
export const areas: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('areas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('region_id', 'text', (c) => c.references('regions.id'))
      .execute();
    await db.schema
      .alterTable('routes')
      .addColumn('area_id', 'text', (c) => c.references('areas.id'))
      .execute();
    await db.schema
      .alterTable('users')
      .addColumn('area_id', 'text', (c) => c.references('areas.id'))
      .execute();
  },
};

/**
 * 0023, what a session serves: an agent's route or area as it was when she signed in. Her device
 * keeps that scope's cursor until her next sign-in, so the hub serves that scope to the session
 * too: a supervisor's change reaches both at the same moment (`scoped` 0: a session made before
 * this migration, which follows the user's row as before).
 */
export const sessionScopes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('route_id', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('area_id', 'text').execute();
    await db.schema
      .alterTable('sessions')
      .addColumn('scoped', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
