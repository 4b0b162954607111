/**
 * Storage wipe after export: a device exports its unsynced facts with the app's export
 * (client/sync/export.ts), its IndexedDB is deleted, a supervisor uploads the file through
 * the hub's upload route over the simulated network (supervisor.ts: faults, retries), and
 * the device is enrolled again at the office, on a perfect network, as a new device with a
 * fresh code from the supervisor's route and the app's `enrolDevice`, signs in and pulls its
 * route. Its old identity is gone with its storage: its facts reach the hub only by the
 * upload (and by whatever its closed tabs left on the wire), and the checks hold them to
 * every rule, exactly once; the model knows the old identity as one whose device is gone.
 */
import { pendingCount } from '../../client/db/facts.ts';
import { exportOutbox } from '../../client/sync/export.ts';
import type { Identity } from './checks.ts';
import { Tab, type SimDevice } from './devices.ts';
import type { SimNetwork } from './network.ts';
import type { Random } from './random.ts';
import type { Supervisor } from './supervisor.ts';

export const STORAGE_WIPE_AFTER_EXPORT = true;

/** What the wipe needs of the world. */
export interface WipeWorld {
  readonly random: Random;
  readonly network: SimNetwork;
  readonly supervisor: Supervisor;
  readonly identities: Identity[];
  log(line: string): void;
  finding(line: string): void;
  /** Enrolment with `code`, sign-in and a first round, as in setup. */
  enrol(tab: Tab, code: string): Promise<void>;
}

/**
 * The device exports what it has not synced, its storage is wiped, the supervisor starts
 * uploading the file over the network, and the device is enrolled again at the office.
 */
export async function wipeStorageAfterExport(world: WipeWorld, device: SimDevice): Promise<void> {
  const tab = device.openTabs()[0];
  if (!tab) throw new Error(`${device.label} has no open tab`);
  const pending = await pendingCount(tab.db);
  const exported = await exportOutbox(tab.db, new Date(device.nowMs()));
  const old = device.deviceId;
  if (exported.ok) {
    const seqs = exported.file.pushes.flatMap((push) => push.facts.map((fact) => fact.seq));
    world.log(
      `${device.label} exports ${seqs.length} unsynced facts (seq ${seqs[0]}..${seqs.at(-1)}) in ${exported.file.pushes.length} pushes`,
    );
    if (seqs.length !== pending)
      world.finding(`${device.label} exported ${seqs.length} facts of ${pending} unsynced`);
  } else {
    world.log(`${device.label} exports nothing (${exported.error}): ${pending} unsynced`);
    if (exported.error !== 'nothing-to-export' || pending > 0)
      world.finding(
        `${device.label} could not export ${pending} unsynced facts: ${exported.error}`,
      );
  }
  for (const open of device.openTabs()) {
    const keep = world.random.chance(0.5);
    world.log(
      `${open.label} closes${open.busy ? ` mid-round (its request ${keep ? 'still' : 'never'} arrives)` : ''}`,
    );
    world.network.abandon(open.label, keep);
  }
  await device.wipeStorage();
  world.log(`${device.label} storage wiped; identity ${old} is gone with it`);
  const index = world.identities.findIndex((identity) => identity.deviceId === old);
  world.identities[index] = { deviceId: old, label: device.label, device: undefined };
  if (exported.ok) {
    const upload = await world.supervisor.upload(exported.file, device.label);
    world.log(`${upload.label}: the supervisor uploads ${device.label}'s file over the network`);
  }
  world.log(`${device.label} is taken to the office to be enrolled again`);
  await atTheOffice(world.network, async () => {
    const fresh = new Tab(device, 0, world.network);
    device.tabs[0] = fresh;
    await world.enrol(fresh, await world.supervisor.issueCode());
  });
  world.identities.push({ deviceId: device.deviceId, label: device.label, device });
  world.log(`${device.label} enrolled again at the office as ${device.deviceId}`);
}

/** Runs `body` on a perfect network, as at the office; what is on the wire stays there. */
async function atTheOffice(network: SimNetwork, body: () => Promise<void>): Promise<void> {
  const mode = network.mode;
  network.mode = 'direct';
  try {
    await body();
  } finally {
    network.mode = mode;
  }
}
