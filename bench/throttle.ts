/**
 * A TCP proxy on loopback that counts the bytes each way, as they go on the wire, and can make
 * the link behave like 2G: every byte in either direction waits its turn at the link's bit
 * rate, and arrives a one-way delay later. The bit rate is the link's, shared by every
 * connection through the proxy, as a radio link is: a client that opens more connections does
 * not get more bandwidth, and each new connection first waits a round trip for its handshake.
 * Without a link it forwards at once and only counts. Only ever listens on and connects to
 * 127.0.0.1.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Link {
  readonly bitsPerSecond: number;
  readonly oneWayDelayMs: number;
}

export interface ThrottleProxy {
  readonly port: number;
  readonly bytesUp: () => number;
  readonly bytesDown: () => number;
  /** TCP connections opened through the proxy. */
  readonly connections: () => number;
  /** When (performance.now()) the last byte from the server reached the client. */
  readonly lastDeliveredDownMs: () => number;
  close(): Promise<void>;
}

/** One direction of the link: when it is next free to carry a byte. */
interface Direction {
  freeAtMs: number;
}

/**
 * Bytes go over the link in slices this small, each arriving on its own, as they would: a server
 * sees a long request begin to arrive at once, not only when its last byte has.
 */
const SLICE_BYTES = 512;

/**
 * Forwards `from` to `to`, each slice leaving when the link is free and arriving a one-way delay
 * later, in order.
 */
function throttle(
  from: Socket,
  to: Socket,
  link: Link,
  direction: Direction,
  openAtMs: number,
  count: (bytes: number) => void,
  delivered: () => void,
): void {
  const queue: { atMs: number; bytes: Buffer }[] = [];
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = Date.now();
    for (let next = queue[0]; next !== undefined && next.atMs <= now; next = queue[0]) {
      queue.shift();
      to.write(next.bytes);
      delivered();
    }
    const next = queue[0];
    if (next !== undefined) timer = setTimeout(pump, next.atMs - now);
    else if (ended) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
      const bytes = chunk.subarray(offset, offset + SLICE_BYTES);
      const start = Math.max(Date.now(), direction.freeAtMs, openAtMs);
      direction.freeAtMs = start + (bytes.length * 8 * 1000) / link.bitsPerSecond;
      queue.push({ atMs: direction.freeAtMs + link.oneWayDelayMs, bytes });
    }
    if (timer === undefined) pump();
  });
  from.on('end', () => {
    ended = true;
    if (timer === undefined) pump();
  });
  from.on('error', () => to.destroy());
}

/** Forwards `from` to `to` as fast as they go, counting. */
function forward(
  from: Socket,
  to: Socket,
  count: (bytes: number) => void,
  delivered: () => void,
): void {
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    delivered();
  });
  from.pipe(to);
  from.on('error', () => to.destroy());
}

/** A proxy to 127.0.0.1:`targetPort`; with `link` null it only counts. */
export async function startThrottleProxy(
  targetPort: number,
  link: Link | null,
): Promise<ThrottleProxy> {
  let up = 0;
  let down = 0;
  let connections = 0;
  let lastDeliveredDownMs = 0;
  const nothing = () => {};
  const deliveredDown = () => (lastDeliveredDownMs = performance.now());
  const upLink: Direction = { freeAtMs: 0 };
  const downLink: Direction = { freeAtMs: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      // A relay passes each piece on as it comes: with Nagle's algorithm its own small writes
      // waited on the other end's delayed acknowledgement (up to 40 ms), a delay of the relay's
      // making that neither side's own connection would have had.
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    const countUp = (bytes: number) => (up += bytes);
    const countDown = (bytes: number) => (down += bytes);
    if (link === null) {
      forward(client, upstream, countUp, nothing);
      forward(upstream, client, countDown, deliveredDown);
    } else {
      // On loopback a connection opens at once; over the link its handshake takes a round
      // trip before the first byte of a request can go.
      const openAtMs = Date.now() + 2 * link.oneWayDelayMs;
      throttle(client, upstream, link, upLink, openAtMs, countUp, nothing);
      throttle(upstream, client, link, downLink, openAtMs, countDown, deliveredDown);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    bytesUp: () => up,
    bytesDown: () => down,
    connections: () => connections,
    lastDeliveredDownMs: () => lastDeliveredDownMs,
    close: () =>
      new Promise<void>((resolve) => {
        // Kept-alive connections would hold the server open: the measurement is over.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
