/**
 * The device's half of the hub's tamper evidence (shared/audit-head.ts). The device keeps the
 * key the hub showed on its first pull and the last 60 audit heads it was given, and checks
 * every new head: signed by that key, and following the kept one. A head that fails is not applied,
 * nor is the page it came with; the device raises an alarm that stays until a supervisor looks
 * (the facts it holds are its own evidence, signed by its own key). A restore from a backup is
 * a new epoch, which follows anything; the old epoch's heads are kept as evidence.
 */
import { auditHeadSignatureValid, headFollows, type AuditHead } from '../../shared/audit-head.ts';
import type { PublicKeyJwk } from '../../shared/devices.ts';
import type { AuditRecord, GridtallyDatabase } from '../db/database.ts';

/**
 * Heads kept, oldest dropped first: with many, the verifier can say between which two entries
 * history was rewritten, even when the whole chain after it was recomputed to look whole.
 */
export const KEPT_HEADS = 60;

export type AuditVerdict = 'ok' | NonNullable<AuditRecord['alarm']>['reason'];

function sameKey(a: PublicKeyJwk, b: PublicKeyJwk): boolean {
  return a.x === b.x && a.y === b.y;
}

function sameHead(a: AuditHead, b: AuditHead): boolean {
  return a.epoch === b.epoch && a.seq === b.seq && a.hash === b.hash && a.signature === b.signature;
}

/** The head kept last: what the hub had already signed when the device asks again. */
export async function lastKeptHead(db: GridtallyDatabase): Promise<AuditHead | undefined> {
  const saved = await db.settings.get('audit');
  return saved?.key === 'audit' ? saved.heads.at(-1) : undefined;
}

/**
 * Checks the head a pull answer carries against `askedAfter`, the head kept when the request
 * left: the hub had signed that one already, so its answer cannot be further back. (A head
 * kept since, by another tab, may be newer than the answer: a late answer, no alarm.) A head
 * that passes is kept when it is the newest. On an alarm the record says what was kept and
 * what was shown. `hubKey` is the key the answer carries.
 */
export async function checkAuditHead(
  db: GridtallyDatabase,
  head: AuditHead,
  hubKey: PublicKeyJwk,
  askedAfter: AuditHead | undefined,
  now: Date,
): Promise<AuditVerdict> {
  const saved = await db.settings.get('audit');
  const record: AuditRecord = saved?.key === 'audit' ? saved : { key: 'audit', heads: [] };
  if (record.alarm) return record.alarm.reason;
  const key = record.hubKey ?? hubKey;
  const newest = record.heads.at(-1);
  // The newest head kept, shown again by the same key (nothing happened since): it was checked
  // when it was kept, and there is nothing new to keep.
  if (record.hubKey && sameKey(key, hubKey) && newest && sameHead(newest, head)) return 'ok';
  const kept = askedAfter?.epoch === head.epoch ? askedAfter : undefined;
  const verdict: AuditVerdict = !sameKey(key, hubKey)
    ? 'hub-key-changed'
    : !(await auditHeadSignatureValid(key, head))
      ? 'audit-head-forged'
      : !headFollows(kept, head)
        ? 'hub-history-rewritten'
        : 'ok';
  if (verdict !== 'ok') {
    await db.settings.put({
      ...record,
      alarm: { at: now.toISOString(), reason: verdict, ...(kept ? { kept } : {}), shown: head },
    });
    return verdict;
  }
  const moved = !newest || newest.epoch !== head.epoch || head.seq > newest.seq;
  await db.settings.put({
    key: 'audit',
    hubKey: key,
    heads: moved ? [...record.heads, head].slice(-KEPT_HEADS) : record.heads,
  });
  return 'ok';
}
