/**
 * Goal: every pull answer carries the head of the hub's audit chain, signed by the hub's own
 * key; each push that brings new facts is an entry of that chain (a replay is not); and the
 * verifier names the first bad row, both for an entry edited in place and for history rewritten
 * with the whole chain recomputed after it, which only a head a device kept can reveal.
 *
 * Method: the hub in-process on a seeded store; rows of the audit table are edited and the chain
 * after them recomputed with the hub's own hash, as an operator with the database would.
 */
import { describe, expect, test } from 'vitest';
import { auditHeadSignatureValid, type AuditHead } from '../../shared/audit-head.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { minor } from '../../shared/money.ts';
import { pullResponseSchema } from '../../shared/protocol.ts';
import { verifyAudit } from '../../hub/ops/verify-audit.ts';
import { auditHash } from '../../hub/store/audit.ts';
import {
  amina,
  DeviceChain,
  openHub,
  pullBody,
  pushBody,
  request,
  signInAgent,
  TABLET_A,
  type Hub,
} from './harness.ts';

async function pulledHead(hub: Hub, token: string) {
  const response = await request(
    hub.app,
    'POST',
    '/api/sync/pull',
    pullBody(TABLET_A, 0, 1),
    token,
  );
  return pullResponseSchema.parse(await response.json());
}

async function pushPayment(hub: Hub, chain: DeviceChain, amount: number) {
  const fact = chain.payment({ accountId: 'acc-0001', amountMinor: minor(amount) });
  const body = await pushBody(TABLET_A, [fact]);
  expect((await request(hub.app, 'POST', '/api/sync/push', body)).status).toBe(200);
  return body;
}

/** Recomputes every hash from entry `from` on, as someone rewriting history would. */
async function recomputeChainFrom(hub: Hub, from: number): Promise<void> {
  const rows = await hub.store.db.selectFrom('audit').selectAll().orderBy('id').execute();
  let prev = GENESIS_HASH as string;
  for (const row of rows) {
    if (row.id >= from) {
      const hash = auditHash(prev, row);
      await hub.store.db
        .updateTable('audit')
        .set({ prev_hash: prev, hash })
        .where('id', '=', row.id)
        .execute();
      prev = hash;
    } else prev = row.hash ?? '';
  }
}

describe('the signed audit head', () => {
  test('comes with every pull, signed by the key the answer names, and moves with each push of new facts', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const first = await pulledHead(hub, token);
    expect(await auditHeadSignatureValid(first.hubKey, first.auditHead)).toBe(true);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const push = await pushPayment(hub, chain, 2_500);
    const second = await pulledHead(hub, token);
    expect(second.auditHead.seq).toBeGreaterThan(first.auditHead.seq);
    expect(second.hubKey).toEqual(first.hubKey);
    expect(await auditHeadSignatureValid(second.hubKey, second.auditHead)).toBe(true);
    // The same push again is a replay: no new entry, and the head comes with the same signature,
    // which the device checked already.
    await request(hub.app, 'POST', '/api/sync/push', push);
    expect((await pulledHead(hub, token)).auditHead).toEqual(second.auditHead);
    const entry = await hub.store.db
      .selectFrom('audit')
      .selectAll()
      .where('id', '=', second.auditHead.seq)
      .executeTakeFirstOrThrow();
    expect(entry.action).toBe('facts-received');
    expect(JSON.parse(entry.detail)).toMatchObject({ deviceId: TABLET_A, headSeq: 1 });
    // A forged head does not verify.
    const forged = { ...second.auditHead, seq: second.auditHead.seq + 1 };
    expect(await auditHeadSignatureValid(second.hubKey, forged)).toBe(false);
  });
});

describe('the verifier', () => {
  async function hubWithHistory() {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    const kept: AuditHead[] = [];
    for (const amount of [1_100, 2_200, 3_300, 4_400]) {
      await pushPayment(hub, chain, amount);
      kept.push((await pulledHead(hub, token)).auditHead);
    }
    return { hub, kept };
  }

  test('finds nothing wrong in a store nobody touched', async () => {
    const { hub, kept } = await hubWithHistory();
    const result = await verifyAudit(hub.store, kept);
    expect(result.findings).toEqual([]);
    expect(result.headsChecked).toBe(4);
  });

  test('names an entry edited in place', async () => {
    const { hub, kept } = await hubWithHistory();
    const target = kept[1]?.seq ?? 0;
    await hub.store.db
      .updateTable('audit')
      .set({ detail: '{}' })
      .where('id', '=', target)
      .execute();
    const [first] = (await verifyAudit(hub.store)).findings;
    expect(first?.seq).toBe(target);
  });

  test('a rewrite with the chain recomputed after it looks whole, but a kept head names where', async () => {
    const { hub, kept } = await hubWithHistory();
    const target = kept[2]?.seq ?? 0;
    await hub.store.db
      .updateTable('audit')
      .set({ detail: JSON.stringify({ deviceId: TABLET_A, headSeq: 3, rewritten: true }) })
      .where('id', '=', target)
      .execute();
    await recomputeChainFrom(hub, target);
    expect((await verifyAudit(hub.store)).findings).toEqual([]);
    const findings = (await verifyAudit(hub.store, kept)).findings;
    expect(findings[0]?.seq).toBe(target);
    expect(findings.map((finding) => finding.problem).join(' ')).toContain(
      `a kept head still agrees at entry ${kept[1]?.seq}`,
    );
  });

  test('a head the hub never signed is reported and proves nothing', async () => {
    const { hub, kept } = await hubWithHistory();
    const last = kept.at(-1);
    if (!last) throw new Error('no head');
    const findings = (await verifyAudit(hub.store, [{ ...last, hash: 'f'.repeat(64) }])).findings;
    expect(findings).toEqual([
      { seq: 0, problem: `a head for entry ${last.seq} is not signed by this hub` },
    ]);
  });
});
