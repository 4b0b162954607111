/** What every screen can reach: the database, the language and the app's actions. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type {
  GridtallyDatabase,
  SessionRecord,
  StoredAccount,
  StoredFact,
} from '../db/database.ts';
import type { SyncReport } from '../sync/engine.ts';
import { useLiveQuery } from './live.ts';
import { errorText, translate, type Language, type MessageKey } from './messages.ts';

export type Screen =
  | { name: 'search' }
  | { name: 'account'; accountId: string }
  /**
   * A receipt; `recorded` is what the screen that recorded it held (the fact committed, the
   * account, its facts): shown at once, while the receipt is read back from the database.
   */
  | { name: 'receipt'; seq: number; recorded?: Recorded }
  /** A copy of a payment another channel took, from the details read from the hub. */
  | { name: 'copy'; accountId: string; factId: string }
  /** The day's cash and the handover. */
  | { name: 'cash' }
  | { name: 'collections' }
  | { name: 'flags' }
  | { name: 'devices' }
  | { name: 'security' };

/** A fact just recorded, with the account and the device's facts on it (itself among them). */
export interface Recorded {
  readonly stored: StoredFact;
  readonly account: StoredAccount | undefined;
  readonly own: readonly StoredFact[];
}

export interface AppContextValue {
  readonly db: GridtallyDatabase;
  readonly baseUrl: string;
  readonly language: Language;
  readonly session: SessionRecord | undefined;
  readonly syncReport: SyncReport | undefined;
  go(screen: Screen): void;
  /** Syncs now; resolves when the round is over (whatever its outcome). */
  requestSync(): Promise<void>;
  setLanguage(language: Language): void;
  signedIn(): void;
  signedOut(): void;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppContext');
  return value;
}

export function useText(): { t: (key: MessageKey) => string; errorOf: (code: string) => string } {
  const { language } = useApp();
  return { t: (key) => translate(language, key), errorOf: (code) => errorText(language, code) };
}

/** Whether this device learnt it was revoked: then it records nothing new. */
export function useRevoked(): boolean {
  const { db } = useApp();
  const device = useLiveQuery(() => db.settings.get('device'), []);
  return device?.key === 'device' && device.revokedAt !== undefined;
}
