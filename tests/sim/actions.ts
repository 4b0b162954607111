/**
 * The agents' actions that record facts, each through the app's own recording function, and
 * what the model is told of each: a cash payment (sometimes breaking a rule the hub flags), a
 * void of one of the device's own payments (pending or already synced, now and then the same
 * payment a second time, which the device must refuse), a void of another device's payment
 * read off its receipt (often before that payment reached the hub, so the hub holds the void;
 * now and then with the wrong amount), and a correction of a contact field (sometimes two
 * devices at once on the same field, sometimes a field another device corrected before).
 *
 * A refusal the model expects is logged; one it does not expect is a finding.
 */
import { accountView } from '../../client/db/accounts.ts';
import type { StoredFact } from '../../client/db/database.ts';
import { contactFields, voidReasons, type ContactField } from '../../shared/facts.ts';
import {
  recordContactEditIn,
  recordPayment,
  recordVoidIn,
  type SimDevice,
  type Tab,
} from './devices.ts';
import type { Model, RecordedPayment } from './model.ts';
import type { Random } from './random.ts';
import type { RuleBreaking } from './world.ts';

/** What an action sees of the world. */
export interface Stage {
  readonly random: Random;
  readonly model: Model;
  readonly step: number;
  readonly ruleBreaking: readonly RuleBreaking[];
  log(line: string): void;
  finding(line: string): void;
  count(what: string): void;
  tabs(): Tab[];
  /** Whether the hub holds a fact, for the trace only: no expectation is taken from it. */
  atHub(factId: string): Promise<boolean>;
}

function base(tab: Tab, stored: StoredFact) {
  return {
    factId: stored.id,
    device: tab.device.label,
    deviceId: tab.device.deviceId,
    seq: stored.seq,
    hash: stored.fact.hash,
    hlc: stored.fact.hlc,
    accountId: stored.accountId,
  };
}

/** Tabs of devices that have pulled their route, or every tab while none has. */
export function payingTabs(stage: Stage): Tab[] {
  const ready = stage.tabs().filter((tab) => tab.device.knowsAccounts);
  return ready.length > 0 ? ready : stage.tabs();
}

export async function pay(stage: Stage, tab: Tab, ruleBreaking: boolean): Promise<void> {
  const { random, model } = stage;
  const known = (await tab.db.accounts.orderBy('id').primaryKeys()).map(String);
  let accountId: string;
  let currency;
  const kind = ruleBreaking ? random.pick(stage.ruleBreaking) : undefined;
  if (kind === 'account-not-found') {
    accountId = `acc-unknown-${random.int(1, 99)}`;
    currency = random.pick(['KES', 'USD'] as const);
  } else {
    if (known.length === 0) {
      // The agent cannot find the customer before a first pull: the tab syncs instead.
      if (tab.busy) return stage.log(`${tab.label} knows no account yet`);
      stage.log(`${tab.label} knows no account yet, starts a round`);
      await tab.run(() => tab.syncRound());
      return;
    }
    accountId = random.pick(known);
    const own = model.account(accountId).currency;
    currency = kind === 'currency-mismatch' ? (own === 'KES' ? 'USD' : 'KES') : own;
  }
  // A quarter of payments settle what the device shows as owed, when it shows a debt.
  const settle = random.chance(0.25) && known.includes(accountId);
  const shown = settle ? (await accountView(tab.db, accountId))?.balanceMinor : undefined;
  const amountMinor =
    shown !== undefined && shown > 0
      ? shown
      : random.chance(0.1)
        ? random.int(20_000, 90_000)
        : random.int(1, 15_000);
  const tenderedMinor = random.chance(0.5) ? amountMinor : amountMinor + random.int(1, 5_000);
  const result = await recordPayment(tab, { accountId, currency, amountMinor, tenderedMinor });
  if (!result.ok) return stage.finding(`${tab.label} could not record a payment: ${result.error}`);
  const stored = result.value;
  model.record({
    ...base(tab, stored),
    kind: 'payment',
    stampMs: Number(stored.fact.hlc.slice(0, 15)),
    currency,
    amountMinor,
    tenderedMinor,
    rule: model.ruleOutcome(accountId, currency),
  });
  stage.log(
    `${tab.label} records seq ${stored.seq} ${stored.id}: ${amountMinor} ${currency} on ${accountId}`,
  );
}

/** Tabs whose device's current identity recorded a payment. */
function tabsWithOwnPayments(stage: Stage): Tab[] {
  return stage
    .tabs()
    .filter((tab) => stage.model.byDevice(tab.device.deviceId).some((f) => f.kind === 'payment'));
}

export function canVoidOwn(stage: Stage): boolean {
  return tabsWithOwnPayments(stage).length > 0;
}

/**
 * A device voids one of its own payments: one still pending or one already acknowledged,
 * half and half when it has both; now and then one it voided before, which it must refuse.
 */
export async function voidOwn(stage: Stage): Promise<void> {
  const { random, model } = stage;
  const tab = random.pick(tabsWithOwnPayments(stage));
  const deviceId = tab.device.deviceId;
  const own = model
    .byDevice(deviceId)
    .filter((fact): fact is RecordedPayment => fact.kind === 'payment');
  const voided = own.filter((payment) => model.hasVoided(deviceId, payment.factId));
  const fresh = own.filter((payment) => !model.hasVoided(deviceId, payment.factId));
  const again = voided.length > 0 && (fresh.length === 0 || random.chance(0.15));
  let target: RecordedPayment;
  let state = 'voided before';
  if (again) {
    target = random.pick(voided);
  } else {
    const stored = new Map((await tab.db.facts.toArray()).map((f) => [f.id, f.status]));
    const pending = fresh.filter((payment) => stored.get(payment.factId) === 'pending');
    const acked = fresh.filter((payment) => stored.get(payment.factId) === 'acked');
    const fromPending =
      pending.length > 0 && (acked.length === 0 || random.chance(0.5)) ? pending : acked;
    if (fromPending.length === 0)
      return stage.finding(`${tab.label} lost its own payments from its log`);
    target = random.pick(fromPending);
    state = fromPending === pending ? 'pending' : 'synced';
  }
  const reason = random.pick(voidReasons);
  const result = await recordVoidIn(tab, target.factId, reason);
  const what = `${tab.label} voids its own ${state} payment seq ${target.seq} ${target.factId} (${target.amountMinor} on ${target.accountId}, ${reason})`;
  stage.count(again ? 'void-own-again' : 'void-own');
  voidRecorded(stage, tab, what, again, result, target.factId);
}

/**
 * What the device did with a void, told to the model: a second void of one payment by the
 * same device must be refused `already-voided`; any other must be recorded. Returns whether a
 * void was recorded.
 */
function voidRecorded(
  stage: Stage,
  tab: Tab,
  what: string,
  again: boolean,
  result: Awaited<ReturnType<typeof recordVoidIn>>,
  paymentId: string,
): boolean {
  if (again && !result.ok && result.error === 'already-voided') {
    stage.log(`${what}: refused already-voided, as it must be`);
    return false;
  }
  if (again || !result.ok)
    stage.finding(
      `${what}: ${result.ok ? 'recorded' : `refused ${result.error}`}${again ? '; expected already-voided' : ''}`,
    );
  if (!result.ok) return false;
  const stored = result.value;
  if (stored.fact.kind !== 'void') throw new Error('recordVoid wrote something else');
  stage.model.record({
    ...base(tab, stored),
    kind: 'void',
    paymentId,
    amountMinor: stored.fact.body.amountMinor,
  });
  stage.log(`${what}: seq ${stored.seq} ${stored.id}`);
  return true;
}

/** Payments taken by another device identity on accounts of this tab's route. */
function receiptsFor(stage: Stage, device: SimDevice): RecordedPayment[] {
  const routeId = device.agent.routeId;
  return stage.model.payments.filter(
    (payment) =>
      payment.deviceId !== device.deviceId &&
      stage.model.knows(payment.accountId) &&
      stage.model.account(payment.accountId).routeId === routeId,
  );
}

export function canVoidByReceipt(stage: Stage): boolean {
  return stage.tabs().some((tab) => tab.device.user && receiptsFor(stage, tab.device).length > 0);
}

/**
 * A device voids another device's payment from the receipt the customer shows: half the
 * time one of the latest payments on its route, often not yet at the hub, so the hub holds
 * the void until the payment arrives. One in eight receipts is read with the wrong amount,
 * which the hub must flag; now and then the device voids a receipt it voided before, which it
 * must refuse.
 */
export async function voidByReceipt(stage: Stage): Promise<void> {
  const { random, model } = stage;
  const tabs = stage
    .tabs()
    .filter((tab) => tab.device.user && receiptsFor(stage, tab.device).length > 0);
  const tab = random.pick(tabs);
  const receipts = receiptsFor(stage, tab.device);
  const target = random.chance(0.5) ? random.pick(receipts.slice(-3)) : random.pick(receipts);
  const again = model.hasVoided(tab.device.deviceId, target.factId);
  const wrong = random.chance(0.125);
  const amountMinor = wrong
    ? target.amountMinor > 500
      ? target.amountMinor - random.int(1, 500)
      : target.amountMinor + random.int(1, 500)
    : target.amountMinor;
  const reason = random.pick(voidReasons);
  const atHub = await stage.atHub(target.factId);
  const result = await recordVoidIn(tab, target.factId, reason, {
    accountId: target.accountId,
    amountMinor,
  });
  const what = `${tab.label} voids ${target.device}'s payment seq ${target.seq} ${target.factId} from its receipt (${amountMinor}${wrong ? `, really ${target.amountMinor}` : ''} on ${target.accountId}; ${atHub ? 'already at' : 'not yet at'} the hub)`;
  stage.count(wrong ? 'void-by-receipt-wrong-amount' : 'void-by-receipt');
  // Sent at once, often before the payment it names reaches the hub from the other device.
  if (voidRecorded(stage, tab, what, again, result, target.factId))
    await maybeRound(stage, tab, 0.6);
}

/**
 * The app starts a round after every recorded fact; the simulation does so with this
 * probability for voids and edits (payments keep to the rounds the world draws), so that they
 * reach the hub early: before the payments they void, before other devices edit.
 */
async function maybeRound(stage: Stage, tab: Tab, probability: number): Promise<void> {
  if (tab.busy || !stage.random.chance(probability)) return;
  stage.log(`${tab.label} starts a round`);
  await tab.run(() => tab.syncRound());
}

function editingTabs(stage: Stage): Tab[] {
  return stage.tabs().filter((tab) => tab.device.knowsAccounts && tab.device.user);
}

export function canEditContact(stage: Stage): boolean {
  return editingTabs(stage).length > 0;
}

/**
 * An agent corrects a contact field. Nearly half the time it is a field another device
 * corrected before (the agent may or may not have pulled that edit since); a third of the
 * time a second device on the route corrects the same field in the same moment, neither
 * having seen the other; now and then the new value is the one another device already wrote.
 */
export async function editContact(stage: Stage): Promise<void> {
  const { random, model } = stage;
  const tab = random.pick(editingTabs(stage));
  const known = (await tab.db.accounts.orderBy('id').primaryKeys()).map(String);
  if (known.length === 0) return stage.log(`${tab.label} has no account to edit`);
  const others = model.facts.filter(
    (fact) =>
      fact.kind === 'contact' &&
      fact.deviceId !== tab.device.deviceId &&
      known.includes(fact.accountId),
  );
  const hot = others.length > 0 && random.chance(0.6) ? random.pick(others) : undefined;
  const accountId = hot ? hot.accountId : random.pick(known);
  const field: ContactField = hot?.kind === 'contact' ? hot.field : random.pick(contactFields);
  if (hot && !tab.busy && random.chance(0.6)) {
    // The agent syncs first and edits once the round is over, from whatever it pulled: the
    // other device's edit, if it reached the hub and the pull came through.
    const seen = (await stage.atHub(hot.factId)) ? 'at' : 'not yet at';
    stage.log(
      `${tab.label} starts a round, then corrects ${field} of ${accountId} (${hot.device}'s edit is ${seen} the hub)`,
    );
    stage.count('edit-contact-after-round');
    await tab.run(async () => {
      const report = await tab.syncRound();
      await editOne(stage, tab, accountId, field);
      return report;
    });
    return;
  }
  await editOne(stage, tab, accountId, field);
  await maybeRound(stage, tab, 0.5);
  if (!random.chance(1 / 3)) return;
  const partners = editingTabs(stage).filter(
    (other) =>
      other.device !== tab.device && other.device.agent.routeId === tab.device.agent.routeId,
  );
  if (partners.length === 0) return;
  stage.count('edit-contact-together');
  await editOne(stage, random.pick(partners), accountId, field);
}

async function editOne(stage: Stage, tab: Tab, accountId: string, field: ContactField) {
  const { random, model } = stage;
  const written = model.editsOf(accountId, field).filter((e) => e.deviceId !== tab.device.deviceId);
  const reuse = written.length > 0 && random.chance(0.1) ? written.at(-1) : undefined;
  const value = reuse?.value ?? `${field} by ${tab.device.label} at step ${stage.step}`;
  const result = await recordContactEditIn(tab, accountId, field, value);
  const what = `${tab.label} corrects ${field} of ${accountId} to "${value}"`;
  stage.count('edit-contact');
  if (!result.ok) {
    const shown = (await accountView(tab.db, accountId))?.contact[field];
    if (result.error === 'unchanged' && shown === value)
      return stage.log(`${what}: refused unchanged, the device already shows it`);
    return stage.finding(`${what}: refused ${result.error} (the device shows "${shown}")`);
  }
  const stored = result.value;
  if (stored.fact.kind !== 'contact') throw new Error('recordContactEdit wrote something else');
  model.record({
    ...base(tab, stored),
    kind: 'contact',
    field,
    value,
    baseChangeSeq: stored.fact.body.baseChangeSeq,
  });
  stage.log(
    `${what}: seq ${stored.seq} ${stored.id}, from change ${stored.fact.body.baseChangeSeq}`,
  );
}
