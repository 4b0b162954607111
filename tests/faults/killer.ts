/**
 * The killer: waits until a push is on the wire, lets it run a random few milliseconds (so
 * that kills land before the hub reads the request, inside its transaction, and after its
 * commit but before the reply), SIGKILLs the hub, leaves it down a while, starts it again on
 * the same port and data, and asks SQLite whether the file is sound and whether every fact the
 * hub acknowledged before the kill is still there.
 */
import type { KillableHub } from './hub-process.ts';
import type { Push, PushWatch } from './push-watch.ts';
import { sleep, type Random } from './random.ts';

export interface Kill {
  readonly number: number;
  readonly atMs: number;
  /** How long after a push started the kill came. */
  readonly afterPushMs: number;
  /** The pushes on the wire at the moment of the kill: at least one, by construction. */
  readonly pushesInFlight: readonly Push[];
  readonly outageMs: number;
  /** From spawning the hub again to its first healthy answer. */
  readonly restartMs: number;
  /** `PRAGMA integrity_check` on the file after the restart. */
  readonly integrity: string;
  /** Facts the hub had acknowledged that the restarted hub no longer holds. */
  readonly forgotten: readonly string[];
}

export interface KillPlan {
  readonly kills: number;
  readonly deadlineMs: number;
  readonly serveMinMs: number;
  readonly serveMaxMs: number;
  readonly afterPushMaxMs: number;
  readonly outageMaxMs: number;
}

const PUSH_WAIT_MS = 5_000;

export async function killRepeatedly(
  hub: KillableHub,
  watch: PushWatch,
  random: Random,
  plan: KillPlan,
): Promise<Kill[]> {
  const kills: Kill[] = [];
  while (kills.length < plan.kills) {
    await sleep(random.int(plan.serveMinMs, plan.serveMaxMs));
    let afterPushMs = 0;
    // The push may be answered before the moment comes; then wait for the next one, so that
    // every kill cuts a push short.
    do {
      if (Date.now() > plan.deadlineMs)
        throw new Error(`only ${kills.length} of ${plan.kills} kills before the deadline`);
      if (!(await watch.nextPush(PUSH_WAIT_MS))) continue;
      afterPushMs = random.int(0, plan.afterPushMaxMs);
      await sleep(afterPushMs);
    } while (watch.inFlight.size === 0);
    const pushesInFlight = [...watch.inFlight];
    const atMs = Date.now();
    await hub.kill();
    const acknowledged = [...watch.acknowledged];
    const outageMs = random.int(0, plan.outageMaxMs);
    await sleep(outageMs);
    const restartStartedMs = Date.now();
    await hub.start();
    const restartMs = Date.now() - restartStartedMs;
    const integrity = hub.integrityCheck();
    const held = new Set(hub.query<{ id: string }>('SELECT id FROM facts').map((row) => row.id));
    const forgotten = acknowledged.filter((id) => !held.has(id));
    kills.push({
      number: kills.length + 1,
      atMs,
      afterPushMs,
      pushesInFlight,
      outageMs,
      restartMs,
      integrity,
      forgotten,
    });
    if (integrity !== 'ok')
      throw new Error(`integrity_check after restart ${kills.length}: ${integrity}`);
    if (forgotten.length > 0)
      throw new Error(
        `after restart ${kills.length} the hub no longer holds ${forgotten.length} facts it had ` +
          `acknowledged: ${forgotten.slice(0, 5).join(', ')}`,
      );
  }
  return kills;
}
