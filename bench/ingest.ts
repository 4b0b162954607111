/**
 * Hub ingest on SQLite: payments per second through the real HTTP app (schema validation,
 * signature, chain and hash verification, storage, projection onto balances and bills), in batches of
 * 200 from one device, on a file-backed store with the hub's durability settings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from 'uuidv7';
import { createApp } from '../hub/app.ts';
import { enrolDevice, issueEnrolmentCode } from '../hub/devices/enrolment.ts';
import { base64url, ECDSA_KEY, ECDSA_SIGNING, pushSigningText } from '../shared/devices.ts';
import { seedDemo } from '../hub/demo/seed.ts';
import { openSqliteStore } from '../hub/store/sqlite.ts';
import { formatHlc } from '../shared/clock.ts';
import { sealFact, type Fact } from '../shared/facts.ts';
import { GENESIS_HASH } from '../shared/hash.ts';
import { minor } from '../shared/money.ts';
import { PROTOCOL_VERSION } from '../shared/protocol.ts';
import type { Figure } from './figures.ts';

const PAYMENTS = 10_000;
const BATCH = 200;

export async function ingestSqlite(): Promise<Figure[]> {
  const folder = mkdtempSync(join(tmpdir(), 'gridtally-bench-'));
  const store = await openSqliteStore(join(folder, 'hub.sqlite'));
  try {
    await seedDemo(store, new Date('2026-11-20T08:00:00Z'));
    const app = createApp({ store, now: () => new Date() });
    const deviceId = uuidv7();
    const keys = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
    const { code } = await issueEnrolmentCode(store, 'user-grace', new Date());
    await enrolDevice(
      store,
      {
        code: code.replace(/-/g, ''),
        deviceId,
        publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' },
      },
      new Date(),
    );
    const facts: Fact[] = [];
    let previous = GENESIS_HASH as string;
    for (let seq = 1; seq <= PAYMENTS; seq++) {
      const fact = sealFact({
        id: uuidv7(),
        deviceId,
        seq,
        prevHash: previous,
        hlc: formatHlc({ wallMs: 1_790_000_000_000 + seq, counter: 0, node: deviceId }),
        agentId: 'user-amina',
        recordedAt: new Date(1_790_000_000_000 + seq * 1000).toISOString(),
        kind: 'payment',
        body: {
          accountId: `acc-${String(1 + 2 * (seq % 100)).padStart(4, '0')}`,
          currency: 'KES',
          method: 'cash',
          amountMinor: minor(1_000 + seq),
          tenderedMinor: minor(1_000 + seq),
          changeMinor: minor(0),
          receiptNumber: `R-BENCH-${seq}`,
        },
      });
      facts.push(fact);
      previous = fact.hash;
    }
    // Batches are signed before the clock starts: signing is the device's work, not the hub's.
    const bodies: string[] = [];
    for (let i = 0; i < facts.length; i += BATCH) {
      const message = {
        formatVersion: PROTOCOL_VERSION,
        deviceId,
        facts: facts.slice(i, i + BATCH),
      };
      const signature = await crypto.subtle.sign(
        ECDSA_SIGNING,
        keys.privateKey,
        new TextEncoder().encode(pushSigningText(message)),
      );
      bodies.push(JSON.stringify({ ...message, signature: base64url(signature) }));
    }
    const plainBytes = bodies.reduce((total, body) => total + Buffer.byteLength(body), 0);
    const gzipBytes = bodies.reduce((total, body) => total + gzipSync(body).length, 0);
    const started = process.hrtime.bigint();
    for (const body of bodies) {
      const response = await app.request('/api/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (response.status !== 200)
        throw new Error(`push failed: ${response.status} ${await response.text()}`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return [
      {
        name: 'sync.push.bytes-per-payment',
        value: Math.round(gzipBytes / PAYMENTS),
        unit: 'bytes',
        context: {
          compression: 'gzip',
          plainBytesPerPayment: Math.round(plainBytes / PAYMENTS),
          batch: BATCH,
        },
      },
      {
        name: 'ingest.sqlite.payments-per-second',
        value: Math.round(PAYMENTS / seconds),
        unit: 'payments/s',
        context: {
          payments: PAYMENTS,
          batch: BATCH,
          seconds: Number(seconds.toFixed(3)),
          path: 'in-process app.request',
        },
      },
    ];
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
