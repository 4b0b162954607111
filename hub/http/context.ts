/**
 * What every handler can reach through the request context: the store, the clock and, after
 * the auth middleware, the signed-in user. Nothing is reached through a module singleton.
 */
import type { DeviceSettings } from '../../shared/risk.ts';
import type { Store } from '../store/store.ts';

export interface SessionUser {
  readonly userId: string;
  readonly role: 'agent' | 'supervisor';
  readonly routeId: string | null;
  readonly deviceId: string | null;
}

export interface HubDeps {
  readonly store: Store;
  /** The hub's wall clock; tests pass a fixed or stepping one. */
  readonly now: () => Date;
  /** Risk caps and retention sent to devices; the defaults when absent. */
  readonly deviceSettings?: DeviceSettings;
}

export interface AppEnv {
  Variables: {
    deps: HubDeps;
    user: SessionUser;
  };
}
