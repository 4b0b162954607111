/**
 * A throttling TCP proxy on loopback that makes a link behave like 2G: every byte in either
 * direction waits its turn at the link's bit rate, and arrives a one-way delay later. Counts
 * the bytes each way. Only ever listens on and connects to 127.0.0.1.
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
  close(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk leaving when the link is free and arriving later. */
function throttle(from: Socket, to: Socket, link: Link, count: (bytes: number) => void): void {
  let linkFreeAt = 0;
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    const now = Date.now();
    const start = Math.max(now, linkFreeAt);
    linkFreeAt = start + (chunk.length * 8 * 1000) / link.bitsPerSecond;
    setTimeout(() => to.write(chunk), linkFreeAt - now + link.oneWayDelayMs);
  });
  from.on('end', () =>
    setTimeout(() => to.end(), Math.max(0, linkFreeAt - Date.now()) + link.oneWayDelayMs),
  );
  from.on('error', () => to.destroy());
}

export async function startThrottleProxy(targetPort: number, link: Link): Promise<ThrottleProxy> {
  let up = 0;
  let down = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    throttle(client, upstream, link, (bytes) => (up += bytes));
    throttle(upstream, client, link, (bytes) => (down += bytes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    bytesUp: () => up,
    bytesDown: () => down,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
