/**
 * Who may call a route, declared once where the route is defined: `signedIn(role)` puts the
 * role in the route's OpenAPI security requirement, and the edge (hub/http/edge.ts) reads it
 * from there and checks the bearer token before anything else of the request is read. A
 * missing, unknown, idle or expired token is refused with `not-signed-in`; a token of another
 * role with `not-allowed`.
 */

/** The OpenAPI name of the scheme: `Authorization: Bearer <token>` from a sign-in answer. */
export const BEARER_SCHEME = 'bearer';

export type Role = 'agent' | 'supervisor' | 'admin';

/**
 * What a route that needs a session of one of `roles` spreads into its `createRoute`. An admin
 * may do all a supervisor may (over every region): a route open to supervisors is open to
 * admins, and only `signedIn('admin')` keeps a route to admins.
 */
export function signedIn(...roles: [Role, ...Role[]]) {
  const granted =
    roles.includes('supervisor') && !roles.includes('admin') ? [...roles, 'admin'] : roles;
  return { security: [{ [BEARER_SCHEME]: granted }] };
}
