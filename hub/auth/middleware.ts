/**
 * Who may call a route, declared once where the route is defined: `signedIn(role)` puts the
 * role in the route's OpenAPI security requirement, and the edge (hub/http/edge.ts) reads it
 * from there and checks the bearer token before anything else of the request is read. A
 * missing, unknown, idle or expired token is refused with `not-signed-in`; a token of another
 * role with `not-allowed`.
 */

/** The OpenAPI name of the scheme: `Authorization: Bearer <token>` from a sign-in answer. */
export const BEARER_SCHEME = 'bearer';

export type Role = 'agent' | 'supervisor';

/** What a route that needs a session of one of `roles` spreads into its `createRoute`. */
export function signedIn(...roles: [Role, ...Role[]]) {
  return { security: [{ [BEARER_SCHEME]: roles }] };
}
