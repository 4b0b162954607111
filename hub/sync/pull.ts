/**
 * Pull: the accounts of the routes the agent serves (hub/auth/scope.ts, a field agent's route
 * or a village agent's area) that changed after the cursor, oldest change first, with their
 * open bills, and the acknowledgements of this device's facts in the same
 * range. Read in one transaction, so the cursor returned matches what was read.
 *
 * Every change takes the next number of one counter inside its writing transaction and holds
 * the counter's lock until it commits, so change numbers are in commit order on every engine;
 * the page and its cursor are read in one snapshot, so a cursor can never pass a change that
 * commits later.
 */
import { sql, type Selectable } from 'kysely';
import { minor } from '../../shared/money.ts';
import type { AccountSnapshot, PullRequest, PullResponse } from '../../shared/protocol.ts';
import {
  MAX_ACCOUNTS_PER_PULL,
  PROTOCOL_VERSION,
  RECENT_PAYMENTS_SENT,
  RECENT_READINGS_SENT,
  PREPAID_MONTHS_SENT,
  sealPullPage,
} from '../../shared/protocol.ts';
import { parseHlc } from '../../shared/clock.ts';
import { DUPLICATE_WINDOW_MS } from '../../shared/conflicts.ts';
import { paymentCounts } from '../../shared/rules/payment.ts';
import { DEFAULT_DEVICE_SETTINGS, type DeviceSettings } from '../../shared/risk.ts';
import type { Bill } from '../../shared/billing.ts';
import { chunks, currentCounter, storeEpoch, type Store } from '../store/store.ts';
import { openBillsOfAccounts } from '../store/bills.ts';
import { hubPublicKey, signedAuditHead } from '../store/audit-head.ts';
import { latestPayments } from '../store/payments.ts';
import { creditRequested } from '../store/requests.ts';
import type { Database } from '../store/schema.ts';
import { stsPrepaidOf } from '../prepaid/sts/snapshot.ts';

export async function pullChanges(
  store: Store,
  request: PullRequest,
  routeIds: readonly string[],
  settings: DeviceSettings = DEFAULT_DEVICE_SETTINGS,
  now: Date = new Date(),
): Promise<PullResponse> {
  return store.readTransaction(async (trx) => {
    const { page, cursor, hasMore, remaining } = await readPage(trx, request, routeIds);
    const details = await accountDetails(
      trx,
      page.map((row) => row.id),
      now.getTime(),
    );
    const device = await trx
      .selectFrom('devices')
      .select('head_seq')
      .where('id', '=', request.deviceId)
      .executeTakeFirst();
    return sealPullPage({
      formatVersion: PROTOCOL_VERSION,
      epoch: await storeEpoch(trx),
      deviceHeadSeq: device?.head_seq ?? 0,
      accounts: page.map((row) => snapshotOf(row, details)),
      acks: await acksOf(trx, request, cursor),
      tariffs: await tariffsOf(trx, request, routeIds, cursor),
      cursor: Math.max(cursor, request.cursor),
      hasMore,
      remaining,
      settings,
      // Read in the same snapshot as the page: the head says what the hub had when it answered.
      auditHead: await signedAuditHead(store, trx),
      hubKey: await hubPublicKey(store, trx),
    });
  });
}

type Trx = Parameters<Parameters<Store['transaction']>[0]>[0];
type AccountRow = Selectable<Database['accounts']>;

/** One account's snapshot, exactly as a pull would send it now. */
export async function accountSnapshot(
  trx: Trx,
  row: AccountRow,
  now: Date,
): Promise<AccountSnapshot> {
  return snapshotOf(row, await accountDetails(trx, [row.id], now.getTime()));
}

/**
 * The route's accounts changed after the cursor, oldest change first, up to the limit; the
 * cursor after them (the last account's change when more wait, else the counter itself), and
 * how many accounts wait after this page.
 */
async function readPage(trx: Trx, request: PullRequest, routeIds: readonly string[]) {
  const limit = request.limit ?? MAX_ACCOUNTS_PER_PULL;
  const rows = await trx
    .selectFrom('accounts')
    .selectAll()
    .where('route_id', 'in', routeIds)
    .where('change_seq', '>', request.cursor)
    .orderBy('change_seq')
    .limit(limit + 1)
    .execute();
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const cursor = hasMore && last ? last.change_seq : await currentCounter(trx, 'change');
  const remaining = hasMore
    ? Number(
        (
          await trx
            .selectFrom('accounts')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('route_id', 'in', routeIds)
            .where('change_seq', '>', cursor)
            .executeTakeFirstOrThrow()
        ).n,
      )
    : 0;
  return { page, cursor, hasMore, remaining };
}

function snapshotOf(row: AccountRow, details: Details): AccountSnapshot {
  return {
    id: row.id,
    accountNumber: row.account_number,
    name: row.name,
    address: row.address,
    phone: row.phone,
    meterNumber: row.meter_number,
    routeId: row.route_id,
    currency: row.currency,
    balanceMinor: row.balance_minor,
    openBills: details.openBills.get(row.id) ?? [],
    tariffId: row.tariff_id,
    lastReading: details.lastReading.get(row.id) ?? null,
    carried: details.carried.get(row.id) ?? [],
    recentReadings: details.recentReadings.get(row.id) ?? [],
    recentPayments: details.recentPayments.get(row.id) ?? [],
    ...prepaidOf(row.id, details),
    ...(row.budget_minor ? { budgetMinor: minor(Number(row.budget_minor)) } : {}),
    ...requestedOf(row.id, details),
    changeSeq: row.change_seq,
  };
}

/** This device's facts whose effects landed in the page's range of changes. */
async function acksOf(
  trx: Trx,
  request: PullRequest,
  cursor: number,
): Promise<PullResponse['acks']> {
  const acks = await trx
    .selectFrom('facts')
    .select(['id', 'seq', 'change_seq', 'outcome', 'flag_reason'])
    .where('device_id', '=', request.deviceId)
    .where('change_seq', '>', request.cursor)
    .where('change_seq', '<=', cursor)
    .$if(request.answeredThrough !== undefined, (query) =>
      query.where('seq', '>', request.answeredThrough ?? 0),
    )
    .orderBy('change_seq')
    .execute();
  return acks.map((ack) => ({
    id: ack.id,
    seq: ack.seq,
    changeSeq: ack.change_seq,
    outcome: ack.outcome,
    ...(ack.flag_reason === null ? {} : { reason: ack.flag_reason }),
  }));
}

/** Versions of the route's tariffs: all of them at cursor 0, then those published since. */
async function tariffsOf(
  trx: Trx,
  request: PullRequest,
  routeIds: readonly string[],
  cursor: number,
): Promise<PullResponse['tariffs']> {
  const tariffs = await trx
    .selectFrom('tariff_versions')
    .select(['tariff_id', 'version', 'effective_from', 'document'])
    .where('tariff_id', 'in', (eb) =>
      eb.selectFrom('accounts').select('tariff_id').distinct().where('route_id', 'in', routeIds),
    )
    .where((eb) =>
      request.cursor === 0
        ? eb.lit(true)
        : eb.and([eb('change_seq', '>', request.cursor), eb('change_seq', '<=', cursor)]),
    )
    .orderBy('tariff_id')
    .orderBy('version')
    .execute();
  return tariffs.map((t) => ({
    tariffId: t.tariff_id,
    version: t.version,
    effectiveFrom: t.effective_from.slice(0, 10),
    document: JSON.parse(t.document) as unknown,
  }));
}

interface Details {
  readonly openBills: Map<string, Bill[]>;
  readonly carried: Map<string, AccountSnapshot['carried']>;
  readonly lastReading: Map<string, NonNullable<AccountSnapshot['lastReading']>>;
  readonly recentReadings: Map<string, AccountSnapshot['recentReadings']>;
  readonly recentPayments: Map<string, AccountSnapshot['recentPayments']>;
  readonly prepaid: Map<string, NonNullable<AccountSnapshot['prepaid']>>;
  /** What requests waiting for a supervisor ask of each account's credit. */
  readonly requested: Map<string, number>;
}

function prepaidOf(id: string, details: Details): Pick<AccountSnapshot, 'prepaid'> {
  const prepaid = details.prepaid.get(id);
  return prepaid ? { prepaid } : {};
}

function requestedOf(id: string, details: Details): Pick<AccountSnapshot, 'creditRequestedMinor'> {
  const asked = details.requested.get(id) ?? 0;
  return asked > 0 ? { creditRequestedMinor: minor(asked) } : {};
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * What a snapshot tells of each account besides its row, read for a whole page at once: open
 * bills oldest first, unbilled differences carried from earlier bills, the meter's latest
 * accepted readings, the latest payments that count, and the reading the next bill printed at
 * the door starts from (the meter's latest accepted reading on or before the end of the
 * account's last bill: a reading after it was not billed, or its bill was refused, and the next
 * bill must cover those days too; with no bill yet, the latest reading).
 */
async function accountDetails(trx: Trx, ids: readonly string[], nowMs: number): Promise<Details> {
  const details: Details = {
    openBills: new Map(),
    carried: new Map(),
    lastReading: new Map(),
    recentReadings: new Map(),
    recentPayments: new Map(),
    prepaid: new Map(),
    requested: new Map(),
  };
  for (const part of chunks(ids)) {
    for (const bill of await openBillsOfAccounts(trx, part))
      push(details.openBills, bill.accountId, bill.bill);
    const carriedRows = await trx
      .selectFrom('carried')
      .select(['id', 'account_id', 'amount_minor'])
      .where('account_id', 'in', part)
      .where('billed_by', 'is', null)
      .orderBy('account_id')
      .orderBy('id')
      .execute();
    for (const row of carriedRows)
      push(details.carried, row.account_id, { sourceId: row.id, amountMinor: row.amount_minor });
    await readingDetails(trx, part, details);
    await paymentDetails(trx, part, details, nowMs);
    await prepaidDetails(trx, part, details, nowMs);
    for (const [id, asked] of await creditRequested(trx, part)) details.requested.set(id, asked);
  }
  return details;
}

/** Prepaid accounts' meters and the energy sold to them by month, latest PREPAID_MONTHS_SENT. */
async function prepaidDetails(
  trx: Trx,
  part: readonly string[],
  details: Details,
  nowMs: number,
): Promise<void> {
  const meters = await trx
    .selectFrom('prepaid_meters')
    .select(['account_id', 'system', 'unit_wh'])
    .where('account_id', 'in', part)
    .execute();
  for (const meter of meters)
    details.prepaid.set(meter.account_id, {
      system: meter.system,
      unitWh: Number(meter.unit_wh),
      soldByMonth: [],
    });
  for (const [id, prepaid] of await stsPrepaidOf(trx, part)) details.prepaid.set(id, prepaid);
  const withMeters = part.filter((id) => details.prepaid.has(id));
  if (withMeters.length === 0) return;
  const since = new Date(nowMs);
  since.setUTCDate(1);
  since.setUTCMonth(since.getUTCMonth() - (PREPAID_MONTHS_SENT - 1));
  const month = sql<string>`substr(sold_on, 1, 7)`;
  const sold = await trx
    .selectFrom('top_ups')
    .select(['account_id', month.as('month'), (eb) => eb.fn.sum<number>('energy_wh').as('wh')])
    .where('account_id', 'in', withMeters)
    .where('status', '=', 'sold')
    .where('sold_on', '>=', since.toISOString().slice(0, 10))
    .groupBy(['account_id', month])
    .orderBy('account_id')
    .orderBy(month)
    .execute();
  for (const row of sold)
    details.prepaid
      .get(row.account_id)
      ?.soldByMonth.push({ month: row.month, energyWh: Number(row.wh) });
}

async function readingDetails(trx: Trx, part: readonly string[], details: Details): Promise<void> {
  const billedTo = new Map<string, string>();
  const bills = await trx
    .selectFrom('bills')
    .select((eb) => ['account_id', eb.fn.max('period_to').as('until')])
    .where('account_id', 'in', part)
    .groupBy('account_id')
    .execute();
  for (const bill of bills) billedTo.set(bill.account_id, bill.until);
  // Latest first: the first reading within an account's billed time is its last reading.
  const readings = await trx
    .selectFrom('readings')
    .select(['account_id', 'read_on', 'register_kwh'])
    .where('account_id', 'in', part)
    .where('status', '=', 'accepted')
    .orderBy('account_id')
    .orderBy('read_on', 'desc')
    .orderBy('change_seq', 'desc')
    .execute();
  for (const row of readings) {
    const point = { readOn: row.read_on, registerKwh: row.register_kwh };
    const recent = details.recentReadings.get(row.account_id) ?? [];
    if (recent.length < RECENT_READINGS_SENT) {
      recent.unshift(point);
      details.recentReadings.set(row.account_id, recent);
    }
    if (details.lastReading.has(row.account_id)) continue;
    const until = billedTo.get(row.account_id);
    if (until !== undefined && row.read_on > until) continue;
    details.lastReading.set(row.account_id, point);
  }
}

/**
 * Each account's latest unvoided payments that count, by arrival, oldest first; only those
 * stamped within the duplicate rule's window of now, since another cannot look like a payment
 * the agent is about to take (and on 2G every byte of a snapshot counts).
 */
async function paymentDetails(
  trx: Trx,
  part: readonly string[],
  details: Details,
  nowMs: number,
): Promise<void> {
  for (const row of await latestPayments(trx, part, RECENT_PAYMENTS_SENT)) {
    if (!paymentCounts(row.flag_reason)) continue;
    const wallMs = parseHlc(row.hlc)?.wallMs ?? Number.NaN;
    if (!(Math.abs(wallMs - nowMs) <= DUPLICATE_WINDOW_MS)) continue;
    push(details.recentPayments, row.account_id, {
      factId: row.fact_id,
      receiptNumber: row.receipt_number,
      amountMinor: minor(row.amount_minor),
      takenAt: row.taken_at,
    });
  }
}
