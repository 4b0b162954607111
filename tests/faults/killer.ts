/**
 * The killer: waits until a push is on the wire, lets it run a random few milliseconds (so
 * that kills land before the hub reads the request, inside its transaction, and after its
 * commit but before the reply), SIGKILLs the hub, leaves it down a while, starts it again on
 * the same port and data, and asks SQLite whether the file is sound and whether every fact the
 * hub acknowledged before the kill is still there.
 *
 * It is bounded by work, not by the clock: it gives up after watching `pushesMax` pushes, or
 * when the devices have stopped recording and no push comes. A slow machine makes it slower,
 * never fail.
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
  /** The most pushes to watch for a moment to kill in, over all the kills. */
  readonly pushesMax: number;
  /** Whether the devices may still record payments, so that pushes will come. */
  readonly devicesRecording: () => boolean;
  readonly serveMinMs: number;
  readonly serveMaxMs: number;
  readonly afterPushMaxMs: number;
  readonly outageMaxMs: number;
}

/** How often the killer, waiting for a push, looks whether the devices still record. */
const PUSH_POLL_MS = 1_000;

/** The next push to start, or undefined once the devices record no more and none comes. */
async function nextPush(watch: PushWatch, plan: KillPlan): Promise<Push | undefined> {
  for (;;) {
    // Asked before the wait: a push that starts during it is still taken.
    const recording = plan.devicesRecording();
    const push = await watch.nextPush(PUSH_POLL_MS);
    if (push || !recording) return push;
  }
}

export async function killRepeatedly(
  hub: KillableHub,
  watch: PushWatch,
  random: Random,
  plan: KillPlan,
): Promise<Kill[]> {
  const kills: Kill[] = [];
  let watched = 0;
  while (kills.length < plan.kills) {
    await sleep(random.int(plan.serveMinMs, plan.serveMaxMs));
    let afterPushMs = 0;
    // The push may be answered before the moment comes; then wait for the next one, so that
    // every kill cuts a push short.
    do {
      if (watched >= plan.pushesMax)
        throw new Error(
          `only ${kills.length} of ${plan.kills} kills in the ${watched} pushes watched: pushes end before the killer strikes`,
        );
      if (!(await nextPush(watch, plan)))
        throw new Error(
          `only ${kills.length} of ${plan.kills} kills: the devices stopped recording and pushing`,
        );
      watched += 1;
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
