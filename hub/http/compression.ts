/**
 * Compression for slow links. A request body sent with `Content-Encoding: gzip` is inflated
 * before validation, up to the route's limit, so a small push over 2G stays small on the wire;
 * answers to clients that accept gzip are gzipped (`compressAnswers`).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { HubError } from './errors.ts';
import type { AppEnv } from './context.ts';

/** Smaller answers go as they are: gzip's own header and checksum would eat most of the gain. */
const MIN_GZIPPED_BYTES = 1024;
const COMPRESSIBLE = /^\s*(?:application\/(?:[\w.+-]*\+)?json|text\/)/i;
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;

/** Whether an Accept-Encoding header takes gzip (named or by `*`, with a weight above 0). */
export function acceptsGzip(header: string | undefined): boolean {
  let wildcard = false;
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...parameters] = part.trim().toLowerCase().split(';');
    const weight = parameters.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
    const taken = weight === undefined || Number(weight) > 0;
    if (name === 'gzip') return taken;
    if (name === '*') wildcard = taken;
  }
  return wildcard;
}

/**
 * Gzips answers for clients that accept it. The API's answers are built whole in memory, so they
 * are gzipped whole and sent with their length in one write: streamed through Hono's compress
 * middleware they went chunked, and the last small chunk waited on the client's delayed
 * acknowledgement of the one before (Nagle's algorithm on any relay between), about 40 ms for a
 * pull of 100 accounts on loopback. The app's files keep the streaming middleware.
 */
export function compressAnswers(): MiddlewareHandler<AppEnv> {
  const streaming = compress();
  return async (c, next) => {
    if (!c.req.path.startsWith('/api/')) return streaming(c, next);
    await next();
    const answer = c.res;
    const type = answer.headers.get('Content-Type');
    if (
      answer.status === 206 ||
      c.req.method === 'HEAD' ||
      answer.body === null ||
      answer.headers.has('Content-Encoding') ||
      answer.headers.has('Transfer-Encoding') ||
      type === null ||
      !COMPRESSIBLE.test(type) ||
      NO_TRANSFORM.test(answer.headers.get('Cache-Control') ?? '')
    )
      return;
    c.header('Vary', 'Accept-Encoding', { append: true });
    if (!acceptsGzip(c.req.header('Accept-Encoding'))) return;
    const plain = new Uint8Array(await answer.arrayBuffer());
    const gzipped = plain.length < MIN_GZIPPED_BYTES ? undefined : gzipSync(plain);
    c.res = new Response(gzipped ?? plain, answer);
    c.res.headers.set('Content-Length', String((gzipped ?? plain).length));
    if (gzipped) c.res.headers.set('Content-Encoding', 'gzip');
  };
}

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
