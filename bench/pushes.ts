/**
 * Signed pushes of cash payments, made the way a device makes them (sealed facts in one hash
 * chain, ECDSA P-256 signature over the batch), before any clock starts: signing is the
 * device's work, not the hub's.
 */
import { formatHlc } from '../shared/clock.ts';
import { base64url, ECDSA_SIGNING, pushSigningText } from '../shared/devices.ts';
import { sealFact, type Fact } from '../shared/facts.ts';
import { GENESIS_HASH } from '../shared/hash.ts';
import { minor } from '../shared/money.ts';
import { PROTOCOL_VERSION } from '../shared/protocol.ts';
import { uuidv7 } from 'uuidv7';

const PAYMENT_SPACING_MS = 60_000;

export interface PushPlan {
  readonly deviceId: string;
  readonly privateKey: CryptoKey;
  readonly payments: number;
  readonly batch: number;
  /** The account of the device's payment number `seq`. */
  readonly accountFor: (seq: number) => string;
}

/** The push bodies (JSON text) of one device's payments, in the order they must be sent. */
export async function signedPaymentPushes(plan: PushPlan): Promise<string[]> {
  const facts: Fact[] = [];
  let previous = GENESIS_HASH as string;
  for (let seq = 1; seq <= plan.payments; seq++) {
    // One payment a minute, clock and HLC alike, as a device stamps them. Payments on one account
    // within an hour and 5% of each other are flagged 'possible-duplicate' (shared/conflicts.ts);
    // with stamps a millisecond apart nine in ten of the bench's payments were, and ingest was
    // measured on that path instead of on acceptance.
    const atMs = 1_790_000_000_000 + seq * PAYMENT_SPACING_MS;
    const fact = sealFact({
      id: uuidv7(),
      deviceId: plan.deviceId,
      seq,
      prevHash: previous,
      hlc: formatHlc({ wallMs: atMs, counter: 0, node: plan.deviceId }),
      agentId: 'user-amina',
      recordedAt: new Date(atMs).toISOString(),
      kind: 'payment',
      body: {
        accountId: plan.accountFor(seq),
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
  const bodies: string[] = [];
  for (let i = 0; i < facts.length; i += plan.batch) {
    const message = {
      formatVersion: PROTOCOL_VERSION,
      deviceId: plan.deviceId,
      facts: facts.slice(i, i + plan.batch),
    };
    const signature = await crypto.subtle.sign(
      ECDSA_SIGNING,
      plan.privateKey,
      new TextEncoder().encode(pushSigningText(message)),
    );
    bodies.push(JSON.stringify({ ...message, signature: base64url(signature) }));
  }
  return bodies;
}

/** The public half of a device key, as enrolment sends it. */
export async function publicJwk(key: CryptoKey) {
  const jwk = await crypto.subtle.exportKey('jwk', key);
  return { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x ?? '', y: jwk.y ?? '' };
}
