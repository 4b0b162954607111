/**
 * Compares what the hub holds with the independent model (every payment each device
 * recorded, as `recordCashPayment` returned it) and with what each device believes. Each check
 * returns a list of findings, empty when all is well, so that a failure names exactly what was
 * lost, duplicated or wrong instead of printing two lists of a thousand ids.
 */
import { accountView } from '../../client/db/accounts.ts';
import type { Device, RecordedPayment } from './fleet.ts';
import type { KillableHub } from './hub-process.ts';
import type { Kill } from './killer.ts';

export interface HubPayment {
  fact_id: string;
  account_id: string;
  amount_minor: number;
  status: string;
}

export interface HubFact {
  id: string;
  device_id: string;
  seq: number;
  change_seq: number;
  received_at: string;
}

export interface HubSnapshot {
  readonly payments: HubPayment[];
  readonly facts: HubFact[];
  readonly heads: Map<string, number>;
  readonly balances: Map<string, number>;
}

export function readHub(hub: KillableHub): HubSnapshot {
  return hub.read((db) => ({
    payments: db
      .prepare('SELECT fact_id, account_id, amount_minor, status FROM payments')
      .all() as HubPayment[],
    facts: db
      .prepare(
        'SELECT id, device_id, seq, change_seq, received_at FROM facts ORDER BY device_id, seq',
      )
      .all() as HubFact[],
    heads: new Map(
      (
        db.prepare('SELECT id, head_seq FROM devices').all() as { id: string; head_seq: number }[]
      ).map((row) => [row.id, Number(row.head_seq)] as const),
    ),
    balances: readBalancesFrom(db),
  }));
}

export function readBalances(hub: KillableHub): Map<string, number> {
  return hub.read(readBalancesFrom);
}

function readBalancesFrom(db: { prepare(sql: string): { all(): unknown[] } }) {
  const rows = db.prepare('SELECT id, balance_minor FROM accounts').all() as {
    id: string;
    balance_minor: number;
  }[];
  return new Map(rows.map((row) => [row.id, Number(row.balance_minor)] as const));
}

/** Every recorded payment is on the hub exactly once, as recorded, and nothing else is. */
export function paymentFindings(model: readonly RecordedPayment[], hub: HubSnapshot): string[] {
  const findings: string[] = [];
  const expected = new Map(model.map((payment) => [payment.factId, payment]));
  const seen = new Map<string, number>();
  for (const row of hub.payments) {
    seen.set(row.fact_id, (seen.get(row.fact_id) ?? 0) + 1);
    const recorded = expected.get(row.fact_id);
    if (!recorded) findings.push(`extra payment on the hub: ${row.fact_id}`);
    else if (
      recorded.accountId !== row.account_id ||
      recorded.amountMinor !== Number(row.amount_minor)
    )
      findings.push(
        `payment ${row.fact_id} is ${row.amount_minor} on ${row.account_id}, recorded as ` +
          `${recorded.amountMinor} on ${recorded.accountId}`,
      );
    else if (row.status !== 'accepted')
      findings.push(`payment ${row.fact_id} is ${row.status}, not accepted`);
  }
  for (const [id, count] of seen)
    if (count > 1) findings.push(`payment ${id} is on the hub ${count} times`);
  for (const payment of model)
    if (!seen.has(payment.factId))
      findings.push(`lost: device ${payment.deviceIndex} seq ${payment.seq} (${payment.factId})`);
  return findings;
}

/** Each device's facts on the hub are its recorded facts, at seq 1..n with no gap. */
export function chainFindings(devices: readonly Device[], hub: HubSnapshot): string[] {
  const findings: string[] = [];
  const byDevice = new Map<string, HubFact[]>();
  for (const fact of hub.facts) {
    const list = byDevice.get(fact.device_id) ?? [];
    list.push(fact);
    byDevice.set(fact.device_id, list);
  }
  for (const device of devices) {
    const stored = byDevice.get(device.deviceId) ?? [];
    byDevice.delete(device.deviceId);
    const seqs = stored.map((fact) => Number(fact.seq));
    const expected = device.recorded.map((_, i) => i + 1);
    if (seqs.join(',') !== expected.join(','))
      findings.push(
        `device ${device.index}: hub seqs ${describeSeqs(seqs)}, expected 1..${expected.length}`,
      );
    stored.forEach((fact, i) => {
      const recorded = device.recorded[i];
      if (recorded && (recorded.factId !== fact.id || recorded.seq !== Number(fact.seq)))
        findings.push(`device ${device.index}: hub seq ${fact.seq} is ${fact.id}`);
    });
    const head = hub.heads.get(device.deviceId);
    if (head !== device.recorded.length)
      findings.push(`device ${device.index}: hub head ${head}, recorded ${device.recorded.length}`);
  }
  for (const [deviceId, facts] of byDevice)
    findings.push(`facts from a device no test device is: ${deviceId} (${facts.length})`);
  return findings;
}

function describeSeqs(seqs: readonly number[]): string {
  if (seqs.length <= 12) return `[${seqs.join(',')}]`;
  return `[${seqs.slice(0, 5).join(',')},…,${seqs.slice(-5).join(',')}] (${seqs.length})`;
}

/** Every account's hub balance is its initial balance less the payments recorded on it. */
export function balanceFindings(
  model: readonly RecordedPayment[],
  initial: ReadonlyMap<string, number>,
  hub: HubSnapshot,
): string[] {
  const paid = new Map<string, number>();
  for (const payment of model)
    paid.set(payment.accountId, (paid.get(payment.accountId) ?? 0) + payment.amountMinor);
  const findings: string[] = [];
  for (const [accountId, before] of initial) {
    const expected = before - (paid.get(accountId) ?? 0);
    const actual = hub.balances.get(accountId);
    if (actual !== expected)
      findings.push(`${accountId}: hub balance ${actual}, expected ${before} - paid = ${expected}`);
  }
  return findings;
}

/**
 * What each device believes: nothing pending, every fact acknowledged at the change number
 * the hub stored it with, and the balance it shows for each of its accounts the hub's.
 */
export async function deviceFindings(devices: readonly Device[], hub: HubSnapshot) {
  const changeSeqOf = new Map(hub.facts.map((fact) => [fact.id, Number(fact.change_seq)]));
  const findings: string[] = [];
  for (const device of devices) {
    for (const stored of await device.db.facts.toArray()) {
      if (stored.status !== 'acked' || (stored.outcome ?? 'accepted') !== 'accepted')
        findings.push(
          `device ${device.index} seq ${stored.seq}: ${stored.status} ${stored.outcome ?? ''}`,
        );
      else if (stored.ackChangeSeq !== changeSeqOf.get(stored.id))
        findings.push(
          `device ${device.index} seq ${stored.seq}: acked at change ${stored.ackChangeSeq}, ` +
            `stored at ${changeSeqOf.get(stored.id)}`,
        );
    }
    for (const accountId of device.accountIds) {
      const shown = (await accountView(device.db, accountId))?.balanceMinor;
      if (shown !== hub.balances.get(accountId))
        findings.push(
          `device ${device.index} shows ${accountId} at ${shown}, the hub holds ` +
            `${hub.balances.get(accountId)}`,
        );
    }
  }
  return findings;
}

/** How the kills fell: pushes cut before the hub committed them, and replies lost after. */
export function killOutcomes(kills: readonly Kill[], hub: HubSnapshot) {
  const receivedAt = new Map(hub.facts.map((fact) => [fact.id, Date.parse(fact.received_at)]));
  let cutBeforeCommit = 0;
  let replyLostAfterCommit = 0;
  let answeredAnyway = 0;
  for (const kill of kills)
    for (const push of kill.pushesInFlight) {
      if (push.ending === 'answered') {
        answeredAnyway += 1;
        continue;
      }
      // Only this push could have stored a fact between its start and the kill: a device has
      // one push on the wire at a time, and a retry comes after the restart.
      const committed = push.factIds.some((id) => {
        const at = receivedAt.get(id);
        return at !== undefined && at >= push.startedAtMs - 1 && at <= kill.atMs;
      });
      if (committed) replyLostAfterCommit += 1;
      else cutBeforeCommit += 1;
    }
  return { cutBeforeCommit, replyLostAfterCommit, answeredAnyway };
}
