/**
 * The device's database: one Dexie class with explicit versions.
 *
 * - `facts` is the outbox and the device's log at once: every fact the device recorded, in
 *   sequence order, with its sync state. A fact is written here, together with the new chain
 *   head in `device`, in one strict-durability transaction before any network call. The sync
 *   worker's own writes are relaxed (client/sync/worker.ts): what it writes the hub holds.
 * - `accounts` holds the hub's snapshots of the agent's route, as last pulled.
 * - `credentials` lets an agent who signed in online once sign in again offline.
 * - `unlocks` holds, for a while after each online sign-in, the device's master secret wrapped
 *   under an agent's PIN, so the agent can open the data again offline (client/auth/unlock.ts).
 * - `leases` holds, per prepaid meter, the token counts the hub leased to this device and the
 *   meter's key, to make top-up tokens with no network (client/db/prepaid.ts).
 * - `details` holds customers in full (payments from every channel, bills, readings) as last
 *   read from the hub when their screen opened online (client/db/details.ts).
 * - `settings` holds single records: the device identity and chain head, the session, the
 *   pull cursor, the master secret wrapped under the hub's secret.
 *
 * Facts, accounts, credentials and an agent's session are sealed at rest by the vault
 * (client/db/vault.ts), a middleware under every table: readers and writers here see plain
 * records, the disk holds ids, keyed hashes and AES-GCM.
 *
 * IndexedDB runs read-write transactions over the same tables one at a time, across tabs and
 * workers too, so reading the chain head and appending the next fact in one transaction can
 * never fork the chain.
 */
import Dexie, { type DexieOptions, type EntityTable, type Table } from 'dexie';
import { Vault, vaultMiddleware } from './vault.ts';
import type { StoredLease } from './prepaid.ts';
import type { StoredDetail } from './details.ts';
import { assert } from '../../shared/assert.ts';
import type { User } from '../../shared/api.ts';
import type { AuditHead } from '../../shared/audit-head.ts';
import type { PublicKeyJwk } from '../../shared/devices.ts';
import type { Fact, FactKind } from '../../shared/facts.ts';
import type { Sha256Hex } from '../../shared/hash.ts';
import type { MinorUnits } from '../../shared/money.ts';
import type {
  AccountSnapshot,
  FactOutcomeKind,
  FlagReason,
  TariffVersion,
} from '../../shared/protocol.ts';
import type { DeviceSettings } from '../../shared/risk.ts';

export interface StoredFact {
  seq: number;
  id: string;
  kind: FactKind;
  accountId: string;
  /** Cash this fact put in the agent's hands: a cash payment's amount (none for other methods); less for a void of one. */
  amountMinor: MinorUnits;
  /** What the fact does to the account's balance, by the rule in shared/protocol.ts. */
  balanceDeltaMinor: number;
  fact: Fact;
  /** pending: not yet acknowledged by the hub; acked: stored by the hub. */
  status: 'pending' | 'acked';
  ackChangeSeq?: number;
  outcome?: FactOutcomeKind;
  reason?: FlagReason;
}

export interface StoredAccount extends AccountSnapshot {
  /** The words it is found by (client/db/search-words.ts), sealed, and their keyed tokens. */
  searchWords: string[];
  /**
   * A walk-in customer a village agent's tablet keeps from the hub (client/db/details.ts): no
   * pull brings it, so the device's facts on it are kept until its snapshot holds them.
   */
  walkIn?: true;
}

export interface Credential {
  username: string;
  user: User;
  token: string;
  expiresAt: string;
}

/** A secret sealed under a key: AES-GCM, base64url. */
export interface WrappedSecret {
  iv: string;
  data: string;
}

/**
 * The device's master secret wrapped under one agent's PIN, kept until `until` so the agent can
 * open the data with no hub; erased after `MAX_OFFLINE_PIN_TRIES` wrong PINs.
 */
export interface OfflineUnlock {
  username: string;
  salt: string;
  wrapped: WrappedSecret;
  until: string;
  wrongTries: number;
}

export interface DeviceRecord {
  key: 'device';
  deviceId: string;
  headSeq: number;
  headHash: Sha256Hex;
  hlc: string;
  /** The device's ECDSA P-256 signing key: made here, never exportable. */
  signingKey?: CryptoKey;
  publicKeyJwk?: JsonWebKey;
  /** Set once the hub accepted the device's enrolment. */
  enrolledAt?: string;
  /**
   * Set once the device learnt the hub revoked it (a push or a sign-in refused with
   * `device-revoked`): from then on it records nothing new, and can still export what it holds.
   */
  revokedAt?: string;
}

export interface SessionRecord {
  key: 'session';
  user: User;
  token: string;
  expiresAt: string;
  signedInOffline: boolean;
}

export interface CursorRecord {
  key: 'cursor';
  /** What the cursor runs through: a route's id, or `area:` and an area's id (pullScopeOf). */
  routeId: string;
  cursor: number;
  pulledAt: string;
  /** The hub store's epoch the cursor belongs to; another epoch means start again from 0. */
  epoch?: string;
}

export interface SyncStateRecord {
  key: 'sync';
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  /** Accounts pulled so far in a pull that takes several pages, and how many in all. */
  pullProgress?: { done: number; total: number };
}

export interface ExportRecord {
  key: 'export';
  /** The highest seq written to an exported outbox file. */
  throughSeq: number;
  exportedAt: string;
}

/** The hub's risk caps and retention, as last pulled. */
export interface CapsRecord extends DeviceSettings {
  key: 'caps';
}

/**
 * The hub's audit heads this device was given (client/sync/audit-heads.ts): the key that signs
 * them, the latest head of each epoch, and an alarm when a new head did not follow a kept one.
 */
export interface AuditRecord {
  key: 'audit';
  hubKey?: PublicKeyJwk;
  heads: AuditHead[];
  alarm?: {
    at: string;
    reason: 'hub-key-changed' | 'audit-head-forged' | 'hub-history-rewritten';
    kept?: AuditHead;
    shown: AuditHead;
  };
}

/** The accounts of the route that are prepaid: the ones the device asks for leases of. */
export interface PrepaidRecord {
  key: 'prepaid';
  accountIds: string[];
}

/**
 * Where this device's last cash handover ended (its facts up to `throughSeq` were handed over):
 * kept apart from the handover fact itself, which is pruned in time.
 */
export interface HandoverRecord {
  key: 'handover';
  throughSeq: number;
  at: string;
  countedMinor: number;
}

/**
 * The rule the held accounts' search words were made by (client/db/search-words.ts): accounts
 * stored by an older rule are given new words at the next unlock (`refreshSearchWords`).
 */
export interface SearchRecord {
  key: 'search';
  version: number;
  /** The words include the pinyin of Chinese names (the dictionary was loaded). */
  pinyin?: boolean;
  /**
   * New words being given, a batch of accounts at a time: those up to `after` (by id) have
   * them. `version` and `pinyin` above say what every account has until the last batch.
   */
  refreshing?: { version: number; pinyin: boolean; after: string };
}

/** The customers this device opened last, the latest first, shown before any search. */
export interface RecentRecord {
  key: 'recent';
  accountIds: string[];
}

/**
 * Where the outbox starts (client/sync/outbox.ts): no fact below `pendingFrom` is pending.
 * `reopened` counts the times facts were made pending again (a hub that forgot them), so an
 * answer read before one of those times does not move the start past them.
 */
export interface OutboxRecord {
  key: 'outbox';
  pendingFrom: number;
  reopened: number;
}

/** The device's master secret wrapped under the secret the hub hands it at each sign-in. */
export interface VaultRecord {
  key: 'vault';
  hub: WrappedSecret;
  createdAt: string;
  /** Records kept in the clear before the vault existed have been sealed. */
  legacySealed?: boolean;
}

export type SettingRecord =
  | VaultRecord
  | DeviceRecord
  | SessionRecord
  | CursorRecord
  | SyncStateRecord
  | ExportRecord
  | CapsRecord
  | AuditRecord
  | PrepaidRecord
  | HandoverRecord
  | SearchRecord
  | RecentRecord
  | OutboxRecord;

/** Each setting's record type by its key. */
export type SettingOf<K extends SettingRecord['key']> = Extract<SettingRecord, { key: K }>;

function isSetting<K extends SettingRecord['key']>(
  record: SettingRecord | undefined,
  key: K,
): record is SettingOf<K> {
  return record?.key === key;
}

/**
 * The device's own record, which `ensureDevice` makes before anything else is written: its
 * absence where it must exist is a bug, not an outcome.
 */
export async function deviceRecord(db: GridtallyDatabase): Promise<DeviceRecord> {
  const device = await readSetting(db, 'device');
  assert(device !== undefined, 'the device record is made before anything is recorded');
  return device;
}

/** Reads one setting, typed by its key (undefined until it is first written). */
export async function readSetting<K extends SettingRecord['key']>(
  db: GridtallyDatabase,
  key: K,
): Promise<SettingOf<K> | undefined> {
  const record = await db.settings.get(key);
  return isSetting(record, key) ? record : undefined;
}

export class GridtallyDatabase extends Dexie {
  facts!: EntityTable<StoredFact, 'seq'>;
  accounts!: EntityTable<StoredAccount, 'id'>;
  credentials!: EntityTable<Credential, 'username'>;
  unlocks!: EntityTable<OfflineUnlock, 'username'>;
  settings!: Table<SettingRecord, SettingRecord['key']>;
  tariffs!: Table<TariffVersion, [string, number]>;
  /** Leases of prepaid meters' token counts, each with its meter's key (sealed). */
  leases!: EntityTable<StoredLease, 'accountId'>;
  /** Customers in full as last read from the hub (sealed). */
  details!: EntityTable<StoredDetail, 'accountId'>;
  /** The data key, held while an agent has the device open. */
  readonly vault: Vault;

  /** `options` lets Node tests hand in an IndexedDB implementation (fake-indexeddb). */
  constructor(name = 'gridtally', options: DexieOptions = {}, vault = new Vault()) {
    super(name, { chromeTransactionDurability: 'strict', ...options });
    this.vault = vault;
    this.use(vaultMiddleware(vault));
    this.version(1).stores({
      facts: 'seq, &id, status, accountId',
      accounts: 'id, accountNumber, *searchWords, changeSeq',
      credentials: 'username',
      settings: 'key',
    });
    // Facts of every kind; tariff versions for bills printed at the door.
    this.version(2)
      .stores({ tariffs: '[tariffId+version], tariffId' })
      .upgrade((tx) =>
        tx
          .table<StoredFact>('facts')
          .toCollection()
          .modify((stored) => {
            stored.kind = 'payment';
            stored.balanceDeltaMinor = -stored.amountMinor;
          }),
      );
    // Facts by outcome: a pull asks only for the acks of facts not finally answered (held);
    // by status and age: pruning reads only the acknowledged facts old enough to go.
    this.version(3).stores({
      facts: 'seq, &id, status, accountId, outcome, [status+fact.recordedAt]',
    });
    // Snapshots carry bill periods as two dates and the account's recent readings and
    // payments: held snapshots are brought to that shape, so a device offline through the
    // update keeps its route.
    this.version(4)
      .stores({})
      .upgrade((tx) =>
        tx
          .table<StoredAccount>('accounts')
          .toCollection()
          .modify((account) => upgradeSnapshot(account as unknown as Record<string, unknown>)),
      );
    // Encrypted at rest: the PIN hash kept for offline sign-in gives way to the master secret
    // wrapped under the PIN (`unlocks`), made at the next online sign-in; the plain session
    // and credentials go (no key is held during an upgrade to seal them), and the plain facts
    // and accounts are sealed at the first unlock (`sealLegacy`).
    this.version(5)
      .stores({ unlocks: 'username' })
      .upgrade(async (tx) => {
        await tx.table('credentials').clear();
        await tx.table('settings').delete('session');
      });
    // Prepaid top-ups: leases of token counts, by account.
    this.version(6).stores({ leases: 'accountId' });
    // Customers in full as last read from the hub, by account, the oldest read pruned first.
    this.version(7).stores({ details: 'accountId, fetchedAt' });
  }
}

/** A snapshot held before version 4, brought to today's shape in place. */
function upgradeSnapshot(account: Record<string, unknown>): void {
  const bills = Array.isArray(account.openBills)
    ? (account.openBills as Record<string, unknown>[])
    : [];
  for (const bill of bills) {
    if (typeof bill.period !== 'string') continue;
    const [from, to] = bill.period.split('/');
    bill.period =
      to !== undefined
        ? { from, to }
        : {
            from: `${bill.period}-01`,
            to: typeof bill.issuedOn === 'string' ? bill.issuedOn : from,
          };
  }
  const last = account.lastReading;
  account.recentReadings ??= last ? [last] : [];
  account.recentPayments ??= [];
}
