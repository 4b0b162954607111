/**
 * Pull: the accounts in the device's route that changed after the cursor, oldest change
 * first, with their open bills, and the acknowledgements of this device's facts in the same
 * range. Read in one transaction, so the cursor returned matches what was read.
 *
 * Every change takes the next number of one counter inside its writing transaction and holds
 * the counter's lock until it commits, so change numbers are in commit order on every engine;
 * the page and its cursor are read in one snapshot, so a cursor can never pass a change that
 * commits later.
 */
import { minor } from '../../shared/money.ts';
import type {
  AccountSnapshot,
  FlagReason,
  PullRequest,
  PullResponse,
} from '../../shared/protocol.ts';
import { MAX_ACCOUNTS_PER_PULL, PROTOCOL_VERSION, sealPullPage } from '../../shared/protocol.ts';
import type { CurrencyCode } from '../../shared/money.ts';
import { DEFAULT_DEVICE_SETTINGS, type DeviceSettings } from '../../shared/risk.ts';
import type { Bill } from '../../shared/billing.ts';
import { chunks, currentCounter, storeEpoch, type Store } from '../store/store.ts';
import { openBillsOfAccounts } from '../store/bills.ts';

export async function pullChanges(
  store: Store,
  request: PullRequest,
  routeId: string,
  settings: DeviceSettings = DEFAULT_DEVICE_SETTINGS,
): Promise<PullResponse> {
  const limit = request.limit ?? MAX_ACCOUNTS_PER_PULL;
  return store.readTransaction(async (trx) => {
    const rows = await trx
      .selectFrom('accounts')
      .selectAll()
      .where('route_id', '=', routeId)
      .where('change_seq', '>', request.cursor)
      .orderBy('change_seq')
      .limit(limit + 1)
      .execute();
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const cursor = hasMore && last ? Number(last.change_seq) : await currentCounter(trx, 'change');
    const remaining = hasMore
      ? Number(
          (
            await trx
              .selectFrom('accounts')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('route_id', '=', routeId)
              .where('change_seq', '>', cursor)
              .executeTakeFirstOrThrow()
          ).n,
        )
      : 0;
    const details = await accountDetails(
      trx,
      page.map((row) => row.id),
    );
    const accounts: AccountSnapshot[] = page.map((row) => ({
      id: row.id,
      accountNumber: row.account_number,
      name: row.name,
      address: row.address,
      phone: row.phone,
      meterNumber: row.meter_number,
      routeId: row.route_id,
      currency: row.currency as CurrencyCode,
      balanceMinor: minor(Number(row.balance_minor)),
      openBills: details.openBills.get(row.id) ?? [],
      tariffId: row.tariff_id,
      lastReading: details.lastReading.get(row.id) ?? null,
      carried: details.carried.get(row.id) ?? [],
      changeSeq: Number(row.change_seq),
    }));
    const tariffs = await trx
      .selectFrom('tariff_versions')
      .select(['tariff_id', 'version', 'effective_from', 'document'])
      .where('tariff_id', 'in', (eb) =>
        eb.selectFrom('accounts').select('tariff_id').distinct().where('route_id', '=', routeId),
      )
      .where((eb) =>
        request.cursor === 0
          ? eb.lit(true)
          : eb.and([eb('change_seq', '>', request.cursor), eb('change_seq', '<=', cursor)]),
      )
      .orderBy('tariff_id')
      .orderBy('version')
      .execute();
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
    const device = await trx
      .selectFrom('devices')
      .select('head_seq')
      .where('id', '=', request.deviceId)
      .executeTakeFirst();
    return sealPullPage({
      formatVersion: PROTOCOL_VERSION,
      epoch: await storeEpoch(trx),
      deviceHeadSeq: device?.head_seq ?? 0,
      accounts,
      acks: acks.map((ack) => ({
        id: ack.id,
        seq: ack.seq,
        changeSeq: Number(ack.change_seq),
        outcome: ack.outcome,
        ...(ack.flag_reason === null ? {} : { reason: ack.flag_reason as FlagReason }),
      })),
      tariffs: tariffs.map((t) => ({
        tariffId: t.tariff_id,
        version: t.version,
        effectiveFrom: t.effective_from.slice(0, 10),
        document: JSON.parse(t.document) as unknown,
      })),
      cursor: Math.max(cursor, request.cursor),
      hasMore,
      remaining,
      settings,
    });
  });
}

type Trx = Parameters<Parameters<Store['transaction']>[0]>[0];

/**
 * What a snapshot tells of each account besides its row, read for a whole page at once: open
 * bills oldest first, unbilled differences carried from earlier bills, and the reading the next
 * bill printed at the door starts from (the meter's latest reading not flagged, on or before the
 * end of the account's last bill: a reading after it was not billed, or its bill was refused,
 * and the next bill must cover those days too; with no bill yet, the latest reading).
 */
async function accountDetails(
  trx: Trx,
  ids: readonly string[],
): Promise<{
  openBills: Map<string, Bill[]>;
  carried: Map<string, AccountSnapshot['carried']>;
  lastReading: Map<string, NonNullable<AccountSnapshot['lastReading']>>;
}> {
  const openBills = new Map<string, Bill[]>();
  const carried = new Map<string, AccountSnapshot['carried']>();
  const lastReading = new Map<string, NonNullable<AccountSnapshot['lastReading']>>();
  const billedTo = new Map<string, string>();
  for (const part of chunks(ids)) {
    for (const bill of await openBillsOfAccounts(trx, part)) {
      const list = openBills.get(bill.accountId) ?? [];
      list.push(bill.bill);
      openBills.set(bill.accountId, list);
    }
    const carriedRows = await trx
      .selectFrom('carried')
      .select(['id', 'account_id', 'amount_minor'])
      .where('account_id', 'in', part)
      .where('billed_by', 'is', null)
      .orderBy('account_id')
      .orderBy('id')
      .execute();
    for (const row of carriedRows) {
      const list = carried.get(row.account_id) ?? [];
      list.push({ sourceId: row.id, amountMinor: minor(Number(row.amount_minor)) });
      carried.set(row.account_id, list);
    }
    const bills = await trx
      .selectFrom('bills')
      .select(['account_id', 'period', 'issued_on'])
      .where('account_id', 'in', part)
      .execute();
    for (const bill of bills) {
      const end = bill.period.includes('/') ? (bill.period.split('/')[1] ?? '') : bill.issued_on;
      const latest = billedTo.get(bill.account_id);
      if (latest === undefined || end > latest) billedTo.set(bill.account_id, end);
    }
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
      if (lastReading.has(row.account_id)) continue;
      const until = billedTo.get(row.account_id);
      if (until !== undefined && row.read_on > until) continue;
      lastReading.set(row.account_id, { readOn: row.read_on, registerKwh: row.register_kwh });
    }
  }
  return { openBills, carried, lastReading };
}
