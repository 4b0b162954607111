/**
 * Forward-only schema migrations, written with Kysely's schema builder so that one set serves
 * SQLite and PostgreSQL. A migration is never edited once it has shipped; a change is a new
 * migration. Where the engines differ in a column's type (an auto-numbered key), the migration
 * asks which engine it runs on; the SQL SQLite runs is the SQL it always ran.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { randomUUID } from 'node:crypto';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { auditHash, type AuditRow } from './audit.ts';
import {
  admins,
  deviceUnlockSecrets,
  edgeInTheStore,
  hubSigningKey,
  regions,
  secondFactors,
} from './migrations-security.ts';
import {
  areas,
  creditRequests,
  customerBudgets,
  handovers,
  paymentDetails,
  prepaidTopUps,
  sessionScopes,
} from './migrations-payments.ts';
import { stsTopUps } from './migrations-sts.ts';
import { searchableNames } from './migrations-search.ts';
import type { Engine } from './store.ts';

const initial = (engine: Engine): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('routes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent', 'supervisor')`))
      .addColumn('route_id', 'text', (c) => c.references('routes.id'))
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('device_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('registered_at', 'text', (c) => c.notNull())
      .addColumn('registered_by', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('head_seq', 'integer', (c) => c.notNull())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tariffs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_number', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('meter_number', 'text', (c) => c.notNull())
      .addColumn('route_id', 'text', (c) => c.notNull().references('routes.id'))
      .addColumn('tariff_id', 'text', (c) => c.notNull().references('tariffs.id'))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('balance_minor', 'bigint', (c) => c.notNull())
      .addColumn('change_seq', 'bigint', (c) => c.notNull())
      .execute();
    // Every change to an account takes its own change number, so a page of a pull can end
    // after any account without splitting a change.
    await db.schema
      .createIndex('accounts_change')
      .on('accounts')
      .column('change_seq')
      .unique()
      .execute();
    await db.schema
      .createIndex('accounts_route_change')
      .on('accounts')
      .columns(['route_id', 'change_seq'])
      .execute();
    await db.schema
      .createTable('bills')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('issued_on', 'text', (c) => c.notNull())
      .addColumn('due_on', 'text', (c) => c.notNull())
      .addColumn('kwh', 'integer', (c) => c.notNull())
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('paid_minor', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('bills_account')
      .on('bills')
      .columns(['account_id', 'due_on'])
      .execute();
    await db.schema
      .createTable('readings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('read_on', 'text', (c) => c.notNull())
      .addColumn('register_kwh', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('readings_account')
      .on('readings')
      .columns(['account_id', 'read_on'])
      .execute();
    await db.schema
      .createTable('facts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hlc', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .addColumn('change_seq', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('facts_device_seq', ['device_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('facts_device_change')
      .on('facts')
      .columns(['device_id', 'change_seq'])
      .execute();
    await db.schema
      .createTable('payments')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('receipt_number', 'text', (c) => c.notNull())
      .addColumn('taken_at', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .execute();
    await db.schema
      .createIndex('payments_received')
      .on('payments')
      .columns(['received_at'])
      .execute();
    await db.schema
      .createTable('allocations')
      .addColumn('payment_fact_id', 'text', (c) => c.notNull().references('facts.id'))
      .addColumn('bill_id', 'text', (c) => c.notNull().references('bills.id'))
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('allocations_pk', ['payment_fact_id', 'bill_id'])
      .execute();
    await db.schema
      .createTable('counters')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('audit')
      .$call((table) =>
        engine === 'postgres'
          ? table.addColumn('id', 'serial', (c) => c.primaryKey())
          : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
      )
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
  },
});

/** Tariffs keep every version, each with its effective date, so a bill across a change can prorate. */
const tariffVersions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('tariff_versions')
      .addColumn('tariff_id', 'text', (c) => c.notNull().references('tariffs.id'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('effective_from', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('tariff_versions_pk', ['tariff_id', 'version'])
      .execute();
    await sql`insert into tariff_versions (tariff_id, version, effective_from, document)
              select id, 1, '1970-01-01', document from tariffs`.execute(db);
    await db.schema.alterTable('tariffs').dropColumn('document').execute();
  },
};

/**
 * Device enrolment: a device is known by the public key it registered with a supervisor's
 * one-time code, and can be revoked. Codes are stored as hashes, like session tokens.
 */
const deviceEnrolment: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('devices').addColumn('public_key', 'text').execute();
    await db.schema.alterTable('devices').addColumn('label', 'text').execute();
    await db.schema
      .alterTable('devices')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
      .execute();
    await db.schema.alterTable('devices').addColumn('revoked_at', 'text').execute();
    await db.schema.alterTable('devices').addColumn('last_push_at', 'text').execute();
    await db.schema
      .createTable('enrolment_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('device_id', 'text')
      .execute();
  },
};

/** How far off each device's clock was at its last push: tolerated, but shown to supervisors. */
const deviceClockSkew: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('devices').addColumn('clock_skew_ms', 'bigint').execute();
  },
};

/** The duplicate-payment rule looks up an account's recent payments on every payment ingested. */
const paymentsByAccount: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('payments_account')
      .on('payments')
      .columns(['account_id', 'received_at'])
      .execute();
  },
};

/**
 * The fact kinds beyond payments: voids (compensating, held until their payment arrives),
 * contact edits (every value kept), meter readings from devices (every reading kept, with a
 * status), spot bills printed at the door and the differences the hub carries to the next bill.
 * Tariff versions take a change number so devices pull new ones.
 */
const factKinds: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('payments').addColumn('voided_by', 'text').execute();
    await db.schema
      .createTable('voids')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('payment_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('hlc', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .addColumn('reversed_minor', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('voids_payment').on('voids').column('payment_id').execute();
    await db.schema
      .createTable('reversals')
      .addColumn('void_fact_id', 'text', (c) => c.notNull().references('facts.id'))
      .addColumn('bill_id', 'text', (c) => c.notNull().references('bills.id'))
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('reversals_pk', ['void_fact_id', 'bill_id'])
      .execute();
    await db.schema
      .createTable('contact_edits')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('field', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('previous', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('device_seq', 'integer', (c) => c.notNull())
      .addColumn('hlc', 'text', (c) => c.notNull())
      .addColumn('base_change_seq', 'bigint', (c) => c.notNull())
      .addColumn('change_seq', 'bigint', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .execute();
    await db.schema
      .createIndex('contact_edits_account')
      .on('contact_edits')
      .columns(['account_id', 'field'])
      .execute();
    await db.schema.alterTable('readings').addColumn('fact_id', 'text').execute();
    await db.schema
      .alterTable('readings')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('accepted'))
      .execute();
    await db.schema.alterTable('readings').addColumn('flag_reason', 'text').execute();
    await db.schema
      .alterTable('readings')
      .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('spot_bills')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('period_from', 'text', (c) => c.notNull())
      .addColumn('period_to', 'text', (c) => c.notNull())
      .addColumn('tariff_id', 'text', (c) => c.notNull())
      .addColumn('tariff_version', 'integer', (c) => c.notNull())
      .addColumn('printed_minor', 'bigint', (c) => c.notNull())
      .addColumn('total_minor', 'bigint', (c) => c.notNull())
      .addColumn('hub_minor', 'bigint')
      .addColumn('difference_minor', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .execute();
    await db.schema
      .createIndex('spot_bills_account')
      .on('spot_bills')
      .columns(['account_id', 'period_from'])
      .execute();
    await db.schema
      .createTable('carried')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('source_fact_id', 'text', (c) => c.notNull().references('facts.id'))
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('billed_by', 'text')
      .execute();
    await db.schema
      .createIndex('carried_account')
      .on('carried')
      .columns(['account_id', 'billed_by'])
      .execute();
    await db.schema
      .alterTable('tariff_versions')
      .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/**
 * Facts about the store itself. `epoch` names this store's history: a restore from a backup
 * gives the store a new epoch, and a device that sees another epoch in a pull knows the hub
 * went back in time, starts its pull again from 0 and resends what the hub forgot.
 */
const hubMeta: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('hub_meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db
      .insertInto('hub_meta' as never)
      .values({ key: 'epoch', value: randomUUID() } as never)
      .execute();
  },
};

/**
 * The ledger (every balance movement, by its cause) and the audit log as a hash chain, both for
 * the integrity check. A store migrated here opens each account's ledger with its balance as it
 * stands, and records from which change on facts have entries of their own.
 */
const ledgerAndAuditChain: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('ledger')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('delta_minor', 'bigint', (c) => c.notNull())
      .addColumn('change_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('ledger_pk', ['source', 'account_id'])
      .execute();
    await db.schema.createIndex('ledger_account').on('ledger').column('account_id').execute();
    await sql`insert into ledger (source, account_id, delta_minor, change_seq)
              select 'opening', id, balance_minor, change_seq from accounts`.execute(db);
    const counter = await sql<{
      value: number | string;
    }>`select value from counters where name = 'change'`.execute(db);
    await db
      .insertInto('hub_meta' as never)
      .values({ key: 'ledger-since-change', value: String(counter.rows[0]?.value ?? 0) } as never)
      .execute();
    await db.schema.alterTable('audit').addColumn('prev_hash', 'text').execute();
    await db.schema.alterTable('audit').addColumn('hash', 'text').execute();
    const rows =
      await sql<AuditRow>`select id, at, actor, action, detail from audit order by id`.execute(db);
    let prev = GENESIS_HASH as string;
    for (const row of rows.rows) {
      const hash = auditHash(prev, row);
      await sql`update audit set prev_hash = ${prev}, hash = ${hash} where id = ${row.id}`.execute(
        db,
      );
      prev = hash;
    }
  },
};

/**
 * The duplicate-payment rule reads an account's latest unvoided payments with their clock
 * stamps on every payment ingested: the stamp is copied onto the payment (a fact never
 * changes, so the copy cannot go stale) and one covering index answers the whole read, without
 * visiting the payments or their facts.
 */
const recentPayments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('payments')
      .addColumn('hlc', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await sql`update payments set hlc = (select facts.hlc from facts where facts.id = payments.fact_id)`.execute(
      db,
    );
    await db.schema
      .createIndex('payments_recent')
      .on('payments')
      .columns(['account_id', 'received_at', 'fact_id', 'amount_minor', 'hlc', 'voided_by'])
      .execute();
    await db.schema.dropIndex('payments_account').execute();
  },
};

/**
 * Trust at the edges (issue 11):
 *
 * - a fact whose body the hub cannot read is stored with what is wrong with it (`flag_detail`);
 * - which agents signed in on which device (`device_agents`), filled from the sessions held;
 * - payments take their arrival order (`change_seq`), so the duplicate rule's "latest payments"
 *   mean the same on every engine, under a covering index in that order;
 * - a void may name its payment by receipt number (`receipt_number`), so its payment id is
 *   unknown until the hub resolves it: the column takes null (SQLite rebuilds the table);
 * - revoking a device no longer rewrites its payments' flags: payments flagged
 *   `device-revoked` that way get back the flag their fact was answered with;
 * - a bill printed at the door whose total was not its lines is `bill-total-mismatch`, so
 *   `bill-differs` always means a bill the hub issued (the one rule: a flag applies or not);
 * - a bill's period is two dates, `period_from` and `period_to` (a monthly bill's from its
 *   month's first day to its reading day, `issued_on`).
 */
const trustAtTheEdges = (engine: Engine): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('facts').addColumn('flag_detail', 'text').execute();
    await db.schema
      .createTable('device_agents')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('first_signed_in_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_agents_pk', ['device_id', 'user_id'])
      .execute();
    await sql`insert into device_agents (device_id, user_id, first_signed_in_at)
              select sessions.device_id, sessions.user_id, min(sessions.created_at) from sessions
              join devices on devices.id = sessions.device_id
              group by sessions.device_id, sessions.user_id`.execute(db);
    await db.schema
      .alterTable('payments')
      .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`update payments set change_seq = (select facts.change_seq from facts where facts.id = payments.fact_id)`.execute(
      db,
    );
    await db.schema.dropIndex('payments_recent').execute();
    await db.schema
      .createIndex('payments_recent')
      .on('payments')
      .columns(['account_id', 'change_seq', 'fact_id', 'amount_minor', 'hlc', 'voided_by'])
      .execute();
    await db.schema
      .createIndex('payments_receipt')
      .on('payments')
      .column('receipt_number')
      .execute();
    await sql`update payments set
                flag_reason = (select facts.flag_reason from facts where facts.id = payments.fact_id),
                status = (select case when facts.flag_reason is null then 'accepted' else 'flagged' end
                          from facts where facts.id = payments.fact_id)
              where flag_reason = 'device-revoked'`.execute(db);
    await voidsByReceipt(db, engine);
    await sql`update facts set flag_reason = 'bill-total-mismatch'
              where kind = 'spot-bill' and flag_reason = 'bill-differs'
              and id in (select fact_id from spot_bills where status = 'flagged')`.execute(db);
    await sql`update spot_bills set flag_reason = 'bill-total-mismatch'
              where status = 'flagged' and flag_reason = 'bill-differs'`.execute(db);
    await db.schema.alterTable('bills').addColumn('period_from', 'text').execute();
    await db.schema.alterTable('bills').addColumn('period_to', 'text').execute();
    await sql`update bills set
                period_from = case when period like '%/%' then substr(period, 1, 10) else period || '-01' end,
                period_to = case when period like '%/%' then substr(period, 12, 10) else issued_on end`.execute(
      db,
    );
    await db.schema.alterTable('bills').dropColumn('period').execute();
  },
});

/** Voids take a receipt number, and their payment id may wait to be resolved. */
async function voidsByReceipt(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await sql`alter table voids alter column payment_id drop not null`.execute(db);
    await db.schema.alterTable('voids').addColumn('receipt_number', 'text').execute();
  } else {
    // SQLite cannot drop a NOT NULL: the table is made again with the same rows.
    await db.schema
      .createTable('voids_new')
      .addColumn('fact_id', 'text', (c) => c.primaryKey().references('facts.id'))
      .addColumn('payment_id', 'text')
      .addColumn('receipt_number', 'text')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('amount_minor', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('hlc', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .addColumn('reversed_minor', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into voids_new (fact_id, payment_id, account_id, amount_minor, reason, hlc,
                status, flag_reason, reversed_minor)
              select fact_id, payment_id, account_id, amount_minor, reason, hlc, status,
                flag_reason, reversed_minor from voids`.execute(db);
    await db.schema.dropTable('voids').execute();
    await db.schema.alterTable('voids_new').renameTo('voids').execute();
    await db.schema.createIndex('voids_payment').on('voids').column('payment_id').execute();
  }
  await db.schema.createIndex('voids_receipt').on('voids').column('receipt_number').execute();
}

const migrations = (engine: Engine): Record<string, Migration> => ({
  '0001-initial': initial(engine),
  '0002-tariff-versions': tariffVersions,
  '0003-device-enrolment': deviceEnrolment,
  '0004-device-clock-skew': deviceClockSkew,
  '0005-payments-by-account': paymentsByAccount,
  '0006-fact-kinds': factKinds,
  '0007-hub-meta': hubMeta,
  '0008-ledger-and-audit-chain': ledgerAndAuditChain,
  '0009-recent-payments': recentPayments,
  '0010-trust-at-the-edges': trustAtTheEdges(engine),
  '0011-edge-in-the-store': edgeInTheStore,
  '0012-hub-signing-key': hubSigningKey,
  '0013-second-factors': secondFactors,
  '0014-regions': regions,
  '0015-device-unlock-secrets': deviceUnlockSecrets,
  '0016-admins': admins,
  '0017-payment-details': paymentDetails,
  '0018-prepaid-top-ups': prepaidTopUps,
  '0019-customer-budgets': customerBudgets,
  '0020-credit-requests': creditRequests,
  '0021-handovers': handovers,
  '0022-areas': areas,
  '0023-session-scopes': sessionScopes,
  '0024-sts-top-ups': stsTopUps,
  '0025-searchable-names': searchableNames,
});

/** Every migration, in order, for the engine they will run on. */
export function migrationsFor(engine: Engine): Record<string, Migration> {
  return migrations(engine);
}
