/**
 * 0024, STS top-ups (docs/prepaid-tokens.md, "STS"): an account's STS meter as the hub's
 * software vending module knows it (its identity, base date, the last token identifier issued,
 * whether sales are stopped), the module's vending keys by supply group and key revision (the
 * demo's; a deployment may give its key in HUB_STS_VENDING_KEY instead), and every vend by its
 * request id, which is the payment's fact id: a request is vended once, and a meter never gets
 * two tokens with one identifier.
 */
import type { Kysely, Migration } from 'kysely';

export const stsTopUps: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sts_meters')
      .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
      .addColumn('meter_number', 'text', (c) => c.notNull().unique())
      .addColumn('supply_group_code', 'text', (c) => c.notNull())
      .addColumn('key_revision', 'integer', (c) => c.notNull())
      .addColumn('tariff_index', 'text', (c) => c.notNull())
      .addColumn('base_date', 'integer', (c) => c.notNull())
      .addColumn('last_tid', 'bigint', (c) => c.notNull())
      .addColumn('blocked', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sts_vending_keys')
      .addColumn('supply_group_code', 'text', (c) => c.notNull())
      .addColumn('key_revision', 'integer', (c) => c.notNull())
      .addColumn('vending_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sts_vending_keys_pk', ['supply_group_code', 'key_revision'])
      .execute();
    await db.schema
      .createTable('sts_vends')
      .addColumn('request_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('meter_number', 'text', (c) => c.notNull())
      .addColumn('requested_deci_kwh', 'bigint', (c) => c.notNull())
      .addColumn('energy_deci_kwh', 'bigint', (c) => c.notNull())
      .addColumn('tid', 'bigint', (c) => c.notNull())
      .addColumn('tokens', 'text', (c) => c.notNull())
      .addColumn('vend_reference', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('sts_vends_meter_tid')
      .unique()
      .on('sts_vends')
      .columns(['meter_number', 'tid'])
      .execute();
    await db.schema.createIndex('sts_vends_account').on('sts_vends').column('account_id').execute();
  },
};
