/**
 * Compression for slow links. A request body sent with `Content-Encoding: gzip` is inflated
 * before validation, up to the route's limit, so a small push over 2G stays small on the wire; answers
 * to clients that accept gzip are compressed by Hono's compress middleware.
 */
import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { HubError } from './errors.ts';
import type { AppEnv } from './context.ts';

/**
 * Replaces a gzip request body by its inflated bytes, refusing with `request-too-large` when
 * they pass `limit` (the route's own body limit, hub/http/edge.ts) and with `invalid-request`
 * when the bytes are not gzip. The compressed bytes were already held to the same limit.
 */
export async function inflateBody(c: Context<AppEnv>, limit: number): Promise<void> {
  const encoding = c.req.header('content-encoding')?.toLowerCase();
  if (encoding === undefined || encoding === 'identity') return;
  if (encoding !== 'gzip')
    throw new HubError(
      415,
      'unsupported-encoding',
      `Content-Encoding ${encoding.slice(0, 40)} is not supported; use gzip.`,
    );
  const compressed = Buffer.from(await c.req.raw.arrayBuffer());
  let inflated: Buffer;
  try {
    inflated = gunzipSync(compressed, { maxOutputLength: Math.max(limit, 1) });
  } catch (error) {
    const tooLarge =
      error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw tooLarge
      ? new HubError(413, 'request-too-large', `The request inflates to more than ${limit} bytes.`)
      : new HubError(400, 'invalid-request', 'Invalid request: the body is not valid gzip.');
  }
  if (inflated.length > limit)
    throw new HubError(
      413,
      'request-too-large',
      `The request inflates to more than ${limit} bytes.`,
    );
  const headers = new Headers(c.req.raw.headers);
  headers.delete('content-encoding');
  headers.set('content-length', String(inflated.length));
  c.req.raw = new Request(c.req.raw.url, {
    method: c.req.raw.method,
    headers,
    body: new Uint8Array(inflated),
  });
}
