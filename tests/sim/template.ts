/**
 * The simulated world's starting point: a small hub (three routes, four agents, twelve
 * accounts with open bills, one of them in credit, one per route in another currency) written
 * once per process into a template SQLite file that every seed copies. The demo seed is far
 * too big for thousands of runs (scrypt hashes, 200 customers with a year of bills).
 *
 * The same description is what the independent model starts from: it never reads the
 * starting balances back from the hub. Every amount is distinct, so nothing agrees by
 * coincidence.
 *
 * The template also holds devices already enrolled and signed in (see `TemplateDevice`).
 *
 * Agents' PINs are stored as the hub's own scrypt format at a low cost factor (N = 16): the
 * hub's real `verifySecret` reads the cost from the stored hash, and sign-in is not what is
 * under test here.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '../../hub/auth/sessions.ts';
import { enrolDevice, issueEnrolmentCode } from '../../hub/devices/enrolment.ts';
import { nextCounter } from '../../hub/store/store.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import type { User } from '../../shared/api.ts';
import { ECDSA_KEY, enrolmentCodeSchema, publicKeyJwkSchema } from '../../shared/devices.ts';
import type { CurrencyCode } from '../../shared/money.ts';
import { minor } from '../../shared/money.ts';
import { Random } from './random.ts';

export interface SimAgent {
  readonly id: string;
  readonly username: string;
  readonly pin: string;
  readonly routeId: string;
}

export interface SimBill {
  readonly id: string;
  readonly period: string;
  readonly issuedOn: string;
  readonly dueOn: string;
  readonly kwh: number;
  readonly amountMinor: number;
  readonly paidMinor: number;
}

export interface SimAccount {
  readonly id: string;
  readonly routeId: string;
  /** Contact fields as the hub starts with them; edits by devices change them. */
  readonly name: string;
  readonly phone: string;
  readonly address: string;
  readonly currency: CurrencyCode;
  readonly balanceMinor: number;
  readonly bills: readonly SimBill[];
}

export interface TemplateWorld {
  readonly supervisorId: string;
  readonly routes: readonly string[];
  readonly agents: readonly SimAgent[];
  readonly accounts: readonly SimAccount[];
}

const ROUTES = ['route-north', 'route-south', 'route-east'] as const;
const ACCOUNTS_PER_ROUTE = 4;

export const AGENTS: readonly SimAgent[] = [
  { id: 'user-ada', username: 'ada', pin: '2468', routeId: 'route-north' },
  { id: 'user-bea', username: 'bea', pin: '1357', routeId: 'route-north' },
  { id: 'user-cyr', username: 'cyr', pin: '9753', routeId: 'route-south' },
  { id: 'user-dov', username: 'dov', pin: '8642', routeId: 'route-east' },
];

function describeAccounts(): SimAccount[] {
  const accounts: SimAccount[] = [];
  let n = 0;
  for (const routeId of ROUTES) {
    for (let k = 1; k <= ACCOUNTS_PER_ROUTE; k++) {
      n++;
      const id = `acc-${routeId.slice(6)}-${k}`;
      const currency: CurrencyCode = k === ACCOUNTS_PER_ROUTE ? 'USD' : 'KES';
      // The second account of the middle route is in credit and has no open bill.
      const billCount = routeId === 'route-south' && k === 2 ? 0 : 1 + ((n + k) % 3);
      const bills: SimBill[] = [];
      for (let b = 0; b < billCount; b++) {
        // On every other account the second bill falls due with the first, and on every
        // fourth it was also issued the same day, so the oldest-first rule is exercised on
        // each of its keys (due date, issue date, id). Some first bills are part paid.
        const sameDue = b === 1 && n % 2 === 0;
        const sameIssue = sameDue && n % 4 === 0;
        const month = sameDue ? 9 : 9 + b;
        bills.push({
          id: `${id}-b${b}`,
          period: `2026-${String(7 + b).padStart(2, '0')}`,
          issuedOn: `2026-${String(month - 1).padStart(2, '0')}-${sameIssue ? '01' : `0${1 + b}`}`,
          dueOn: `2026-${String(month).padStart(2, '0')}-15`,
          kwh: 40 + 7 * n + b,
          amountMinor: 3_000 + 1_237 * n + 311 * b,
          paidMinor: b === 0 && n % 3 === 0 ? 1_000 + 17 * n : 0,
        });
      }
      const owed = bills.reduce((sum, bill) => sum + bill.amountMinor - bill.paidMinor, 0);
      accounts.push({
        id,
        routeId,
        name: `Customer ${id}`,
        phone: `+2547000${String(10_000 + n)}`,
        address: `Plot ${n}`,
        currency,
        balanceMinor: billCount === 0 ? -(2_500 + n) : owed + 13 * n,
        bills,
      });
    }
  }
  return accounts;
}

export const TEMPLATE: TemplateWorld = {
  supervisorId: 'user-sol',
  routes: ROUTES,
  agents: AGENTS,
  accounts: describeAccounts(),
};

/** The hub's scrypt format at a tiny cost, for fast sign-ins through the real verifier. */
function cheapSecretHash(secret: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(secret, salt, 32, { N: 16 });
  return `scrypt$16$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

async function writeTemplate(file: string, world: TemplateWorld): Promise<void> {
  const store = await openSqliteStore(file);
  await store.transaction(async (trx) => {
    await trx
      .insertInto('routes')
      .values(world.routes.map((id) => ({ id, name: id.slice(6) })))
      .execute();
    await trx
      .insertInto('users')
      .values([
        {
          id: world.supervisorId,
          username: 'sol',
          display_name: 'Sol Supervisor',
          role: 'supervisor',
          route_id: null,
          secret_hash: cheapSecretHash('sim-supervisor'),
        },
        ...world.agents.map((agent) => ({
          id: agent.id,
          username: agent.username,
          display_name: `Agent ${agent.username}`,
          role: 'agent' as const,
          route_id: agent.routeId,
          secret_hash: cheapSecretHash(agent.pin),
        })),
      ])
      .execute();
    await trx
      .insertInto('tariffs')
      .values([
        { id: 'tariff-kes', name: 'Sim KES', currency: 'KES' },
        { id: 'tariff-usd', name: 'Sim USD', currency: 'USD' },
      ])
      .execute();
    let n = 0;
    for (const account of world.accounts) {
      n++;
      await trx
        .insertInto('accounts')
        .values({
          id: account.id,
          account_number: `SIM-${1000 + n}`,
          name: account.name,
          address: account.address,
          phone: account.phone,
          meter_number: `77${String(100_000 + n)}`,
          route_id: account.routeId,
          tariff_id: account.currency === 'USD' ? 'tariff-usd' : 'tariff-kes',
          currency: account.currency,
          balance_minor: minor(account.balanceMinor),
          change_seq: await nextCounter(trx, 'change'),
        })
        .execute();
      for (const bill of account.bills) {
        await trx
          .insertInto('bills')
          .values({
            id: bill.id,
            account_id: account.id,
            period_from: `${bill.period}-01`,
            period_to: bill.issuedOn,
            issued_on: bill.issuedOn,
            due_on: bill.dueOn,
            kwh: bill.kwh,
            amount_minor: minor(bill.amountMinor),
            paid_minor: minor(bill.paidMinor),
          })
          .execute();
      }
    }
  });
  // Closing checkpoints the WAL into the main file, so copying that one file is a full copy.
  await store.close();
}

/**
 * A device enrolled and signed in on the template hub, by the hub's own `enrolDevice` and
 * `createSession`: its id, its key pair (made as the device makes it, never extractable) and
 * its session. A run that starts from the template gives each simulated device one of these
 * instead of enrolling it again, which would cost most of a run's time.
 */
export interface TemplateDevice {
  readonly deviceId: string;
  readonly agent: SimAgent;
  readonly user: User;
  readonly signingKey: CryptoKey;
  readonly publicKeyJwk: JsonWebKey;
  readonly enrolledAt: string;
  readonly token: string;
  readonly expiresAt: string;
}

export interface Template {
  readonly dir: string;
  readonly file: string;
  readonly devices: readonly TemplateDevice[];
}

/** When the template's devices were enrolled: the day before every run starts. */
export const TEMPLATE_ENROLLED_AT = new Date('2026-11-19T08:00:00.000Z');

async function enrolTemplateDevices(file: string, count: number): Promise<TemplateDevice[]> {
  const store = await openSqliteStore(file);
  const random = new Random(0x5eed);
  const devices: TemplateDevice[] = [];
  for (let i = 0; i < count; i++) {
    const agent = TEMPLATE.agents[i % TEMPLATE.agents.length];
    if (!agent) throw new Error('the template has no agents');
    const pair = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
    const publicKeyJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const deviceId = random.uuidv7(TEMPLATE_ENROLLED_AT.getTime() + i);
    const { code } = await issueEnrolmentCode(store, TEMPLATE.supervisorId, TEMPLATE_ENROLLED_AT);
    const enrolled = await enrolDevice(
      store,
      {
        code: enrolmentCodeSchema.parse(code),
        deviceId,
        publicKey: publicKeyJwkSchema.parse(publicKeyJwk),
      },
      TEMPLATE_ENROLLED_AT,
    );
    const user: User = {
      id: agent.id,
      username: agent.username,
      displayName: `Agent ${agent.username}`,
      role: 'agent',
      routeId: agent.routeId,
      routeName: agent.routeId.slice(6),
    };
    const session = await createSession(store, user, deviceId, TEMPLATE_ENROLLED_AT);
    devices.push({
      deviceId,
      agent,
      user,
      signingKey: pair.privateKey,
      publicKeyJwk,
      enrolledAt: enrolled.enrolledAt,
      ...session,
    });
  }
  await store.close();
  return devices;
}

const templates = new Map<number, Promise<Template>>();
const directories = new Set<string>();

/** Deletes every template of this process and its runs' files; later runs make new ones. */
export function removeTemplates(): void {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  directories.clear();
  templates.clear();
}

process.once('exit', removeTemplates);

/** The template with `deviceCount` enrolled devices, written on first use, kept for the process. */
export function template(deviceCount: number): Promise<Template> {
  let made = templates.get(deviceCount);
  if (!made) {
    made = (async () => {
      const dir = mkdtempSync(
        join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gridtally-sim-'),
      );
      directories.add(dir);
      const file = join(dir, 'template.sqlite');
      await writeTemplate(file, TEMPLATE);
      const devices = await enrolTemplateDevices(file, deviceCount);
      return { dir, file, devices };
    })();
    templates.set(deviceCount, made);
  }
  return made;
}

/** A fresh copy of a template's hub for one run; `remove` deletes it and its journal. */
export function copyTemplate(from: Template, name: string): { file: string; remove(): void } {
  const copy = join(from.dir, `${name}.sqlite`);
  copyFileSync(from.file, copy);
  return {
    file: copy,
    remove() {
      for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
    },
  };
}
