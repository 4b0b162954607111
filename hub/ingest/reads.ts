/**
 * What the rules of one push need to read, read in a few bulk queries before any rule runs,
 * then kept in memory and updated as each fact is applied, so that a later fact of the push
 * sees what an earlier one did exactly as if it had been read from the store again. The push
 * holds the change counter (hub/ingest/push.ts) from before these reads to its commit, so on
 * PostgreSQL no other hub process can change what was read.
 *
 * What is loaded, and why it is enough:
 * - the accounts every fact names, and those of the payments its voids name;
 * - open bills of accounts that take payments, every bill a voided payment had paid (a void
 *   can reopen it), and every bill of accounts that get a bill printed at the door (for the
 *   overlap rule): a bill not loaded is paid in full and nothing in the push can reopen it;
 * - each paying account's latest unvoided payments, RECENT_PAYMENTS_CHECKED of them plus one
 *   for each void in the push (a void takes a payment out of the latest);
 * - the payments voids name (by id or receipt number) with what they paid, and the held voids
 *   the push's payments release;
 * - contact edits, readings, waiting differences and tariffs of the accounts whose facts need
 *   them, and the agents who signed in on the device.
 */
import type { Selectable } from 'kysely';
import {
  accountOf,
  readFact,
  type Fact,
  type FactEnvelope,
  type VoidBody,
} from '../../shared/facts.ts';
import { cashOf, type OwnPayment } from '../../shared/rules/handover.ts';
import { appliesUnder } from '../../shared/protocol.ts';
import { RECENT_PAYMENTS_CHECKED } from '../../shared/rules/payment.ts';
import { tariffVersionsOf } from '../store/tariffs.ts';
import { creditRequested } from '../store/requests.ts';
import type { Database } from '../store/schema.ts';
import { billOf } from '../store/bills.ts';
import { latestPaymentsSeen } from '../store/payments.ts';
import { chunks } from '../store/store.ts';
import type { Trx } from './rows.ts';
import { contactKey, holdBill, push, seen, type BatchState, type PaymentRecord } from './state.ts';

interface Needs {
  accounts: Set<string>;
  paying: Set<string>;
  billing: Set<string>;
  reading: Set<string>;
  contacts: Set<string>;
  topUps: Set<string>;
  /** Accounts whose credit a request asks for, and the account numbers transfers name. */
  requesting: Set<string>;
  targets: Set<string>;
  paymentIds: Set<string>;
  receipts: Set<string>;
  voids: number;
}

function needsOf(facts: readonly Fact[]): Needs {
  const needs: Needs = {
    accounts: new Set(),
    paying: new Set(),
    billing: new Set(),
    reading: new Set(),
    contacts: new Set(),
    topUps: new Set(),
    requesting: new Set(),
    targets: new Set(),
    paymentIds: new Set(),
    receipts: new Set(),
    voids: 0,
  };
  for (const fact of facts) {
    const accountId = accountOf(fact);
    if (accountId !== undefined) needs.accounts.add(accountId);
    if (fact.kind === 'payment') needs.paying.add(fact.body.accountId);
    if (fact.kind === 'payment' && fact.body.topUp) needs.topUps.add(fact.body.accountId);
    if (fact.kind === 'spot-bill') needs.billing.add(fact.body.accountId);
    if (fact.kind === 'reading' || fact.kind === 'spot-bill')
      needs.reading.add(fact.body.accountId);
    if (fact.kind === 'contact') needs.contacts.add(fact.body.accountId);
    if (fact.kind === 'refund-request' || fact.kind === 'transfer-request')
      needs.requesting.add(fact.body.accountId);
    if (fact.kind === 'transfer-request') needs.targets.add(fact.body.toAccountNumber);
    if (fact.kind === 'void') {
      needs.voids++;
      if (fact.body.paymentId !== undefined) needs.paymentIds.add(fact.body.paymentId);
      if (fact.body.receiptNumber !== undefined) needs.receipts.add(fact.body.receiptNumber);
    }
  }
  return needs;
}

export async function loadState(
  trx: Trx,
  deviceId: string,
  facts: readonly Fact[],
): Promise<BatchState> {
  const needs = needsOf(facts);
  const state: BatchState = {
    accounts: new Map(),
    bills: new Map(),
    accountBills: new Map(),
    recent: new Map(),
    payments: new Map(),
    paymentsByReceipt: new Map(),
    heldById: new Map(),
    heldByReceipt: new Map(),
    contactEdits: new Map(),
    readings: new Map(),
    carried: new Map(),
    tariffs: new Map(),
    prepaid: new Map(),
    requested: new Map(),
    byNumber: new Map(),
    handoverCash: new Map(),
    handoverThrough: { value: 0 },
    agents: new Set(
      (
        await trx
          .selectFrom('device_agents')
          .select('user_id')
          .where('device_id', '=', deviceId)
          .execute()
      ).map((row) => row.user_id),
    ),
  };
  await loadVoidTargets(trx, state, needs);
  await loadHeldVoids(trx, state, facts);
  // The accounts voids name: a void released on another account than its payment's moves it.
  for (const payment of state.payments.values()) needs.accounts.add(payment.accountId);
  for (const held of [...state.heldById.values(), ...state.heldByReceipt.values()])
    for (const row of held) needs.accounts.add(row.account_id);
  await loadAccounts(trx, state, [...needs.accounts]);
  const known = (ids: Iterable<string>) => [...ids].filter((id) => state.accounts.has(id));
  await loadOpenBills(trx, state, known(needs.paying));
  await loadAllBills(trx, state, known(needs.billing));
  await loadRecent(trx, state, known(needs.paying), RECENT_PAYMENTS_CHECKED + needs.voids);
  await loadContactEdits(trx, state, facts);
  await loadReadings(trx, state, known(needs.reading));
  await loadCarried(trx, state, known(needs.billing));
  await loadTariffs(trx, state, known([...needs.billing, ...needs.reading, ...needs.topUps]));
  await loadPrepaid(trx, state, deviceId, known(needs.topUps));
  await loadRequests(trx, state, known(needs.requesting), [...needs.targets]);
  await loadHandovers(trx, state, deviceId, facts);
  return state;
}

/**
 * For each handover in the push: the cash the hub expects over its range of the device's facts,
 * from the facts themselves (stored, and new in this push), never from the device's totals; and
 * where the device's last handover ended.
 */
async function loadHandovers(
  trx: Trx,
  state: BatchState,
  deviceId: string,
  facts: readonly Fact[],
): Promise<void> {
  const handovers = facts.flatMap((fact) => (fact.kind === 'handover' ? [fact] : []));
  if (handovers.length === 0) return;
  const last = await trx
    .selectFrom('handovers')
    .select((eb) => eb.fn.max<number>('through_seq').as('through'))
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  state.handoverThrough.value = Number(last?.through ?? 0);
  const fresh = new Map(facts.map((fact) => [fact.seq, fact]));
  for (const handover of handovers) {
    const { fromSeq, throughSeq } = handover.body;
    const inRange: Fact[] = [];
    const stored = await trx
      .selectFrom('facts')
      .select(['seq', 'document'])
      .where('device_id', '=', deviceId)
      .where('seq', '>=', fromSeq)
      .where('seq', '<=', throughSeq)
      .where('kind', 'in', ['payment', 'void'])
      .execute();
    for (const row of stored) {
      const read = readFact(JSON.parse(row.document) as FactEnvelope);
      if (read.ok) inRange.push(read.value);
    }
    const storedSeqs = new Set(stored.map((row) => Number(row.seq)));
    for (const [seq, fact] of fresh)
      if (seq >= fromSeq && seq <= throughSeq && !storedSeqs.has(seq)) inRange.push(fact);
    // Payments in the handover's currency; voids as the device counts them, by their payment.
    const counted = inRange.filter(
      (fact) => fact.kind !== 'payment' || fact.body.currency === handover.body.currency,
    );
    const voids = counted.flatMap((fact) => (fact.kind === 'void' ? [fact.body] : []));
    const own = await ownPayments(trx, deviceId, voids, facts);
    state.handoverCash.set(
      handover.id,
      cashOf(counted, (body) => own(body)),
    );
  }
}

/** The device's own payments the voids name, by id or receipt number: stored or in the push. */
async function ownPayments(
  trx: Trx,
  deviceId: string,
  voids: readonly VoidBody[],
  facts: readonly Fact[],
): Promise<(body: VoidBody) => OwnPayment | undefined> {
  const byKey = new Map<string, OwnPayment>();
  for (const fact of facts)
    if (fact.kind === 'payment') {
      const own = { method: fact.body.method, amountMinor: fact.body.amountMinor };
      byKey.set(`id:${fact.id}`, own);
      byKey.set(`receipt:${fact.body.receiptNumber}`, own);
    }
  const ids = voids.flatMap((v) => (v.paymentId ? [v.paymentId] : []));
  const receipts = voids.flatMap((v) => (v.receiptNumber ? [v.receiptNumber] : []));
  if (ids.length + receipts.length > 0) {
    const rows = await trx
      .selectFrom('payments')
      .innerJoin('facts', 'facts.id', 'payments.fact_id')
      .select([
        'payments.fact_id',
        'payments.receipt_number',
        'payments.method',
        'payments.amount_minor',
      ])
      .where('facts.device_id', '=', deviceId)
      .where((eb) =>
        eb.or([
          eb('payments.fact_id', 'in', ids.length > 0 ? ids : ['']),
          eb('payments.receipt_number', 'in', receipts.length > 0 ? receipts : ['']),
        ]),
      )
      .execute();
    for (const row of rows) {
      const own = { method: row.method, amountMinor: Number(row.amount_minor) };
      byKey.set(`id:${row.fact_id}`, own);
      byKey.set(`receipt:${row.receipt_number}`, own);
    }
  }
  return (body) =>
    body.paymentId !== undefined
      ? byKey.get(`id:${body.paymentId}`)
      : byKey.get(`receipt:${body.receiptNumber ?? ''}`);
}

/** What waiting requests ask of the accounts' credit, and the accounts transfers name. */
async function loadRequests(
  trx: Trx,
  state: BatchState,
  ids: readonly string[],
  numbers: readonly string[],
): Promise<void> {
  for (const [id, asked] of await creditRequested(trx, ids)) state.requested.set(id, asked);
  for (const part of chunks(numbers)) {
    const rows = await trx
      .selectFrom('accounts')
      .select(['id', 'account_number', 'currency'])
      .where('account_number', 'in', part)
      .execute();
    for (const row of rows)
      state.byNumber.set(row.account_number, { id: row.id, currency: row.currency });
  }
}

async function loadAccounts(trx: Trx, state: BatchState, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids)) {
    for (const row of await trx
      .selectFrom('accounts')
      .selectAll()
      .where('id', 'in', part)
      .execute())
      state.accounts.set(row.id, {
        row,
        balanceMinor: row.balance_minor,
        changeSeq: row.change_seq,
        fields: {},
      });
  }
}

function addBill(state: BatchState, row: Selectable<Database['bills']>): void {
  holdBill(state, row.account_id, billOf(row), row.paid_minor);
}

async function loadOpenBills(trx: Trx, state: BatchState, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids)) {
    const rows = await trx
      .selectFrom('bills')
      .selectAll()
      .where('account_id', 'in', part)
      .whereRef('paid_minor', '<', 'amount_minor')
      .execute();
    for (const row of rows) addBill(state, row);
  }
}

async function loadAllBills(trx: Trx, state: BatchState, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids))
    for (const row of await trx
      .selectFrom('bills')
      .selectAll()
      .where('account_id', 'in', part)
      .execute())
      addBill(state, row);
}

/** Each account's latest unvoided payments by arrival, oldest first. */
async function loadRecent(
  trx: Trx,
  state: BatchState,
  ids: readonly string[],
  limit: number,
): Promise<void> {
  for (const part of chunks(ids, 100)) {
    for (const id of part) state.recent.set(id, []);
    for (const row of await latestPaymentsSeen(trx, part, limit))
      push(
        state.recent,
        row.account_id,
        seen(row.fact_id, row.account_id, row.amount_minor, row.hlc),
      );
  }
}

/** The payments the push's voids name, with what each paid on which bill, and those bills. */
async function loadVoidTargets(trx: Trx, state: BatchState, needs: Needs): Promise<void> {
  const rows: Selectable<Database['payments']>[] = [];
  for (const part of chunks([...needs.paymentIds]))
    rows.push(
      ...(await trx.selectFrom('payments').selectAll().where('fact_id', 'in', part).execute()),
    );
  for (const part of chunks([...needs.receipts]))
    rows.push(
      ...(await trx
        .selectFrom('payments')
        .selectAll()
        .where('receipt_number', 'in', part)
        .execute()),
    );
  for (const row of rows) {
    if (state.payments.has(row.fact_id)) continue;
    const record: PaymentRecord = {
      factId: row.fact_id,
      accountId: row.account_id,
      amountMinor: row.amount_minor,
      applied: appliesUnder(row.flag_reason),
      voidedBy: row.voided_by ?? undefined,
      receiptNumber: row.receipt_number,
      allocations: [],
    };
    state.payments.set(record.factId, record);
    push(state.paymentsByReceipt, record.receiptNumber, record);
  }
  for (const part of chunks([...state.payments.keys()])) {
    const parts = await trx
      .selectFrom('allocations')
      .selectAll()
      .where('payment_fact_id', 'in', part)
      .execute();
    for (const allocation of parts)
      state.payments.get(allocation.payment_fact_id)?.allocations.push({
        billId: allocation.bill_id,
        amountMinor: allocation.amount_minor,
      });
    const billIds = parts.map((allocation) => allocation.bill_id);
    for (const ids of chunks(billIds))
      for (const bill of await trx.selectFrom('bills').selectAll().where('id', 'in', ids).execute())
        addBill(state, bill);
  }
}

/** Voids held for the push's payments, by the payment's id or its receipt number. */
async function loadHeldVoids(trx: Trx, state: BatchState, facts: readonly Fact[]): Promise<void> {
  const payments = facts.flatMap((fact) => (fact.kind === 'payment' ? [fact] : []));
  for (const part of chunks(payments)) {
    const rows = await trx
      .selectFrom('voids')
      .selectAll()
      .where('status', '=', 'held')
      .where((eb) =>
        eb.or([
          eb(
            'payment_id',
            'in',
            part.map((fact) => fact.id),
          ),
          eb(
            'receipt_number',
            'in',
            part.map((fact) => fact.body.receiptNumber),
          ),
        ]),
      )
      .execute();
    for (const row of rows) {
      if (row.payment_id !== null) push(state.heldById, row.payment_id, row);
      else if (row.receipt_number !== null) push(state.heldByReceipt, row.receipt_number, row);
    }
  }
}

async function loadContactEdits(
  trx: Trx,
  state: BatchState,
  facts: readonly Fact[],
): Promise<void> {
  const wanted = new Set(
    facts.flatMap((fact) =>
      fact.kind === 'contact' ? [contactKey(fact.body.accountId, fact.body.field)] : [],
    ),
  );
  const accounts = [...new Set([...wanted].map((key) => key.split('|')[0] as string))];
  for (const part of chunks(accounts)) {
    const rows = await trx
      .selectFrom('contact_edits')
      .selectAll()
      .where('account_id', 'in', part)
      .execute();
    for (const row of rows) {
      const key = contactKey(row.account_id, row.field);
      if (!wanted.has(key)) continue;
      push(state.contactEdits, key, {
        factId: row.fact_id,
        deviceId: row.device_id,
        deviceSeq: row.device_seq,
        field: row.field,
        value: row.value,
        hlc: row.hlc,
        baseChangeSeq: row.base_change_seq,
        changeSeq: row.change_seq,
        receivedAtMs: Date.parse(row.received_at),
      });
    }
  }
  for (const key of wanted) if (!state.contactEdits.has(key)) state.contactEdits.set(key, []);
}

async function loadReadings(trx: Trx, state: BatchState, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids)) {
    const rows = await trx
      .selectFrom('readings')
      .select([
        'id',
        'account_id',
        'register_kwh',
        'read_on',
        'change_seq',
        'status',
        'flag_reason',
      ])
      .where('account_id', 'in', part)
      .orderBy('change_seq')
      .orderBy('id')
      .execute();
    for (const id of part) state.readings.set(id, []);
    for (const row of rows)
      push(state.readings, row.account_id, {
        id: row.id,
        registerKwh: row.register_kwh,
        readOn: row.read_on,
        changeSeq: row.change_seq,
        flagged: row.status === 'flagged',
        reason: row.flag_reason,
      });
  }
}

async function loadCarried(trx: Trx, state: BatchState, ids: readonly string[]): Promise<void> {
  for (const id of ids) state.carried.set(id, new Map());
  for (const part of chunks(ids)) {
    const rows = await trx
      .selectFrom('carried')
      .select(['id', 'account_id', 'amount_minor'])
      .where('account_id', 'in', part)
      .where('billed_by', 'is', null)
      .execute();
    for (const row of rows) state.carried.get(row.account_id)?.set(row.id, row.amount_minor);
  }
}

/** Every version of the accounts' tariffs, oldest first: bills are recomputed with them, and a
 * new meter's reading is judged by its tariff class. */
async function loadTariffs(trx: Trx, state: BatchState, ids: readonly string[]): Promise<void> {
  const tariffIds = ids.map((id) => state.accounts.get(id)?.row.tariff_id ?? '');
  for (const [id, versions] of await tariffVersionsOf(trx, tariffIds))
    state.tariffs.set(id, versions);
}

/** The prepaid meters of accounts the push tops up, the device's leases of them, what was sold. */
async function loadPrepaid(
  trx: Trx,
  state: BatchState,
  deviceId: string,
  ids: readonly string[],
): Promise<void> {
  for (const part of chunks(ids)) {
    const meters = await trx
      .selectFrom('prepaid_meters')
      .selectAll()
      .where('account_id', 'in', part)
      .execute();
    for (const row of meters)
      state.prepaid.set(row.account_id, {
        meter: {
          secretKeyHex: row.secret_key,
          startingCode: Number(row.starting_code),
          restrictedDigitSet: Number(row.restricted_digits) === 1,
          unitWh: Number(row.unit_wh),
        },
        leases: [],
        used: new Set(),
        sales: [],
        lastCount: Number(row.last_count),
      });
    const stsMeters = await trx
      .selectFrom('sts_meters')
      .select(['account_id', 'meter_number'])
      .where('account_id', 'in', part)
      .execute();
    for (const row of stsMeters)
      state.prepaid.set(row.account_id, {
        meter: undefined,
        stsMeterNumber: row.meter_number,
        leases: [],
        used: new Set(),
        sales: [],
        lastCount: 0,
      });
    const leases = await trx
      .selectFrom('token_leases')
      .select(['account_id', 'from_count', 'to_count'])
      .where('account_id', 'in', part)
      .where('device_id', '=', deviceId)
      .execute();
    for (const lease of leases)
      state.prepaid
        .get(lease.account_id)
        ?.leases.push({ from: Number(lease.from_count), to: Number(lease.to_count) });
    const tokens = await trx
      .selectFrom('top_up_tokens')
      .select(['account_id', 'count'])
      .where('account_id', 'in', part)
      .execute();
    for (const token of tokens) state.prepaid.get(token.account_id)?.used.add(Number(token.count));
    const sales = await trx
      .selectFrom('top_ups')
      .select(['account_id', 'sold_on', 'energy_wh'])
      .where('account_id', 'in', part)
      .where('status', '=', 'sold')
      .execute();
    for (const sale of sales)
      state.prepaid
        .get(sale.account_id)
        ?.sales.push({ soldOn: sale.sold_on, energyWh: Number(sale.energy_wh) });
  }
}

/** The account's bills as the rules see them now: open ones oldest first, and all periods. */
