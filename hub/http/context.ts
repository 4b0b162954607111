/**
 * What every handler can reach through the request context: the store, the clock and, after
 * the auth middleware, the signed-in user. Nothing is reached through a module singleton.
 */
import type { StsVendingService } from '../../shared/prepaid-tokens.ts';
import type { DeviceSettings } from '../../shared/risk.ts';
import type { Store } from '../store/store.ts';
import type { Role } from '../auth/middleware.ts';
import type { SessionLifetimes } from '../auth/sessions.ts';
import type { ScryptParameters } from '../auth/secrets.ts';

export interface SessionUser {
  readonly userId: string;
  readonly role: Role;
  readonly routeId: string | null;
  /** A village agent's area: every route of it is hers (hub/auth/scope.ts, `agentRoutes`). */
  readonly areaId: string | null;
  readonly deviceId: string | null;
  /** The region a supervisor oversees; null: every region (hub/auth/scope.ts). */
  readonly regionId: string | null;
}

export interface HubDeps {
  readonly store: Store;
  /** The hub's wall clock; tests pass a fixed or stepping one. */
  readonly now: () => Date;
  /** Risk caps and retention sent to devices; the defaults when absent. */
  readonly deviceSettings?: DeviceSettings;
  /** How long sessions live, idle and in all; DEFAULT_SESSION_LIFETIMES when absent. */
  readonly sessionLifetimes?: SessionLifetimes;
  /** Behind a reverse proxy: take the client's address from X-Forwarded-For (hub/http/edge.ts). */
  readonly trustProxy?: boolean;
  /**
   * How new PINs and passwords are hashed: SCRYPT_PARAMETERS when absent (OWASP's strength).
   * The in-process tests pass a cheap cost, matched by the hashes their seed stores, since
   * thousands of sign-ins at 0.2 s each would be most of the suite's time; the tests of
   * hashing itself, and every end-to-end test, run at full strength.
   */
  readonly secretHashing?: ScryptParameters;
  /** The origin browsers reach the hub at (HUB_PUBLIC_ORIGIN), which passkeys are bound to. */
  readonly publicOrigin?: string;
  /** The STS vending key (HUB_STS_VENDING_KEY) of the software vending module. */
  readonly stsVendingKeyHex?: string;
  /** The STS vending service; absent: the hub's software module (hub/prepaid/sts/vending.ts). */
  readonly stsVending?: StsVendingService;
}

export interface AppEnv {
  Variables: {
    deps: HubDeps;
    user: SessionUser;
  };
}
