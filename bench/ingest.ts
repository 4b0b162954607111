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
import { ECDSA_KEY } from '../shared/devices.ts';
import { seedDemo } from '../hub/demo/seed.ts';
import { openSqliteStore } from '../hub/store/sqlite.ts';
import type { Figure } from './figures.ts';
import { publicJwk, signedPaymentPushes } from './pushes.ts';

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
    const { code } = await issueEnrolmentCode(store, 'user-grace', new Date());
    await enrolDevice(
      store,
      {
        code: code.replace(/-/g, ''),
        deviceId,
        publicKey: await publicJwk(keys.publicKey),
      },
      new Date(),
    );
    const bodies = await signedPaymentPushes({
      deviceId,
      privateKey: keys.privateKey,
      payments: PAYMENTS,
      batch: BATCH,
      accountFor: (seq) => `acc-${String(1 + 2 * (seq % 100)).padStart(4, '0')}`,
    });
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
