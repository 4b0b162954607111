/**
 * One account in full (shared/account-detail.ts), read in one snapshot of the store: the
 * account as a pull sends it, the latest payments from every device with their state and
 * tokens, the latest bills with their lines by the tariff, readings and prepaid purchases.
 */
import {
  DETAIL_BILLS,
  DETAIL_PAYMENTS,
  DETAIL_PURCHASES,
  DETAIL_READINGS,
  type AccountDetail,
  type HistoryBill,
  type HistoryPayment,
} from '../../shared/account-detail.ts';
import { minor } from '../../shared/money.ts';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { accountSnapshot } from '../sync/pull.ts';
import { storeEpoch, type Store } from '../store/store.ts';
import { tariffVersionsOf } from '../store/tariffs.ts';

type Trx = Parameters<Parameters<Store['transaction']>[0]>[0];

/** Who may read an account: an agent of its route, or a supervisor of its region (null: all). */
export type DetailScope =
  | { readonly kind: 'route'; readonly routeId: string | null }
  | { readonly kind: 'region'; readonly regionId: string | null }
  /** A village agent serves walk-in customers of her area's region when online. */
  | { readonly kind: 'deployment'; readonly regionId: string | null };

/**
 * The account in full, every part read in one snapshot of the store (the row with its balance
 * too, so the balance and the bills and sales it carries agree); undefined when there is no
 * such account in the scope.
 */
export async function accountDetail(
  store: Store,
  accountId: string,
  scope: DetailScope,
  now: Date,
): Promise<AccountDetail | undefined> {
  return store.readTransaction(async (trx) => {
    const found = await trx
      .selectFrom('accounts')
      .leftJoin('routes', 'routes.id', 'accounts.route_id')
      .selectAll('accounts')
      .select('routes.region_id')
      .where('accounts.id', '=', accountId)
      .executeTakeFirst();
    if (!found) return undefined;
    const { region_id: regionId, ...row } = found;
    const inScope =
      scope.kind === 'route'
        ? row.route_id === scope.routeId
        : scope.regionId === null || regionId === scope.regionId;
    if (!inScope) return undefined;
    const versions = (await tariffVersionsOf(trx, [row.tariff_id])).get(row.tariff_id) ?? [];
    return {
      asOf: now.toISOString(),
      epoch: await storeEpoch(trx),
      account: await accountSnapshot(trx, row, now),
      payments: await paymentsOf(trx, row.id),
      bills: (await billsOf(trx, row.id)).map((bill) => withLines(bill, versions)),
      readings: (
        await trx
          .selectFrom('readings')
          .select(['read_on', 'register_kwh'])
          .where('account_id', '=', row.id)
          .where('status', '=', 'accepted')
          .orderBy('read_on', 'desc')
          .limit(DETAIL_READINGS)
          .execute()
      )
        .reverse()
        .map((r) => ({ readOn: r.read_on, registerKwh: Number(r.register_kwh) })),
      purchases: (
        await trx
          .selectFrom('top_ups')
          .select(['sold_on', 'energy_wh'])
          .where('account_id', '=', row.id)
          .where('status', '=', 'sold')
          .orderBy('sold_on', 'desc')
          .limit(DETAIL_PURCHASES)
          .execute()
      )
        .reverse()
        .map((p) => ({ on: p.sold_on.slice(0, 10), energyWh: Number(p.energy_wh) })),
    };
  });
}

async function paymentsOf(trx: Trx, accountId: string): Promise<HistoryPayment[]> {
  const rows = await trx
    .selectFrom('payments')
    .innerJoin('facts', 'facts.id', 'payments.fact_id')
    .leftJoin('users', 'users.id', 'payments.agent_id')
    .leftJoin('top_ups', 'top_ups.fact_id', 'payments.fact_id')
    .select([
      'payments.fact_id',
      'payments.receipt_number',
      'payments.amount_minor',
      'payments.method',
      'payments.reference',
      'payments.taken_at',
      'payments.status',
      'payments.voided_by',
      'payments.agent_id',
      'facts.device_id',
      'users.display_name',
      'top_ups.energy_wh',
      'top_ups.cost_minor',
      'top_ups.status as top_up_status',
    ])
    .where('payments.account_id', '=', accountId)
    .orderBy('payments.change_seq', 'desc')
    .limit(DETAIL_PAYMENTS)
    .execute();
  const sold = rows.filter((r) => r.top_up_status === 'sold').map((r) => r.fact_id);
  const tokens =
    sold.length === 0
      ? []
      : await trx
          .selectFrom('top_up_tokens')
          .select(['fact_id', 'count', 'digits'])
          .where('fact_id', 'in', sold)
          .orderBy('count')
          .execute();
  // An STS top-up's token is the hub's vend for it (hub/prepaid/sts/deliver.ts), once vended.
  const vended =
    sold.length === 0
      ? []
      : await trx
          .selectFrom('sts_vends')
          .select(['request_id', 'tokens'])
          .where('request_id', 'in', sold)
          .execute();
  for (const vend of vended)
    (JSON.parse(vend.tokens) as { digits: string }[]).forEach((token, count) =>
      tokens.push({ fact_id: vend.request_id, count, digits: token.digits }),
    );
  return rows.map((r) => ({
    factId: r.fact_id,
    receiptNumber: r.receipt_number,
    amountMinor: minor(Number(r.amount_minor)),
    method: r.method,
    reference: r.reference,
    takenAt: new Date(r.taken_at).toISOString(),
    deviceId: r.device_id,
    agentName: r.display_name ?? r.agent_id,
    state: r.voided_by !== null ? 'voided' : r.status === 'flagged' ? 'flagged' : 'counted',
    ...(r.top_up_status === 'sold' && r.energy_wh !== null && r.cost_minor !== null
      ? {
          topUp: {
            energyWh: Number(r.energy_wh),
            costMinor: minor(Number(r.cost_minor)),
            tokens: tokens
              .filter((t) => t.fact_id === r.fact_id)
              .map((t) => ({ count: Number(t.count), digits: t.digits })),
          },
        }
      : {}),
  }));
}

async function billsOf(trx: Trx, accountId: string) {
  const rows = await trx
    .selectFrom('bills')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('period_from', 'desc')
    .orderBy('id', 'desc')
    .limit(DETAIL_BILLS)
    .execute();
  return rows.reverse().map((b) => ({
    id: b.id,
    period: { from: b.period_from, to: b.period_to },
    issuedOn: b.issued_on,
    dueOn: b.due_on,
    kwh: Number(b.kwh),
    amountMinor: minor(Number(b.amount_minor)),
    paidMinor: minor(Number(b.paid_minor)),
  }));
}

/**
 * A bill with its lines when the tariff, run again on its kWh and period, gives exactly the
 * amount billed; otherwise (a bill made elsewhere, carried differences) without lines, never
 * with lines that would not add up to it.
 */
function withLines(bill: Omit<HistoryBill, 'lines'>, versions: readonly Tariff[]): HistoryBill {
  const inEffect = versions.filter((v) => v.effectiveFrom < bill.period.to);
  if (!inEffect.some((v) => v.effectiveFrom <= bill.period.from)) return bill;
  const priced = computeBill(inEffect, { period: bill.period, kwh: bill.kwh });
  if (!priced.ok || priced.value.totalMinor !== bill.amountMinor) return bill;
  return {
    ...bill,
    lines: priced.value.lines.map((line) => ({
      id: line.id,
      kind: line.kind,
      label: line.label,
      ...(line.labels === undefined ? {} : { labels: line.labels }),
      ...(line.kwh === undefined ? {} : { kwh: line.kwh }),
      ...(line.rate === undefined ? {} : { rate: line.rate }),
      amountMinor: line.amountMinor,
      rounding: line.rounding,
    })),
  };
}
