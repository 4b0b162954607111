/**
 * Peer comparison (issue #6): the same payments synced by our protocol and by PouchDB's
 * replication to `pouchdb-server`, in one run, measured the same way (bench/peer/measure.ts).
 *
 * Ours: the client's own code on fake-indexeddb syncing to a hub process that verifies each
 * signed batch, stores it in SQLite (synchronous=FULL) and projects it. The peer: PouchDB's
 * memory adapter replicating one way to pouchdb-server on LevelDB. The documents the peer
 * replicates are our sealed payment facts themselves (every field, `id` as `_id`, a UUIDv7),
 * so both sides move the same payments of the same size. Each side's payments are recorded
 * before its clock starts: recording is the device's work, not the sync's.
 *
 * Three cases: the first sync of 10,000 payments, 100 more after them, and a sync with nothing
 * new. Each prints both sides' wall time, requests and bytes each way, and peer/ours ratios.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './figures.ts';
import { measure, measuredFigures, roundSeconds, type Measured } from './peer/measure.ts';
import { recordPayments, withOurSide } from './peer/ours.ts';
import { asDocument, peerVersions, withPeerSide } from './peer/pouch.ts';

const PAYMENTS = 10_000;
const MORE = 100;
const PHASES = ['initial-10000', 'incremental-100', 'no-change'] as const;
type Phase = (typeof PHASES)[number];
type Side = Record<Phase, Measured>;
const PHASE_PAYMENTS: Record<Phase, number> = {
  'initial-10000': PAYMENTS,
  'incremental-100': MORE,
  'no-change': 0,
};

export async function syncComparison(): Promise<Figure[]> {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-compare-'));
  try {
    const ours = await runOurs(join(folder, 'hub'));
    const peer = await runPeer(join(folder, 'pouch'), ours.facts);
    return comparisonFigures(ours, peer);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

interface OurRun {
  readonly measured: Side;
  /** Every payment recorded, as sealed facts, in the order recorded. */
  readonly facts: readonly Record<string, unknown>[];
  readonly recordSeconds: number;
}

function runOurs(dataDir: string): Promise<OurRun> {
  return withOurSide(dataDir, null, async ({ device, proxy, sync }) => {
    const recordStarted = performance.now();
    const facts = await recordPayments(device, 0, PAYMENTS);
    const recordSeconds = (performance.now() - recordStarted) / 1000;
    const initial = await measure(proxy, sync);
    facts.push(...(await recordPayments(device, PAYMENTS, MORE)));
    const incremental = await measure(proxy, sync);
    const noChange = await measure(proxy, sync);
    return {
      measured: { 'initial-10000': initial, 'incremental-100': incremental, 'no-change': noChange },
      facts,
      recordSeconds,
    };
  });
}

function runPeer(folder: string, facts: readonly Record<string, unknown>[]): Promise<Side> {
  return withPeerSide(folder, null, async ({ device, proxy, heldDocuments }) => {
    const replicate = (expected: number) => async (countRequest: () => void) => {
      const run = await device.replicate(countRequest);
      if (run.docsWritten !== expected)
        throw new Error(`PouchDB wrote ${run.docsWritten} documents, not ${expected}`);
    };
    const documents = facts.map(asDocument);
    await device.add(documents.slice(0, PAYMENTS));
    const initial = await measure(proxy, replicate(PAYMENTS));
    await device.add(documents.slice(PAYMENTS));
    const incremental = await measure(proxy, replicate(MORE));
    const noChange = await measure(proxy, replicate(0));
    const held = await heldDocuments();
    if (held !== PAYMENTS + MORE) throw new Error(`pouchdb-server holds ${held} documents`);
    return { 'initial-10000': initial, 'incremental-100': incremental, 'no-change': noChange };
  });
}

/** peer / ours, so that 5 reads "ours is 5 times faster (or 5 times fewer)". */
function ratio(peer: number, ours: number): number {
  return ours === 0 ? Number.POSITIVE_INFINITY : Number((peer / ours).toPrecision(3));
}

function comparisonFigures(ours: OurRun, peer: Side): Figure[] {
  const factBytes = ours.facts.map((fact) => Buffer.byteLength(JSON.stringify(fact)));
  const docBytes = Math.round(factBytes.reduce((a, b) => a + b, 0) / factBytes.length);
  const measured = 'requests at the client; bytes on the wire through a proxy on loopback';
  const aboutOurs = {
    measured,
    side: 'client sync engine (fake-indexeddb) → hub process, SQLite synchronous=FULL; pushes gzipped',
    recordSeconds: roundSeconds(ours.recordSeconds),
  };
  const aboutPeer = {
    measured,
    side: `PouchDB ${peerVersions.pouchdb} (memory adapter) → pouchdb-server ${peerVersions.pouchdbServer} (LevelDB, no fsync per write), default replication`,
  };
  const figures: Figure[] = [];
  for (const phase of PHASES) {
    const a = ours.measured[phase];
    const b = peer[phase];
    const context = { payments: PHASE_PAYMENTS[phase], docBytes };
    figures.push(...measuredFigures(`compare.${phase}.ours`, a, context, aboutOurs));
    figures.push(...measuredFigures(`compare.${phase}.peer`, b, context, aboutPeer));
    const goals: Record<string, number | undefined> =
      phase === 'initial-10000' ? { seconds: 5, 'bytes-up': 5 } : {};
    const ratios: [string, number, number][] = [
      ['seconds', b.seconds, a.seconds],
      ['requests', b.requests, a.requests],
      ['bytes-up', b.bytesUp, a.bytesUp],
      ['bytes-down', b.bytesDown, a.bytesDown],
    ];
    for (const [what, peerValue, ourValue] of ratios) {
      const goal = goals[what];
      figures.push({
        name: `compare.${phase}.ratio.${what}`,
        value: ratio(peerValue, ourValue),
        unit: '× (peer/ours)',
        context: goal === undefined ? { phase } : { phase, goal: `≥ ${goal}` },
      });
    }
  }
  const initial = ours.measured['initial-10000'];
  figures.push({
    name: 'compare.initial-10000.ours.payments-per-request',
    value: Math.round(PAYMENTS / initial.requests),
    unit: 'payments/request',
    context: { goal: '≥ 500' },
  });
  figures.push({
    name: 'compare.initial-10000.peer.payments-per-request',
    value: Math.round(PAYMENTS / peer['initial-10000'].requests),
    unit: 'payments/request',
  });
  return figures;
}
