/**
 * The audit log: who did what, when, as a hash chain. Each entry's hash covers the previous
 * entry's hash and its own content (RFC 8785 canonical JSON), so an entry edited or removed
 * later breaks the chain where it happened, and the integrity check names it. On PostgreSQL an
 * append first takes a transaction-scoped advisory lock, so concurrent hub processes never fork
 * the chain; SQLite runs one transaction at a time.
 */
import { PostgresAdapter, sql, type Transaction } from 'kysely';
import { GENESIS_HASH, hashOf } from '../../shared/hash.ts';
import type { Database } from './schema.ts';

/** The advisory lock key of the audit chain (any fixed 64-bit number). */
const AUDIT_LOCK = 7_261_013_001;

export interface AuditRow {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly detail: string;
}

export function auditHash(prevHash: string, row: Omit<AuditRow, 'id'>): string {
  return hashOf({
    prevHash,
    at: row.at,
    actor: row.actor,
    action: row.action,
    detail: row.detail,
  });
}

export async function appendAudit(
  trx: Transaction<Database>,
  entry: Omit<AuditRow, 'id'>,
): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter)
    await sql`select pg_advisory_xact_lock(${AUDIT_LOCK})`.execute(trx);
  const last = await trx
    .selectFrom('audit')
    .select('hash')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const prev = last?.hash ?? GENESIS_HASH;
  await trx
    .insertInto('audit')
    .values({ ...entry, prev_hash: prev, hash: auditHash(prev, entry) })
    .execute();
}
