/**
 * Compression for slow links. A request body sent with `Content-Encoding: gzip` is inflated
 * before validation, up to a limit, so a small push over 2G stays small on the wire; answers
 * to clients that accept gzip are compressed by Hono's compress middleware.
 */
import { gunzipSync } from 'node:zlib';
import { createMiddleware } from 'hono/factory';
import { HubError } from './errors.ts';
import type { AppEnv } from './context.ts';

/** Far above the largest legal push (1,000 facts), far below what would hurt the hub. */
export const MAX_INFLATED_BYTES = 8 * 1024 * 1024;

export const inflateRequests = createMiddleware<AppEnv>(async (c, next) => {
  const encoding = c.req.header('content-encoding')?.toLowerCase();
  if (encoding === 'gzip') {
    const compressed = Buffer.from(await c.req.raw.arrayBuffer());
    let inflated: Buffer;
    try {
      inflated = gunzipSync(compressed, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (error) {
      const tooLarge =
        error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw tooLarge
        ? new HubError(
            413,
            'request-too-large',
            `The request inflates to more than ${MAX_INFLATED_BYTES} bytes.`,
          )
        : new HubError(400, 'invalid-request', 'Invalid request: the body is not valid gzip.');
    }
    const headers = new Headers(c.req.raw.headers);
    headers.delete('content-encoding');
    headers.set('content-length', String(inflated.length));
    c.req.raw = new Request(c.req.raw.url, {
      method: c.req.raw.method,
      headers,
      body: new Uint8Array(inflated),
    });
  } else if (encoding !== undefined && encoding !== 'identity') {
    throw new HubError(
      415,
      'unsupported-encoding',
      `Content-Encoding ${encoding} is not supported; use gzip.`,
    );
  }
  await next();
});
