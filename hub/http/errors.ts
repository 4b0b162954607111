/**
 * One error type and one error handler. Expected refusals are thrown as HubError with a
 * kebab-case code and reach the client as `{ error, message }`; anything else is a bug, is
 * logged, and reaches the client as `internal-error` without internals.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { HubErrorCode } from '../../shared/errors.ts';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: HubErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function errorBody(code: HubErrorCode, message: string, details?: unknown) {
  return details === undefined ? { error: code, message } : { error: code, message, details };
}

export function handleError(error: Error, c: Context): Response {
  if (error instanceof HubError) {
    const retry = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (error.status === 429 && typeof retry === 'number') c.header('Retry-After', String(retry));
    return c.json(errorBody(error.code, error.message, error.details), error.status);
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own refusals, such as a body that is not JSON: the client's fault, said plainly.
    const message = error.message || 'The request could not be read.';
    return c.json(
      errorBody('invalid-request', `Invalid request: ${message}`),
      error.status as ContentfulStatusCode,
    );
  }
  console.error('[hub] unexpected error', error);
  return c.json(errorBody('internal-error', 'The hub failed to handle this request.'), 500);
}
