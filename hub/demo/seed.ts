/**
 * The demo deployment seeded into an empty store: one supervisor, two agents, two villages
 * (routes), 200 customers with a year of monthly readings and bills (a tenth of them also on
 * prepaid meters), one tariff. The data is
 * made from a fixed seed, so every demo and every test sees the same customers; dates are
 * relative to the day the store is seeded.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Insertable, Transaction } from 'kysely';
import { minor } from '../../shared/money.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { nextCounter } from '../store/store.ts';
import { hashSecret, SCRYPT_PARAMETERS, type ScryptParameters } from '../auth/secrets.ts';
import { isDemoSts, seedDemoSts } from './sts.ts';
import { nameSearchText } from '../accounts/search-text.ts';
import { demoBillAmount, demoTariff, demoTariffDocument } from './tariff.ts';

export const demoSignIns = {
  supervisor: { username: 'grace', password: 'gridtally-demo', displayName: 'Grace Wanjiru' },
  /** Head office: every region, and the tariffs. */
  admin: { username: 'ruth', password: 'gridtally-admin', displayName: 'Ruth Achieng' },
  agents: [
    {
      username: 'amina',
      pin: '1234',
      displayName: 'Amina Otieno',
      routeId: 'route-nyando',
      routeName: 'Nyando',
    },
    {
      username: 'baraka',
      pin: '5678',
      displayName: 'Baraka Mwangi',
      routeId: 'route-kabondo',
      routeName: 'Kabondo',
    },
  ],
  /**
   * A pop-up payment point in Ahero market: its area holds the Nyando route; walk-in customers
   * of Kabondo are found through the hub.
   */
  villageAgent: {
    username: 'zawadi',
    pin: '2468',
    displayName: 'Zawadi Achola',
    areaId: 'area-ahero',
    areaName: 'Ahero',
  },
} as const;

/** Customers the demo seeds unless told otherwise (HUB_DEMO_CUSTOMERS), half on each route. */
export const DEMO_CUSTOMERS = 200;
const MONTHS = 12;

const firstNames = [
  'Achieng',
  'Wanjiku',
  'Otieno',
  'Kamau',
  'Njeri',
  'Omondi',
  'Atieno',
  'Mutua',
  'Akinyi',
  'Kiprop',
  'Chebet',
  'Mwangi',
  'Auma',
  'Odhiambo',
  'Nyambura',
  'Kibet',
  'Adhiambo',
  'Wafula',
  'Moraa',
  'Onyango',
];
const lastNames = [
  'Ochieng',
  'Kariuki',
  'Owino',
  'Mutiso',
  'Wekesa',
  'Nyaga',
  'Okoth',
  'Rotich',
  'Ouma',
  'Kiplagat',
  'Were',
  'Gitau',
  'Oduor',
  'Maina',
  'Juma',
];
/**
 * A few customers on Amina's route whose names are written otherwise: in Chinese characters
 * (found by pinyin too) and with the tildes of Gikuyu spelling (found without them). Each still
 * draws its random name first, so every other customer is as before.
 */
const WRITTEN_OTHERWISE: Readonly<Record<number, string>> = {
  121: '王小明',
  123: '李娜',
  125: '张伟',
  127: '陈静怡',
  131: 'Ngũgĩ Kamau',
  133: 'Wambũi Njoroge',
};
const places = {
  'route-nyando': ['Ahero', 'Awasi', 'Kochogo', 'Onjiko'],
  'route-kabondo': ['Kadel', 'Kodhoch', 'Oyugis Road', 'Rachar'],
} as const;

/** A small deterministic generator (mulberry32) so the demo is the same on every machine. */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function isoDate(year: number, monthIndex: number, day: number): string {
  return new Date(Date.UTC(year, monthIndex, day)).toISOString().slice(0, 10);
}

export async function isEmpty(store: Store): Promise<boolean> {
  const row = await store.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return row === undefined;
}

type Trx = Transaction<Database>;
type AccountRow = Omit<Insertable<Database['accounts']>, 'change_seq'>;
type ReadingRow = Insertable<Database['readings']>;
type BillRow = Insertable<Database['bills']>;

export async function seedDemo(
  store: Store,
  today: Date,
  customers = DEMO_CUSTOMERS,
  hashing: ScryptParameters = SCRYPT_PARAMETERS,
): Promise<void> {
  const random = generator(20261126);
  const [supervisorHash, adminHash, villageHash, ...agentHashes] = await Promise.all(
    [
      demoSignIns.supervisor.password,
      demoSignIns.admin.password,
      demoSignIns.villageAgent.pin,
      ...demoSignIns.agents.map((agent) => agent.pin),
    ].map((secret: string) => hashSecret(secret, hashing)),
  );
  await store.transaction(async (trx) => {
    await seedPeople(trx, supervisorHash ?? '', adminHash ?? '', villageHash ?? '', agentHashes);
    await seedTariff(trx);
    await seedCustomers(store, trx, today, customers, random);
  });
}

/** The demo's region: both routes, overseen by the demo supervisor. */
export const DEMO_REGION = { id: 'region-kisumu', name: 'Kisumu' } as const;

/**
 * The two routes (Nyando in the area of Ahero), the supervisor, one agent on each route and a
 * village agent of the area, with their hashed secrets.
 */
async function seedPeople(
  trx: Trx,
  supervisorHash: string,
  adminHash: string,
  villageHash: string,
  agentHashes: readonly string[],
): Promise<void> {
  const village = demoSignIns.villageAgent;
  await trx.insertInto('regions').values({ id: DEMO_REGION.id, name: DEMO_REGION.name }).execute();
  await trx
    .insertInto('areas')
    .values({ id: village.areaId, name: village.areaName, region_id: DEMO_REGION.id })
    .execute();
  await trx
    .insertInto('routes')
    .values(
      demoSignIns.agents.map((a) => ({
        id: a.routeId,
        name: a.routeName,
        region_id: DEMO_REGION.id,
        // Ahero is on the Nyando route; Kabondo's customers reach the pop-up point through
        // the hub.
        area_id: a.routeId === 'route-nyando' ? village.areaId : null,
      })),
    )
    .execute();
  await trx
    .insertInto('users')
    .values([
      {
        id: 'user-grace',
        username: demoSignIns.supervisor.username,
        display_name: demoSignIns.supervisor.displayName,
        role: 'supervisor',
        is_admin: 0,
        route_id: null,
        secret_hash: supervisorHash,
        region_id: DEMO_REGION.id,
      },
      {
        id: 'user-ruth',
        username: demoSignIns.admin.username,
        display_name: demoSignIns.admin.displayName,
        role: 'supervisor',
        is_admin: 1,
        route_id: null,
        secret_hash: adminHash,
        region_id: null,
      },
      ...demoSignIns.agents.map((agent, i) => ({
        id: `user-${agent.username}`,
        username: agent.username,
        display_name: agent.displayName,
        role: 'agent' as const,
        is_admin: 0,
        route_id: agent.routeId,
        secret_hash: agentHashes[i] ?? '',
        region_id: null,
      })),
      {
        id: `user-${village.username}`,
        username: village.username,
        display_name: village.displayName,
        role: 'agent',
        is_admin: 0,
        route_id: null,
        area_id: village.areaId,
        secret_hash: villageHash,
        region_id: null,
      },
    ])
    .execute();
}

/** The demo tariff and its one version. */
async function seedTariff(trx: Trx): Promise<void> {
  await trx
    .insertInto('tariffs')
    .values({ id: demoTariff.id, name: demoTariff.name, currency: demoTariff.currency })
    .execute();
  await trx
    .insertInto('tariff_versions')
    .values({
      tariff_id: demoTariff.id,
      version: demoTariff.version,
      effective_from: demoTariff.effectiveFrom,
      document: JSON.stringify(demoTariffDocument),
    })
    .execute();
}

/**
 * The customers, each with a year of readings and bills and an opening ledger entry. Customer
 * after customer draws from the one generator in the same order, so the demo never changes.
 */
async function seedCustomers(
  store: Store,
  trx: Trx,
  today: Date,
  customers: number,
  random: () => number,
): Promise<void> {
  const accounts: Insertable<Database['accounts']>[] = [];
  const readings: ReadingRow[] = [];
  const bills: BillRow[] = [];
  for (let n = 1; n <= customers; n++) {
    const customer = demoCustomer(n, today, random);
    readings.push(...customer.readings);
    bills.push(...customer.bills);
    accounts.push({ ...customer.account, change_seq: await nextCounter(trx, 'change') });
  }
  await store.insertMany(trx, 'accounts', accounts);
  // Each account's ledger opens with the balance it was loaded with.
  await store.insertMany(
    trx,
    'ledger',
    accounts.map((account) => ({
      source: 'opening',
      account_id: account.id,
      delta_minor: account.balance_minor,
      change_seq: account.change_seq,
    })),
  );
  await store.insertMany(trx, 'readings', readings);
  await store.insertMany(trx, 'bills', bills);
  await store.insertMany(
    trx,
    'prepaid_meters',
    accounts
      .filter((_, i) => isDemoPrepaid(i + 1) && !isDemoSts(i + 1))
      .map((account) => newPrepaidMeter(account.id)),
  );
  await seedDemoSts(
    store,
    trx,
    accounts.map((account) => account.id),
  );
}

/**
 * A tenth of the demo's customers, on both routes, have prepaid meters: 18, 38, … 198 (Kabondo)
 * and 109, 119, … 199 (Nyando).
 */
export function isDemoPrepaid(n: number): boolean {
  return n % 20 === 18 || (n > 100 && n % 10 === 9);
}

/**
 * A new OpenPAYGO meter as the hub provisions it: a key and starting code from a cryptographic
 * random source, never from the demo's seeded generator; its count at 1, as a new meter's is.
 */
export function newPrepaidMeter(accountId: string): Insertable<Database['prepaid_meters']> {
  return {
    account_id: accountId,
    system: 'openpaygo',
    secret_key: randomBytes(16).toString('hex'),
    starting_code: randomInt(100_000_000, 1_000_000_000),
    restricted_digits: 0,
    unit_wh: 100,
    last_count: 1,
    lease_device_id: null,
    lease_from: 2,
    lease_to: 2,
  };
}

/** Customer number n: a year of readings and bills first, then a name, an address and a phone. */
function demoCustomer(
  n: number,
  today: Date,
  random: () => number,
): { account: AccountRow; readings: ReadingRow[]; bills: BillRow[] } {
  const routeId = n % 2 === 1 ? 'route-nyando' : 'route-kabondo';
  const id = `acc-${String(n).padStart(4, '0')}`;
  const year = customerYear(id, today, random, isDemoPrepaid(n));
  const drawn = `${pick(random, firstNames)} ${pick(random, lastNames)}`;
  const name = WRITTEN_OTHERWISE[n] ?? drawn;
  return {
    account: {
      id,
      account_number: `GT-${10000 + n}`,
      name,
      name_search: nameSearchText(name),
      address: `${pick(random, places[routeId])}, plot ${1 + Math.floor(random() * 300)}`,
      phone: `+2547${String(10000000 + Math.floor(random() * 89999999))}`,
      meter_number: `54${String(100000000 + n * 7919).slice(0, 9)}`,
      route_id: routeId,
      tariff_id: demoTariff.id,
      currency: demoTariff.currency,
      balance_minor: minor(year.balance),
    },
    readings: year.readings,
    bills: year.bills,
  };
}

/**
 * A customer's last twelve months: a reading on the first of each month and the bill for the
 * month before it. Up to three of the latest bills are unpaid, the oldest of them sometimes half
 * paid (none for a prepaid customer); the balance is what they leave owing.
 */
function customerYear(
  id: string,
  today: Date,
  random: () => number,
  prepaid: boolean,
): { readings: ReadingRow[]; bills: BillRow[]; balance: number } {
  let register = 1000 + Math.floor(random() * 9000);
  const usual = 25 + Math.floor(random() * 180);
  const unpaidMonths = Math.floor(random() * 4);
  let balance = 0;
  const readings: ReadingRow[] = [];
  const bills: BillRow[] = [];
  for (let m = MONTHS; m >= 1; m--) {
    const readOn = isoDate(today.getUTCFullYear(), today.getUTCMonth() - m + 1, 1);
    const kwh = Math.max(0, usual + Math.floor((random() - 0.5) * usual * 0.4));
    register += kwh;
    readings.push({
      id: `${id}-r${m}`,
      account_id: id,
      read_on: readOn,
      register_kwh: register,
    });
    const amount = demoBillAmount(
      kwh,
      isoDate(today.getUTCFullYear(), today.getUTCMonth() - m, 1),
      readOn,
    );
    const drawn =
      m > unpaidMonths ? amount : m === unpaidMonths && random() < 0.3 ? Math.floor(amount / 2) : 0;
    // A prepaid customer's last year of bills was settled when the meter was changed (drawn
    // all the same, so every customer after draws the same numbers).
    const paid = prepaid ? amount : drawn;
    balance += amount - paid;
    bills.push({
      id: `${id}-b${readOn.slice(0, 7)}`,
      account_id: id,
      period_from: isoDate(today.getUTCFullYear(), today.getUTCMonth() - m, 1),
      period_to: readOn,
      issued_on: readOn,
      due_on: isoDate(today.getUTCFullYear(), today.getUTCMonth() - m + 1, 15),
      kwh,
      amount_minor: minor(amount),
      paid_minor: minor(paid),
    });
  }
  return { readings, bills, balance };
}
