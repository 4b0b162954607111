/**
 * Hybrid logical clocks. A stamp is (wall milliseconds, counter, node): it never goes
 * backwards on one node, it moves past every stamp the node has seen, and it orders stamps
 * from different nodes with a deterministic tie-break on the node id. Wall time is passed in;
 * nothing here reads a clock.
 *
 * A remote stamp further ahead of local wall time than `maxDriftMs` is not adopted, so a
 * device whose clock says next year cannot drag everyone else's clock forward.
 */
import { assert } from './assert.ts';

export interface Hlc {
  readonly wallMs: number;
  readonly counter: number;
  readonly node: string;
}

export const MAX_COUNTER = 0xffff;

export function hlcStart(node: string, wallMs: number): Hlc {
  return { wallMs, counter: 0, node };
}

/** The stamp for a local event at wall time `wallMs`. */
export function hlcTick(previous: Hlc, wallMs: number): Hlc {
  if (wallMs > previous.wallMs) return { wallMs, counter: 0, node: previous.node };
  assert(previous.counter < MAX_COUNTER, 'hybrid clock counter overflow');
  return { wallMs: previous.wallMs, counter: previous.counter + 1, node: previous.node };
}

export type ReceiveOutcome = { clock: Hlc; skewed: boolean };

/** Merges a stamp received from elsewhere; `skewed` says it was too far ahead to adopt. */
export function hlcReceive(
  local: Hlc,
  remote: Hlc,
  wallMs: number,
  maxDriftMs: number,
): ReceiveOutcome {
  if (remote.wallMs - wallMs > maxDriftMs) return { clock: hlcTick(local, wallMs), skewed: true };
  const wall = Math.max(local.wallMs, remote.wallMs, wallMs);
  let counter = 0;
  if (wall === local.wallMs && wall === remote.wallMs)
    counter = Math.max(local.counter, remote.counter) + 1;
  else if (wall === local.wallMs) counter = local.counter + 1;
  else if (wall === remote.wallMs) counter = remote.counter + 1;
  assert(counter <= MAX_COUNTER, 'hybrid clock counter overflow');
  return { clock: { wallMs: wall, counter, node: local.node }, skewed: false };
}

/** Writes a stamp so that string order is stamp order. */
export function formatHlc(clock: Hlc): string {
  return `${String(clock.wallMs).padStart(15, '0')}-${clock.counter.toString(16).padStart(4, '0')}-${clock.node}`;
}

export function parseHlc(text: string): Hlc | undefined {
  const match = /^(\d{15})-([0-9a-f]{4})-(.+)$/.exec(text);
  if (!match) return undefined;
  return { wallMs: Number(match[1]), counter: parseInt(match[2] ?? '0', 16), node: match[3] ?? '' };
}

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}
