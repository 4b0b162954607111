/**
 * What a device must show once the world is quiet: each of its facts acknowledged at the
 * change the hub stored it at (a held void's at the change that decided it), with the hub's
 * outcome, so that nothing flagged is shown as accepted; its route's accounts, each snapshot
 * the hub's latest; and `accountView` (what the agent sees) giving the hub's balance, the
 * model's open bills and the model's contact fields. Every device on a route then shows the
 * same, which is the convergence the protocol promises.
 */
import { accountView } from '../../client/db/accounts.ts';
import type { HubSnapshot, CheckStats } from './checks.ts';
import type { SimDevice } from './devices.ts';
import type { Model } from './model.ts';
import type { Settlement } from './replay.ts';

async function checkDeviceFacts(
  state: HubSnapshot,
  device: SimDevice,
  failures: string[],
  stats: CheckStats,
): Promise<void> {
  const name = device.label;
  const hubFacts = new Map(
    state.facts.filter((row) => row.device_id === device.deviceId).map((row) => [row.id, row]),
  );
  for (const stored of await device.db().facts.orderBy('seq').toArray()) {
    const row = hubFacts.get(stored.id);
    if (!row) continue; // reported by checkFacts
    if (stored.status !== 'acked' || stored.ackChangeSeq !== Number(row.change_seq))
      failures.push(
        `${name}: ${stored.kind} ${stored.seq} is ${stored.status} at change ${stored.ackChangeSeq}; the hub stored it at ${row.change_seq}`,
      );
    if (stored.outcome === undefined) {
      stats.outcomeUnknownOnDevice++;
      stats.notes.push(
        `${name} seq ${stored.seq} was acknowledged only by a pull; the hub has it ${row.outcome} ${row.flag_reason ?? ''}`.trimEnd(),
      );
    } else if (stored.outcome !== row.outcome || (stored.reason ?? null) !== row.flag_reason)
      failures.push(
        `${name}: ${stored.kind} ${stored.seq} shows ${stored.outcome} ${stored.reason ?? ''}; the hub has ${row.outcome} ${row.flag_reason ?? ''}`,
      );
  }
}

export async function checkDeviceView(
  state: HubSnapshot,
  device: SimDevice,
  model: Model,
  settled: Settlement,
  failures: string[],
  stats: CheckStats,
): Promise<void> {
  await checkDeviceFacts(state, device, failures, stats);
  const db = device.db();
  const name = device.label;
  const routeId = device.agent.routeId;
  const route = state.accounts.filter((row) => row.route_id === routeId);
  const expected = model
    .routeAccounts(routeId)
    .map((account) => account.id)
    .sort();
  const held = (await db.accounts.orderBy('id').primaryKeys()).map(String);
  if (held.join() !== expected.join())
    failures.push(`${name} holds accounts ${held.join(' ')}; its route has ${expected.join(' ')}`);
  for (const row of route) {
    const view = await accountView(db, row.id);
    if (!view) continue; // reported above
    const balance = Number(row.balance_minor);
    if (view.account.changeSeq !== Number(row.change_seq) || view.account.balanceMinor !== balance)
      failures.push(
        `${name}: snapshot of ${row.id} is ${view.account.balanceMinor} at change ${view.account.changeSeq}; the hub has ${balance} at ${row.change_seq}`,
      );
    if (view.balanceMinor !== balance)
      failures.push(`${name} shows ${row.id} owing ${view.balanceMinor}; the hub says ${balance}`);
    const shown = view.openBills.map((bill) => `${bill.id}:${bill.paidMinor}`).join(' ');
    const open = (settled.bills.get(row.id) ?? [])
      .filter((bill) => bill.paidMinor < bill.amountMinor)
      .map((bill) => `${bill.id}:${bill.paidMinor}`)
      .join(' ');
    if (shown !== open)
      failures.push(
        `${name} shows open bills of ${row.id} as [${shown}]; the model says [${open}]`,
      );
    const contact = JSON.stringify(settled.contacts.get(row.id));
    const snapshot = JSON.stringify({
      name: view.account.name,
      phone: view.account.phone,
      address: view.account.address,
    });
    if (snapshot !== contact)
      failures.push(
        `${name}: snapshot of ${row.id} has contact ${snapshot}; the model says ${contact}`,
      );
    const viewed = JSON.stringify({
      name: view.contact.name,
      phone: view.contact.phone,
      address: view.contact.address,
    });
    if (viewed !== contact)
      failures.push(`${name} shows contact of ${row.id} as ${viewed}; the model says ${contact}`);
  }
}
