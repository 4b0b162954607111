/**
 * A month of field work for the demo, so a supervisor's screens have something to show: each
 * agent's tablet takes payments door to door every day for the 30 days before the demo starts
 * (now and then one taken twice, later voided, or with change given), reads a few meters, and
 * syncs every evening. It all goes through the hub's own ingest as signed pushes from enrolled
 * tablets, so every figure on the supervisor's screens comes from the same rules as real work.
 * Made from a fixed seed: every demo sees the same month.
 */
import { uuidv7 } from 'uuidv7';
import { formatHlc } from '../../shared/clock.ts';
import { base64url, ECDSA_KEY, ECDSA_SIGNING, pushSigningText } from '../../shared/devices.ts';
import { sealFact, type Fact, type PaymentBody, type UnsignedFact } from '../../shared/facts.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { recordAgentOnDevice } from '../auth/sessions.ts';
import { enrolDevice, issueEnrolmentCode } from '../devices/enrolment.ts';
import { ingestPush } from '../ingest/push.ts';
import type { Store } from '../store/store.ts';
import { demoSignIns, generator } from './seed.ts';

const DAYS = 30;
const PAYMENTS_A_DAY = 6;
const DAY_MS = 86_400_000;
/** Round amounts people pay, in shillings. */
const AMOUNTS = [500, 1_000, 1_500, 2_000, 2_500, 3_000, 5_000];

/** One demo tablet: its key, its chain, and the agent who carries it. */
class Tablet {
  private seq = 0;
  private head: string = GENESIS_HASH;
  private pending: Fact[] = [];

  constructor(
    readonly deviceId: string,
    readonly agentId: string,
    private readonly key: CryptoKey,
  ) {}

  record(kind: Fact['kind'], body: Fact['body'], atMs: number): Fact {
    this.seq += 1;
    const fact = sealFact({
      id: uuidv7(),
      deviceId: this.deviceId,
      seq: this.seq,
      prevHash: this.head,
      hlc: formatHlc({ wallMs: atMs, counter: 0, node: this.deviceId }),
      agentId: this.agentId,
      recordedAt: new Date(atMs).toISOString(),
      kind,
      body,
    } as UnsignedFact);
    this.head = fact.hash;
    this.pending.push(fact);
    return fact;
  }

  receiptNumber(): string {
    return `R-${this.deviceId.replace(/-/g, '').slice(-6).toUpperCase()}-${String(this.seq + 1).padStart(6, '0')}`;
  }

  /** The evening sync: everything recorded today, in one signed push. */
  async sync(store: Store, at: Date): Promise<void> {
    if (this.pending.length === 0) return;
    const message = {
      formatVersion: PROTOCOL_VERSION,
      deviceId: this.deviceId,
      facts: this.pending,
      sentAtMs: at.getTime(),
    };
    const signature = await crypto.subtle.sign(
      ECDSA_SIGNING,
      this.key,
      new TextEncoder().encode(pushSigningText(message)),
    );
    await ingestPush(store, { ...message, signature: base64url(signature) }, at);
    this.pending = [];
  }
}

async function enrolTablet(store: Store, agentId: string, label: string, at: Date) {
  const keys = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const deviceId = uuidv7();
  const { code } = await issueEnrolmentCode(store, 'user-grace', at);
  await enrolDevice(
    store,
    {
      code: code.replace(/-/g, ''),
      deviceId,
      publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' },
      label,
    },
    at,
  );
  await store.transaction((trx) => recordAgentOnDevice(trx, deviceId, agentId, at));
  return new Tablet(deviceId, agentId, keys.privateKey);
}

/** One agent's day on the route: payments, sometimes one taken twice and voided, a reading. */
function workDay(tablet: Tablet, accounts: readonly string[], dayMs: number, random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let atMs = dayMs + 8 * 3_600_000;
  for (let n = 0; n < PAYMENTS_A_DAY; n++) {
    atMs += 20 * 60_000 + Math.floor(random() * 60 * 60_000);
    const accountId = pick(accounts);
    const amountMinor = minor(pick(AMOUNTS) * 100);
    const tenderedMinor = minor(random() < 0.3 ? amountMinor + 50_000 : amountMinor);
    const body = demoBody(n, atMs, { accountId, currency: 'KES', amountMinor }, tenderedMinor);
    tablet.record('payment', { ...body, receiptNumber: tablet.receiptNumber() }, atMs);
    if (random() < 0.06) {
      // Taken twice in a hurry: the second is flagged at the hub, and the agent voids it.
      atMs += 4 * 60_000;
      const twice = tablet.record(
        'payment',
        { ...body, receiptNumber: tablet.receiptNumber() },
        atMs,
      );
      if (random() < 0.6) {
        atMs += 6 * 60_000;
        tablet.record(
          'void',
          { accountId, paymentId: twice.id, amountMinor, reason: 'entered-twice' },
          atMs,
        );
      }
    }
  }
}

/**
 * Seeds the month before `today`: two tablets (Amina's on Nyando, the odd accounts; Baraka's
 * on Kabondo, the even ones) work every day and sync every evening at 18:00.
 */
export async function seedDemoMonth(store: Store, today: Date, customers: number): Promise<void> {
  const random = generator(20261206);
  const start =
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - DAYS * DAY_MS;
  const first = new Date(start);
  const tablets = await Promise.all(
    demoSignIns.agents.map((agent) =>
      enrolTablet(store, `user-${agent.username}`, `Demo tablet (${agent.displayName})`, first),
    ),
  );
  const route = (parity: number) =>
    Array.from({ length: customers }, (_, i) => i + 1)
      .filter((n) => n % 2 === parity)
      .map((n) => `acc-${String(n).padStart(4, '0')}`);
  const routes = [route(1), route(0)];
  for (let day = 0; day < DAYS; day++) {
    const dayMs = start + day * DAY_MS;
    for (const [index, tablet] of tablets.entries()) {
      workDay(tablet, routes[index] ?? [], dayMs, random);
      await tablet.sync(store, new Date(dayMs + 18 * 3_600_000));
    }
  }
}

/** A payment body before it gets its receipt number, whatever its method. */
type Unnumbered = PaymentBody extends infer B
  ? B extends PaymentBody
    ? Omit<B, 'receiptNumber'>
    : never
  : never;

/**
 * How the demo's n-th payment of a day was paid: mostly cash, about one in twelve by mobile
 * money and one in twelve by card, chosen without drawing from the random sequence, so the
 * month's payments, amounts and times stay what they were.
 */
function demoBody(
  n: number,
  atMs: number,
  common: Pick<PaymentBody, 'accountId' | 'currency' | 'amountMinor'>,
  tenderedMinor: MinorUnits,
): Unnumbered {
  const digits = String(atMs).slice(-8);
  const odd = Math.floor(atMs / 60_000) % 2 === 1;
  if (odd && n === 2)
    return {
      ...common,
      method: 'mobile-money',
      provider: 'mpesa',
      reference: `QK${digits}`,
      payerPhone: `+2547${digits}`,
    };
  if (odd && n === 4)
    return {
      ...common,
      method: 'card',
      brand: 'visa',
      last4: digits.slice(-4),
      approvalCode: `A${digits.slice(0, 5)}`,
    };
  return {
    ...common,
    method: 'cash',
    tenderedMinor,
    changeMinor: minor(tenderedMinor - common.amountMinor),
  };
}
