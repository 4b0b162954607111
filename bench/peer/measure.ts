/**
 * The one way both sides are measured: wall time of the sync, HTTP requests counted where the
 * client hands them to its HTTP stack, and bytes each way counted by a proxy on loopback as
 * they go on the wire (headers, bodies, compressed or not, as each client sends them).
 */
import type { Figure } from '../figures.ts';
import type { ThrottleProxy } from '../throttle.ts';

export interface Measured {
  readonly seconds: number;
  readonly requests: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly connections: number;
  /**
   * Seconds from the start until the last byte of the server's last answer reached the client;
   * the rest of `seconds` is the client's own work after it.
   */
  readonly lastAnswerSeconds: number;
}

/** Runs `sync`, which calls `countRequest` once for each HTTP request it makes through `proxy`. */
export async function measure(
  proxy: ThrottleProxy,
  sync: (countRequest: () => void) => Promise<void>,
): Promise<Measured> {
  let requests = 0;
  const up = proxy.bytesUp();
  const down = proxy.bytesDown();
  const connections = proxy.connections();
  const started = performance.now();
  await sync(() => requests++);
  const ended = performance.now();
  return {
    seconds: (ended - started) / 1000,
    lastAnswerSeconds: (Math.max(started, proxy.lastDeliveredDownMs()) - started) / 1000,
    requests,
    bytesUp: proxy.bytesUp() - up,
    bytesDown: proxy.bytesDown() - down,
    connections: proxy.connections() - connections,
  };
}

/** Seconds to the precision a shared machine's clock is worth. */
export function roundSeconds(seconds: number): number {
  return Number(seconds.toFixed(seconds < 1 ? 3 : 2));
}

/**
 * `prefix.seconds`, `.requests`, `.bytes-up` and `.bytes-down` of one measured sync; `about`
 * (what was measured, how) goes with the seconds, `context` with every figure.
 */
export function measuredFigures(
  prefix: string,
  measured: Measured,
  context: Record<string, unknown>,
  about: Record<string, unknown> = {},
): Figure[] {
  const timing = {
    ...context,
    ...about,
    connections: measured.connections,
    lastAnswerSeconds: roundSeconds(measured.lastAnswerSeconds),
  };
  return [
    {
      name: `${prefix}.seconds`,
      value: roundSeconds(measured.seconds),
      unit: 's',
      context: timing,
    },
    { name: `${prefix}.requests`, value: measured.requests, unit: 'requests', context },
    { name: `${prefix}.bytes-up`, value: measured.bytesUp, unit: 'B', context },
    { name: `${prefix}.bytes-down`, value: measured.bytesDown, unit: 'B', context },
  ];
}
