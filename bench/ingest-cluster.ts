/**
 * Hub ingest on PostgreSQL with 1, 2 and 4 hub processes on one database, behind a round-robin:
 * eight devices send their signed batches (as large as the client sends) at once (each device's batches in order, as a
 * device must), 10,000 payments in all, over real HTTP on loopback. Each process verifies,
 * stores and projects what it receives. PostgreSQL is a throw-away cluster from the machine's
 * binaries (or DATABASE_URL's server); without PostgreSQL the figures are skipped, saying why.
 */
import { uuidv7 } from 'uuidv7';
import { ECDSA_KEY } from '../shared/devices.ts';
import { startHubCluster } from '../tests/support/hub-cluster.ts';
import { postgresMissing, startPostgres } from '../tests/support/postgres.ts';
import { issueEnrolmentCodes } from '../tests/support/enrolment.ts';
import { PUSH_BATCH as BATCH } from '../client/sync/engine.ts';
import type { Figure } from './figures.ts';
import { publicJwk, signedPaymentPushes } from './pushes.ts';

const DEVICES = 8;
const PAYMENTS_PER_DEVICE = 1_250;
const PROCESS_COUNTS = [1, 2, 4] as const;

export async function ingestPostgres(): Promise<Figure[]> {
  const missing = postgresMissing();
  if (missing) {
    console.error(`[bench] PostgreSQL ingest skipped: ${missing}`);
    return [];
  }
  const server = await startPostgres();
  const figures: Figure[] = [];
  try {
    for (const processes of PROCESS_COUNTS) {
      const cluster = await startHubCluster({ databaseUrl: await server.newDatabase() }, processes);
      try {
        const codes = await issueEnrolmentCodes(cluster.urls[0] as string, DEVICES);
        const pushes: string[][] = [];
        for (let d = 0; d < DEVICES; d++) {
          const deviceId = uuidv7();
          const keys = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
          const enrolled = await cluster.fetch(`${cluster.baseUrl}/api/devices/enrol`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              code: (codes[d] as string).replace(/-/g, ''),
              deviceId,
              publicKey: await publicJwk(keys.publicKey),
            }),
          });
          if (!enrolled.ok) throw new Error(`enrol failed: ${enrolled.status}`);
          // The bench's payments are amina's: she signs in on each device, as an agent does.
          const signedIn = await cluster.fetch(`${cluster.baseUrl}/api/auth/agent`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'amina', pin: '1234', deviceId }),
          });
          if (!signedIn.ok) throw new Error(`sign-in failed: ${signedIn.status}`);
          pushes.push(
            await signedPaymentPushes({
              deviceId,
              privateKey: keys.privateKey,
              payments: PAYMENTS_PER_DEVICE,
              batch: BATCH,
              // Devices share accounts, so their payments meet on the same rows.
              accountFor: (seq) => `acc-${String(1 + ((seq * 7 + d) % 200)).padStart(4, '0')}`,
            }),
          );
        }
        const started = process.hrtime.bigint();
        await Promise.all(
          pushes.map(async (bodies) => {
            for (const body of bodies) {
              const response = await cluster.fetch(`${cluster.baseUrl}/api/sync/push`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body,
              });
              if (response.status !== 200)
                throw new Error(`push failed: ${response.status} ${await response.text()}`);
            }
          }),
        );
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const payments = DEVICES * PAYMENTS_PER_DEVICE;
        figures.push({
          name: `ingest.postgres.${processes}-process${processes > 1 ? 'es' : ''}.payments-per-second`,
          value: Math.round(payments / seconds),
          unit: 'payments/s',
          context: {
            processes,
            devices: DEVICES,
            payments,
            batch: BATCH,
            seconds: Number(seconds.toFixed(3)),
            path: 'HTTP on loopback, round-robin',
          },
        });
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    await server.stop();
  }
  return figures;
}
