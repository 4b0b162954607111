/**
 * The verifier of the hub's history (shared/audit-head.ts): the audit chain read from the
 * store, entry by entry from the first, and the heads devices kept held against it. It names
 * the first entry where the store no longer says what it said: a link or a hash that does not
 * hold, or an entry whose hash is not the one the hub signed in a head a device kept. A head
 * not signed by this hub's key is reported and proves nothing.
 */
import { z } from 'zod';
import {
  auditHeadSchema,
  auditHeadSignatureValid,
  type AuditHead,
} from '../../shared/audit-head.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { auditHash } from '../store/audit.ts';
import { hubPublicKey } from '../store/audit-head.ts';
import { storeEpoch, type Store } from '../store/store.ts';

export interface AuditFinding {
  /** The audit entry's number, or 0 for a finding about a head itself. */
  readonly seq: number;
  readonly problem: string;
}

export interface AuditVerification {
  readonly entries: number;
  readonly headsChecked: number;
  /** Findings in entry order: the first is the first bad row. */
  readonly findings: readonly AuditFinding[];
}

/** What a verifier is given: a list of heads, or a tablet's outbox file that carries them. */
export const keptHeadsSchema = z.union([
  z.array(auditHeadSchema).max(10_000),
  z
    .object({ auditHeads: z.array(auditHeadSchema).max(10_000) })
    .transform((file) => file.auditHeads),
]);

export async function verifyAudit(
  store: Store,
  heads: readonly AuditHead[] = [],
): Promise<AuditVerification> {
  const rows = await store.db
    .selectFrom('audit')
    .select(['id', 'at', 'actor', 'action', 'detail', 'prev_hash', 'hash'])
    .orderBy('id')
    .execute();
  const findings: AuditFinding[] = [];
  const hashes = new Map<number, string | null>();
  let prev: string = GENESIS_HASH;
  for (const row of rows) {
    const id = Number(row.id);
    hashes.set(id, row.hash);
    if (row.prev_hash !== prev)
      findings.push({ seq: id, problem: 'it does not follow the entry before it' });
    else if (row.hash !== auditHash(prev, row))
      findings.push({ seq: id, problem: 'its content does not hash to its hash: it was altered' });
    prev = row.hash ?? '';
  }
  const key = await hubPublicKey(store, store.db);
  const epoch = await storeEpoch(store.db);
  for (const head of heads) {
    if (!(await auditHeadSignatureValid(key, head))) {
      findings.push({ seq: 0, problem: `a head for entry ${head.seq} is not signed by this hub` });
      continue;
    }
    if (head.epoch !== epoch || head.seq === 0) continue;
    const stored = hashes.get(head.seq);
    if (stored !== head.hash)
      findings.push({
        seq: head.seq,
        problem:
          stored === undefined
            ? 'a device holds a head this hub signed for this entry, which the store no longer has'
            : `a device holds a head this hub signed saying ${head.hash.slice(0, 12)}…; the store says ${String(stored).slice(0, 12)}…: history was rewritten`,
      });
  }
  findings.sort((a, b) => a.seq - b.seq);
  const agreeing = heads
    .filter((head) => head.epoch === epoch && hashes.get(head.seq) === head.hash)
    .map((head) => head.seq);
  const firstBad = findings.find((finding) => finding.seq > 0);
  if (firstBad) {
    const lastGood = Math.max(0, ...agreeing.filter((seq) => seq < firstBad.seq));
    if (lastGood > 0)
      findings.push({
        seq: firstBad.seq,
        problem: `a kept head still agrees at entry ${lastGood}: the rewrite is after it`,
      });
  }
  return { entries: rows.length, headsChecked: heads.length, findings };
}
