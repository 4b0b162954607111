/**
 * The hub's edge (issue 12), kept in the store so that it holds across several hub processes
 * and across restarts:
 *
 * - `throttles`: how many requests a bucket (an address, an account, a device, for one kind of
 *   request) made in the current fixed window;
 * - `lockouts`: wrong secrets in a row for a subject (a PIN on a device, a password) and until
 *   when it is locked;
 * - sessions end when idle as well as at their absolute end: `last_seen_at`.
 */
import { sql, type Kysely, type Migration } from 'kysely';

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
