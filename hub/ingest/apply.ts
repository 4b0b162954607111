/**
 * Applies a push's new facts, in the device's order, to the state read for them (reads.ts):
 * every decision is made by the pure rules in shared/rules/, and what they decide is gathered
 * as rows (rows.ts). There is one way a fact is applied, whether it came alone or among 1,000.
 *
 * Each fact takes the next change number; a fact that names a known account gives the account
 * that number, applied or not, so the device's next snapshot of it reaches the fact's
 * acknowledgement. A held void decided by a payment's arrival takes that payment's number, or
 * a number of its own when it names another account (voids.ts).
 */
import { allocatePayment } from '../../shared/billing.ts';
import { accountOf, type Fact, type FactOf, type PaymentBody } from '../../shared/facts.ts';
import { minor } from '../../shared/money.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import { provenanceFlag } from '../../shared/rules/fact.ts';
import { decidePayment, RECENT_PAYMENTS_CHECKED } from '../../shared/rules/payment.ts';
import { boughtBefore } from '../../shared/topup.ts';
import {
  Batch,
  decision,
  type Applied,
  type Arrival,
  type Arriving,
  type Decision,
} from './batch.ts';
import {
  applyBudget,
  applyContact,
  applyCreditRequest,
  applyHandover,
  applyReading,
  applySpotBill,
} from './records.ts';
import { openBillsOf, seen, type BatchState, type PaymentRecord } from './state.ts';
import { applyVoid, releaseHeldVoids } from './voids.ts';

export function applyFacts(
  state: BatchState,
  facts: readonly Arriving[],
  arrival: Arrival,
): Applied {
  const batch = new Batch(state, arrival);
  for (const fact of facts) applyOne(batch, fact);
  return { outcomes: batch.outcomes, writes: batch.writes, changesUsed: batch.used };
}

function applyOne(batch: Batch, arrived: Arriving): void {
  const changeSeq = batch.nextChange();
  const { envelope } = arrived;
  const fault = arrived.read.ok ? undefined : arrived.read.error;
  const provenance = provenanceFlag({
    bodyFault: fault,
    deviceRevoked: batch.arrival.deviceRevoked,
    agentSignedInHere: batch.state.agents.has(envelope.agentId),
  });
  let decided: Decision;
  if (!arrived.read.ok) decided = decision(provenance);
  else {
    const fact = arrived.read.value;
    const accountId = accountOf(fact);
    const account = accountId === undefined ? undefined : batch.account(accountId);
    if (account) account.changeSeq = changeSeq;
    decided = applyKind(batch, fact, changeSeq, provenance);
  }
  batch.writes.facts.push({
    id: envelope.id,
    seq: envelope.seq,
    outcome: decided.outcome,
    flag_reason: decided.reason ?? null,
    flag_detail: fault ? JSON.stringify(fault) : null,
    change_seq: changeSeq,
    device_id: envelope.deviceId,
    kind: envelope.kind,
    hash: envelope.hash,
    prev_hash: envelope.prevHash,
    hlc: envelope.hlc,
    agent_id: envelope.agentId,
    recorded_at: envelope.recordedAt,
    document: arrived.document,
    received_at: batch.receivedIso,
  });
  batch.outcomes.push({
    id: envelope.id,
    seq: envelope.seq,
    outcome: decided.outcome,
    ...(decided.reason === undefined ? {} : { reason: decided.reason }),
    ...(fault ? { fault } : {}),
    changeSeq,
  });
}

function applyKind(
  batch: Batch,
  fact: Fact,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  switch (fact.kind) {
    case 'payment':
      return applyPayment(batch, fact, changeSeq, provenance);
    case 'void':
      return applyVoid(batch, fact, changeSeq, provenance);
    case 'contact':
      return applyContact(batch, fact, changeSeq, provenance);
    case 'reading':
      return applyReading(batch, fact, changeSeq, provenance);
    case 'spot-bill':
      return applySpotBill(batch, fact, changeSeq, provenance);
    case 'budget':
      return applyBudget(batch, fact, provenance);
    case 'refund-request':
    case 'transfer-request':
      return applyCreditRequest(batch, fact, provenance);
    case 'handover':
      return applyHandover(batch, fact, provenance);
  }
}

// --- payments -------------------------------------------------------------------------------

function applyPayment(
  batch: Batch,
  fact: FactOf<'payment'>,
  changeSeq: number,
  provenance: FlagReason | undefined,
): Decision {
  const body = fact.body;
  const account = batch.account(body.accountId);
  const recent = batch.state.recent.get(body.accountId) ?? [];
  const prepaid = body.topUp ? batch.state.prepaid.get(body.accountId) : undefined;
  const saleDate = fact.recordedAt.slice(0, 10);
  const decided = decidePayment(fact, {
    provenance,
    account: account && { currency: account.row.currency, balanceMinor: account.balanceMinor },
    maxAmountMinor: batch.maxAmount(body.currency),
    recent: recent.slice(-RECENT_PAYMENTS_CHECKED),
    topUp: prepaid &&
      account && {
        meter: prepaid.meter,
        stsMeterNumber: prepaid.stsMeterNumber,
        leased: (count) => prepaid.leases.some((l) => count >= l.from && count < l.to),
        used: (count) => prepaid.used.has(count),
        versions: batch.state.tariffs.get(account.row.tariff_id) ?? [],
        tariffId: account.row.tariff_id,
        bought: boughtBefore(prepaid.sales, saleDate),
      },
  });
  // A top-up's energy is paid first from its own money; the rest pays bills or stays credit.
  const soldMinor = decided.sells && body.topUp ? body.topUp.costMinor : 0;
  const record: PaymentRecord = {
    factId: fact.id,
    accountId: body.accountId,
    amountMinor: body.amountMinor,
    applied: decided.counts,
    voidedBy: undefined,
    receiptNumber: body.receiptNumber,
    allocations: [],
  };
  if (decided.counts && account) {
    const allocation = allocatePayment(
      openBillsOf(batch.state, account.row.id),
      minor(body.amountMinor - soldMinor),
    );
    for (const part of allocation.allocations) {
      const entry = batch.state.bills.get(part.billId);
      if (entry)
        entry.bill = { ...entry.bill, paidMinor: minor(entry.bill.paidMinor + part.amountMinor) };
      record.allocations.push({ billId: part.billId, amountMinor: part.amountMinor });
      batch.writes.allocations.push({
        payment_fact_id: fact.id,
        bill_id: part.billId,
        amount_minor: part.amountMinor,
      });
    }
    batch.moveBalance(account, fact.id, -body.amountMinor, changeSeq);
    batch.moveBalance(account, energySource(fact.id), soldMinor, changeSeq);
  }
  if (body.topUp) recordSale(batch, fact, decided.sells, saleDate);
  if (account) recent.push(seen(fact.id, body.accountId, body.amountMinor, fact.hlc));
  batch.state.recent.set(body.accountId, recent);
  batch.state.payments.set(fact.id, record);
  const sameReceipt = batch.state.paymentsByReceipt.get(body.receiptNumber) ?? [];
  batch.state.paymentsByReceipt.set(body.receiptNumber, [...sameReceipt, record]);
  batch.writes.payments.push({
    fact_id: fact.id,
    account_id: body.accountId,
    agent_id: fact.agentId,
    currency: body.currency,
    amount_minor: body.amountMinor,
    method: body.method,
    ...detailColumns(body),
    receipt_number: body.receiptNumber,
    taken_at: fact.recordedAt,
    received_at: batch.receivedIso,
    change_seq: changeSeq,
    status: decided.reason === undefined ? 'accepted' : 'flagged',
    flag_reason: decided.reason ?? null,
    hlc: fact.hlc,
  });
  releaseHeldVoids(batch, record, changeSeq);
  return decision(decided.reason);
}

/** The ledger's name for the energy a top-up sold: charged to the account beside its payment. */
export function energySource(factId: string): string {
  return `energy:${factId}`;
}

/** A top-up's sale as the store keeps it; a sale's tokens take their counts for good. */
function recordSale(batch: Batch, fact: FactOf<'payment'>, sold: boolean, saleDate: string): void {
  const { topUp, accountId } = fact.body;
  if (!topUp) return;
  batch.writes.topUps.push({
    fact_id: fact.id,
    account_id: accountId,
    sold_on: saleDate,
    energy_wh: topUp.energyWh,
    cost_minor: topUp.costMinor,
    tariff_id: topUp.tariffId,
    tariff_version: topUp.tariffVersion,
    status: sold ? 'sold' : 'not-sold',
  });
  const prepaid = batch.state.prepaid.get(accountId);
  if (!sold || !prepaid) return;
  prepaid.sales.push({ soldOn: saleDate, energyWh: topUp.energyWh });
  // An STS top-up's token is vended after the push commits (hub/prepaid/sts/deliver.ts).
  if (topUp.system === 'sts') return;
  for (const token of topUp.tokens) {
    prepaid.used.add(token.count);
    prepaid.lastCount = Math.max(prepaid.lastCount, token.count);
    batch.writes.topUpTokens.push({
      account_id: accountId,
      count: token.count,
      fact_id: fact.id,
      value: token.value,
      digits: token.digits,
    });
  }
  batch.writes.meterCounts.set(accountId, prepaid.lastCount);
}

/** A payment's method details as the payments table keeps them (all null for cash). */
function detailColumns(body: PaymentBody) {
  return {
    provider: body.method === 'mobile-money' ? body.provider : null,
    reference:
      body.method === 'card' ? body.approvalCode : body.method === 'cash' ? null : body.reference,
    payer_phone: body.method === 'mobile-money' ? body.payerPhone : null,
    card_brand: body.method === 'card' ? body.brand : null,
    card_last4: body.method === 'card' ? body.last4 : null,
  };
}
