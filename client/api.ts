/**
 * Calls to the hub, from the page or the sync worker. Every answer is read with the schema
 * from shared/ that the hub answered with; a network failure is the named outcome
 * `hub-unreachable`, never an exception, since in the field it is the normal case.
 */
import type { z } from 'zod';
import { errorResponseSchema } from '../shared/api.ts';
import { err, ok, type Result } from '../shared/result.ts';

export interface HubFailure {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly details?: unknown;
}

export interface HubCall {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: unknown;
  readonly token?: string;
  readonly timeoutMs?: number;
  /** Send the body gzip-compressed: a push is mostly repeated keys and ids, and shrinks well. */
  readonly gzip?: boolean;
}

async function gzipped(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export async function callHub<S extends z.ZodType>(
  baseUrl: string,
  call: HubCall,
  schema: S,
  fetchImpl: FetchLike = (input, init) => fetch(input, init),
): Promise<Result<z.infer<S>, HubFailure>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  const compress =
    call.gzip === true && call.body !== undefined && typeof CompressionStream === 'function';
  if (compress) headers['content-encoding'] = 'gzip';
  const payload = call.body === undefined ? null : JSON.stringify(call.body);
  const body = payload === null ? null : compress ? await gzipped(payload) : payload;
  let response: Response;
  try {
    response = await fetchImpl(baseUrl + call.path, {
      method: call.method,
      headers,
      body,
      signal: AbortSignal.timeout(call.timeoutMs ?? 20_000),
    });
  } catch {
    return err({ code: 'hub-unreachable', message: 'The hub could not be reached.', status: 0 });
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    // The connection dropped after the headers: as unreachable as a refused connection.
    return err({
      code: 'hub-unreachable',
      message: 'The connection to the hub was cut.',
      status: 0,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err({
      code: response.status >= 500 ? 'hub-unreachable' : 'hub-bad-answer',
      message: `The hub answered ${response.status}.`,
      status: response.status,
    });
  }
  if (!response.ok) {
    const parsed = errorResponseSchema.safeParse(json);
    if (!parsed.success)
      return err({
        code: 'hub-bad-answer',
        message: `The hub answered ${response.status}.`,
        status: response.status,
      });
    return err({
      code: parsed.data.error,
      message: parsed.data.message,
      status: response.status,
      details: parsed.data.details,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return err({
      code: 'hub-bad-answer',
      message: 'The hub sent an answer this app cannot read.',
      status: response.status,
    });
  return ok(parsed.data);
}
