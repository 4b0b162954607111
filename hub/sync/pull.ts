/**
 * Pull: the accounts in the device's route that changed after the cursor, oldest change
 * first, with their open bills, and the acknowledgements of this device's facts in the same
 * range. Read in one transaction, so the cursor returned matches what was read.
 *
 * On this store every change takes the next number of one counter inside the writing
 * transaction, and transactions commit one at a time, so change numbers are in commit order
 * and a cursor can never pass a change that commits later.
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
import { currentCounter, type Store } from '../store/store.ts';
import { openBillsOf } from '../store/bills.ts';

export async function pullChanges(
  store: Store,
  request: PullRequest,
  routeId: string,
  settings: DeviceSettings = DEFAULT_DEVICE_SETTINGS,
): Promise<PullResponse> {
  const limit = request.limit ?? MAX_ACCOUNTS_PER_PULL;
  return store.transaction(async (trx) => {
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
    const accounts: AccountSnapshot[] = [];
    for (const row of page) {
      accounts.push({
        id: row.id,
        accountNumber: row.account_number,
        name: row.name,
        address: row.address,
        phone: row.phone,
        meterNumber: row.meter_number,
        routeId: row.route_id,
        currency: row.currency as CurrencyCode,
        balanceMinor: minor(Number(row.balance_minor)),
        openBills: await openBillsOf(trx, row.id),
        changeSeq: Number(row.change_seq),
      });
    }
    const acks = await trx
      .selectFrom('facts')
      .select(['id', 'seq', 'change_seq', 'outcome', 'flag_reason'])
      .where('device_id', '=', request.deviceId)
      .where('change_seq', '>', request.cursor)
      .where('change_seq', '<=', cursor)
      .orderBy('change_seq')
      .execute();
    return sealPullPage({
      formatVersion: PROTOCOL_VERSION,
      accounts,
      acks: acks.map((ack) => ({
        id: ack.id,
        seq: ack.seq,
        changeSeq: Number(ack.change_seq),
        outcome: ack.outcome,
        ...(ack.flag_reason === null ? {} : { reason: ack.flag_reason as FlagReason }),
      })),
      cursor: Math.max(cursor, request.cursor),
      hasMore,
      remaining,
      settings,
    });
  });
}
