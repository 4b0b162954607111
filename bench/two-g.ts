/**
 * The 2G case: a week of one agent's work (500 cash payments) synced over a link of 50 kbit/s
 * and a 1 s round trip, through the throttling proxy on loopback, by our protocol and by the
 * peer (PouchDB replicating to pouchdb-server), one after the other. Ours is the client's own
 * code (Dexie on fake-indexeddb, the sync engine) and a hub process over a file-backed SQLite
 * store; the peer replicates the same payment facts as documents (bench/compare.ts says how).
 * Prints each side's wall time, requests and bytes each way. The peer is given at most
 * PEER_CAP_MS: past that its replication is cancelled, and its figures are lower bounds marked
 * `capped`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './figures.ts';
import { measure, measuredFigures, type Measured } from './peer/measure.ts';
import { recordPayments, withOurSide } from './peer/ours.ts';
import { asDocument, peerVersions, withPeerSide } from './peer/pouch.ts';

const PAYMENTS = 500;
const LINK = { bitsPerSecond: 50_000, oneWayDelayMs: 500 };
const PEER_CAP_MS = 10 * 60_000;

export async function twoG(): Promise<Figure[]> {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-2g-'));
  try {
    const ours = await runOurs(join(folder, 'hub'));
    const peer = await runPeer(join(folder, 'pouch'), ours.facts);
    const context = { payments: PAYMENTS, link: '50 kbit/s, 1 s round trip' };
    return [
      ...measuredFigures('sync.2g.week-of-payments.ours', ours.measured, context, {
        side: 'client sync engine (fake-indexeddb) → hub process, SQLite; pushes gzipped',
      }),
      ...measuredFigures(
        'sync.2g.week-of-payments.peer',
        peer.measured,
        peer.capped ? { ...context, capped: true, capSeconds: PEER_CAP_MS / 1000 } : context,
        {
          side: `PouchDB ${peerVersions.pouchdb} (memory adapter) → pouchdb-server ${peerVersions.pouchdbServer} (LevelDB)`,
        },
      ),
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function runOurs(
  dataDir: string,
): Promise<{ measured: Measured; facts: Record<string, unknown>[] }> {
  return withOurSide(dataDir, LINK, async ({ device, proxy, sync }) => {
    const facts = await recordPayments(device, 0, PAYMENTS);
    return { measured: await measure(proxy, sync), facts };
  });
}

function runPeer(
  folder: string,
  facts: readonly Record<string, unknown>[],
): Promise<{ measured: Measured; capped: boolean }> {
  return withPeerSide(folder, LINK, async ({ device, proxy, heldDocuments }) => {
    await device.add(facts.map(asDocument));
    let capped = false;
    const measured = await measure(proxy, async (countRequest) => {
      capped = (await device.replicate(countRequest, PEER_CAP_MS)).capped;
    });
    if (!capped) {
      const held = await heldDocuments();
      if (held !== PAYMENTS) throw new Error(`pouchdb-server holds ${held} documents`);
    }
    return { measured, capped };
  });
}
