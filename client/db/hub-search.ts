/**
 * Customers of the whole deployment, found by the hub: a village agent's walk-in customer from
 * beyond her area (hub/accounts/search.ts). Online only; opening one reads it in full and keeps
 * it on the device (client/db/details.ts).
 */
import { accountSearchResponseSchema, type AccountSearchResponse } from '../../shared/api.ts';
import type { Result } from '../../shared/result.ts';
import { callHub, type FetchLike, type HubFailure } from '../api.ts';

/** The hub's answer to a query of 2 to 64 characters: up to 20 customers, and whether more. */
export async function searchHub(
  call: { baseUrl: string; token: string; fetch?: FetchLike | undefined },
  query: string,
): Promise<Result<AccountSearchResponse, HubFailure>> {
  return callHub(
    call.baseUrl,
    {
      method: 'GET',
      // At most 64 characters, cut between characters, never inside one.
      path: `/api/accounts?q=${encodeURIComponent([...query.trim()].slice(0, 64).join(''))}`,
      token: call.token,
      timeoutMs: 8_000,
    },
    accountSearchResponseSchema,
    call.fetch,
  );
}
