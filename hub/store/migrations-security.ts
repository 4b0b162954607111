/**
 * Migrations of issue 12 (security).
 *
 * 0011, the hub's edge, kept in the store so that it holds across several hub processes
 * and across restarts:
 *
 * - `throttles`: how many requests a bucket (an address, an account, a device, for one kind of
 *   request) made in the current fixed window;
 * - `lockouts`: wrong secrets in a row for a subject (a PIN on a device, a password) and until
 *   when it is locked;
 * - sessions end when idle as well as at their absolute end: `last_seen_at`.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { ECDSA_KEY } from '../../shared/devices.ts';

export const edgeInTheStore: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('throttles')
      .addColumn('bucket', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('throttles_window')
      .on('throttles')
      .column('window_start')
      .execute();
    await db.schema
      .createTable('lockouts')
      .addColumn('subject', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('locked_until', 'text')
      .addColumn('last_failure_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('sessions').addColumn('last_seen_at', 'text').execute();
    await sql`update sessions set last_seen_at = created_at`.execute(db);
  },
};

/**
 * 0012, the hub's signing key: the P-256 key pull answers sign the audit chain's head with
 * (shared/audit-head.ts), made once, here, so that every hub process on the store signs with
 * the same key; a backup carries it, so a restored hub still signs as itself.
 */
export const hubSigningKey: Migration = {
  async up(db: Kysely<unknown>) {
    const pair = await crypto.subtle.generateKey(ECDSA_KEY, true, ['sign', 'verify']);
    const privateKey = await crypto.subtle.exportKey('jwk', pair.privateKey);
    await db
      .insertInto('hub_meta' as never)
      .values({ key: 'signing-key', value: JSON.stringify(privateKey) } as never)
      .execute();
  },
};

/**
 * 0013, supervisors' second factors: a TOTP secret (confirmed once a code from it was given;
 * the last time step used, so a code works once), recovery codes stored as hashes, WebAuthn
 * passkeys (credential id, public key, signature counter), and the short-lived challenges of a
 * sign-in or a passkey registration in progress, stored as hashes too.
 */
export const secondFactors: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('totp_secrets')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('confirmed_at', 'text')
      .addColumn('last_step', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('recovery_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('used_at', 'text')
      .execute();
    await db.schema
      .createTable('passkeys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('counter', 'integer', (c) => c.notNull())
      .addColumn('transports', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('second_factor_challenges')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('webauthn_challenge', 'text')
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .execute();
  },
};

/**
 * 0014, regions: routes belong to a region, and a supervisor oversees one (her collections,
 * review list and devices are its own). A supervisor with no region oversees every region, as
 * every supervisor did before: a store migrated from before keeps working as it did.
 */
export const regions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('regions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .alterTable('routes')
      .addColumn('region_id', 'text', (c) => c.references('regions.id'))
      .execute();
    await db.schema
      .alterTable('users')
      .addColumn('region_id', 'text', (c) => c.references('regions.id'))
      .execute();
  },
};

/**
 * 0015, the tablet's data encrypted at rest: each device has a secret the hub hands it at an
 * agent's sign-in, which opens the device's data key (client/auth/unlock.ts). Made on first
 * need, so devices enrolled before this migration get theirs at their next sign-in.
 */
export const deviceUnlockSecrets: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('devices').addColumn('unlock_secret', 'text').execute();
  },
};

/**
 * 0016, admins: a supervisor the store marks as admin oversees every region and alone publishes
 * tariff versions, which are utility-wide. A flag beside the role, not a third role value, so
 * that no table is rebuilt (SQLite cannot change the role column's check in place).
 */
export const admins: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('users')
      .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
