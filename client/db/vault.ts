/**
 * The tablet's data, encrypted at rest. Every record of the customer-bearing tables is stored as
 * a few plain index fields (ids, status, account numbers) and one sealed blob: AES-256-GCM of
 * the whole record under the device's data key, bound to its table and primary key, so a blob
 * moved to another record does not open. Search words are stored as keyed hashes of their
 * first letters, so look-up as you type still runs on an index with no name or phone on disk.
 *
 * It is one Dexie middleware under every table, so no caller encrypts or decrypts anything and
 * none can forget to. The cipher is synchronous (@noble/ciphers, audited): an IndexedDB
 * transaction closes at the first await on anything that is not IndexedDB, so WebCrypto's
 * promises cannot run inside one, while a cursor's value must be readable at once. WebCrypto
 * does the rest (wrapping the data key under the hub's secret and under the PIN: see
 * client/auth/unlock.ts), and opens in bulk what was read as stored and can wait for it
 * (client/sync/sealed-reads.ts: the sync's outbox, a thousand facts a push).
 *
 * Locked, the vault reads plain records (those written before the vault existed, until
 * `sealLegacy` seals them) and refuses everything else with `VaultLocked`: nothing sealed is
 * ever returned undecrypted, and nothing that should be sealed is ever written in the clear.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from '../../shared/assert.ts';
import { base64url } from '../../shared/devices.ts';
import Dexie, {
  type DBCore,
  type DBCoreCursor,
  type DBCoreTable,
  type DBCoreTransaction,
  type IndexableType,
  type Middleware,
  type Table,
} from 'dexie';
import { NEAR, PAIR } from './search-words.ts';

/** A sealed record was asked for, or one was to be written, while the data key is not held. */
export class VaultLocked extends Error {
  override name = 'VaultLocked';
  constructor() {
    super('the device’s data is locked: sign in to open it');
  }
}

/** Whether an error is the vault's refusal (Dexie may hand it on as another object). */
export function isVaultLocked(error: unknown): boolean {
  return (
    error instanceof VaultLocked || (error as { name?: unknown } | null)?.name === 'VaultLocked'
  );
}

/** How one table is kept: which fields stay plain, which hold search words, which records. */
interface TablePolicy {
  /** Key paths copied in the clear beside the sealed blob: the primary key and the indexes. */
  readonly plain: readonly string[];
  /** A multi-entry index of words, stored as keyed hashes of their prefixes. */
  readonly words?: string;
  /**
   * Fields kept only in the clear, beside the blob and not in it: a record's sync state, which
   * changes while the rest does not, so an acknowledgement rewrites no ciphertext.
   */
  readonly state?: readonly string[];
  /** Which records are sealed; all when absent. */
  readonly seals?: (value: Record<string, unknown>) => boolean;
}

/**
 * The tables that hold customers, payments and tokens. The tariffs (public) and the device's
 * own settings (chain head, cursor, caps; its signing key is a CryptoKey the browser keeps) stay
 * plain, except an agent's session, whose token would let a thief pull the route from the hub.
 */
export const SEALED_TABLES: Readonly<Record<string, TablePolicy>> = {
  facts: {
    plain: ['seq', 'id', 'kind', 'status', 'accountId', 'outcome', 'fact.recordedAt'],
    state: ['status', 'ackChangeSeq', 'outcome', 'reason'],
  },
  accounts: { plain: ['id', 'accountNumber', 'changeSeq'], words: 'searchWords' },
  credentials: { plain: ['username'] },
  leases: { plain: ['accountId'] },
  details: { plain: ['accountId', 'fetchedAt'] },
  settings: {
    plain: ['key'],
    seals: (value) =>
      value.key === 'session' && (value.user as { role?: unknown } | undefined)?.role === 'agent',
  },
};

/** Letters of a word that get a search token: a longer query is matched on its first ten. */
export const TOKEN_PREFIX = 10;
const TOKEN_BYTES = 12;
export const NONCE_BYTES = 12;
/** Blobs of records read, kept to be written back unchanged (`sealedTable`). */
const BLOBS_KEPT = 20_000;
const MASTER_BYTES = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Keys {
  readonly master: Uint8Array;
  readonly data: Uint8Array;
  readonly index: Uint8Array;
}

/** Tokens kept made at most (a few MB). */
const TOKENS_KEPT = 100_000;

/** The index key's HMAC with its key already taken in: each token clones it (half the work). */
type KeyedMac = ReturnType<typeof hmac.create>;

/** OWASP's figure for PBKDF2-HMAC-SHA-256: the PIN's wrap of the master secret. */
export const PIN_ITERATIONS = 600_000;

/** The data key while the device is unlocked; nothing while locked. */
export class Vault {
  private keys: Keys | undefined;
  /** The data key as the browser's own AES-GCM key, made at its first use after an unlock. */
  private nativeKey: Promise<CryptoKey> | undefined;
  private indexMac: KeyedMac | undefined;
  /**
   * Tokens made since the unlock, by the letters they stand for: names and the first digits of
   * numbers repeat across a route, so most of an account's tokens are made once (a route of
   * 50,000 needs about 80 each). Bounded; emptied at every lock and unlock.
   */
  private readonly tokens = new Map<string, string>();
  private readonly listeners = new Set<(unlocked: boolean) => void>();

  /**
   * `pinIterations`: how hard the PIN's wrap is to search (client/auth/unlock.ts). The app
   * keeps OWASP's figure; Node tests of sync lower it, as the hub's tests lower scrypt's, and
   * the end-to-end tests sign in at full strength.
   */
  constructor(readonly pinIterations = PIN_ITERATIONS) {}

  get unlocked(): boolean {
    return this.keys !== undefined;
  }

  /** A new random master secret, for a device's first unlock. */
  static newMaster(): Uint8Array {
    return randomBytes(MASTER_BYTES);
  }

  /** Opens the vault with the device's master secret: one key seals, another makes tokens. */
  unlock(master: Uint8Array): void {
    if (master.length !== MASTER_BYTES) throw new Error('a master secret is 32 bytes');
    const derive = (info: string) => hkdf(sha256, master, undefined, encoder.encode(info), 32);
    this.keys = {
      master: master.slice(),
      data: derive('gridtally vault data v1'),
      index: derive('gridtally vault index v1'),
    };
    this.nativeKey = undefined;
    this.indexMac?.destroy();
    this.indexMac = hmac.create(sha256, this.keys.index);
    this.tokens.clear();
    for (const listener of this.listeners) listener(true);
  }

  /** Forgets the keys (sign-out): the data stays, sealed, until the next sign-in. */
  lock(): void {
    if (this.keys) for (const bytes of Object.values(this.keys)) bytes.fill(0);
    this.keys = undefined;
    this.nativeKey = undefined;
    this.indexMac?.destroy();
    this.indexMac = undefined;
    this.tokens.clear();
    for (const listener of this.listeners) listener(false);
  }

  /** A copy of the master secret, to hand to this device's worker or another tab. */
  master(): Uint8Array | undefined {
    return this.keys?.master.slice();
  }

  onChange(listener: (unlocked: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private held(): Keys {
    if (!this.keys) throw new VaultLocked();
    return this.keys;
  }

  private keyedIndex(): KeyedMac {
    if (!this.keys || !this.indexMac) throw new VaultLocked();
    return this.indexMac;
  }

  seal(table: string, primaryKey: unknown, value: unknown): Uint8Array {
    return this.sealText(table, primaryKey, JSON.stringify(value));
  }

  sealText(table: string, primaryKey: unknown, text: string): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES);
    const sealed = gcm(this.held().data, nonce, boundTo(table, primaryKey)).encrypt(
      encoder.encode(text),
    );
    const out = new Uint8Array(NONCE_BYTES + sealed.length);
    out.set(nonce);
    out.set(sealed, NONCE_BYTES);
    return out;
  }

  /** The record a blob seals; throws when the blob was altered or belongs to another record. */
  open(table: string, primaryKey: unknown, blob: Uint8Array): unknown {
    return JSON.parse(this.openText(table, primaryKey, blob));
  }

  openText(table: string, primaryKey: unknown, blob: Uint8Array): string {
    const plain = gcm(
      this.held().data,
      blob.subarray(0, NONCE_BYTES),
      boundTo(table, primaryKey),
    ).decrypt(blob.subarray(NONCE_BYTES));
    return decoder.decode(plain);
  }

  /**
   * The data key as the browser's own AES-GCM key, for opening in bulk outside a transaction
   * what `openText` opens one by one inside one (client/sync/sealed-reads.ts).
   */
  nativeDataKey(): Promise<CryptoKey> {
    this.nativeKey ??= crypto.subtle.importKey(
      'raw',
      this.held().data as Uint8Array<ArrayBuffer>,
      'AES-GCM',
      false,
      ['decrypt'],
    );
    return this.nativeKey;
  }

  /** The token a typed word is looked up by. */
  searchToken(word: string): string {
    const letters = [...word].slice(0, TOKEN_PREFIX).join('');
    const mac = this.keyedIndex();
    const held = this.tokens.get(letters);
    if (held !== undefined) return held;
    const token = base64url(mac.clone().update(encoder.encode(letters)).digest()).slice(
      0,
      (TOKEN_BYTES * 4) / 3,
    );
    if (this.tokens.size >= TOKENS_KEPT) this.tokens.clear();
    this.tokens.set(letters, token);
    return token;
  }

  /**
   * The tokens a record's words are found by: each word's first one to ten letters, and each
   * deletion key and pair key (client/db/search-words.ts, each starting with its mark) whole.
   */
  searchTokens(words: readonly string[]): string[] {
    const tokens = new Set<string>();
    for (const word of words) {
      if (word.startsWith(NEAR) || word.startsWith(PAIR)) {
        tokens.add(this.searchToken(word));
        continue;
      }
      const letters = [...word];
      for (let length = 1; length <= Math.min(TOKEN_PREFIX, letters.length); length += 1)
        tokens.add(this.searchToken(letters.slice(0, length).join('')));
    }
    return [...tokens];
  }
}

/** Associated data: a blob opens only as the record of the table and key it was sealed for. */
export function boundTo(table: string, primaryKey: unknown): Uint8Array {
  return encoder.encode(`${table}\u0000${JSON.stringify(primaryKey)}`);
}

export type StoredRecord = Record<string, unknown> & { sealed?: unknown };

export function isSealed(stored: unknown): stored is StoredRecord & { sealed: Uint8Array } {
  return (
    typeof stored === 'object' &&
    stored !== null &&
    (stored as StoredRecord).sealed instanceof Uint8Array
  );
}

/**
 * A record's fields that are kept in the clear (its index fields, search tokens and sync state),
 * as stored: what `plainFieldsOf` and `updateSyncState` show of a record without opening it.
 */
export type PlainFields = Readonly<Record<string, unknown>>;

/** A record's new sync state: each of the table's state fields, absent to remove it. */
export type SyncStateChange = Readonly<Record<string, unknown>>;

/** A sealed table's DBCore, which also reads and writes what is in the clear without the key. */
export interface SealedCoreTable extends DBCoreTable {
  readPlain(
    trans: DBCoreTransaction,
    keys: readonly IndexableType[],
  ): Promise<(PlainFields | undefined)[]>;
  updateState(
    trans: DBCoreTransaction,
    keys: readonly IndexableType[],
    change: (plain: PlainFields) => SyncStateChange | undefined,
  ): Promise<number>;
  /** The table below the vault: records as stored. */
  readonly stored: DBCoreTable;
  /** The record a stored one seals, from its opened text, with its state fields. */
  opened(stored: StoredRecord & { sealed: Uint8Array }, text: string): unknown;
}

/**
 * Rewrites the sync state of records of a sealed table with state fields (`TablePolicy.state`)
 * inside the caller's read-write transaction, without opening or sealing anything: `change` is
 * shown each record's plain fields as stored and returns its new state, or undefined to leave it.
 * Records that are not there are skipped. An acknowledgement of a thousand facts then costs their
 * index updates only, not a thousand decryptions (the state is not in the blob, so the blob
 * stays as it is). Returns how many records were rewritten.
 */
export async function updateSyncState(
  table: Table,
  keys: readonly IndexableType[],
  change: (plain: PlainFields) => SyncStateChange | undefined,
): Promise<number> {
  const { core, trans } = sealedCore(table, 'readwrite');
  return core.updateState(trans, keys, change);
}

/**
 * The plain fields of records of a sealed table, by primary key, read inside the caller's
 * transaction without opening them (undefined where there is no record): what a sync needs to
 * compare of a hundred held snapshots (their change numbers) costs no decryption.
 */
export async function plainFieldsOf(
  table: Table,
  keys: readonly IndexableType[],
): Promise<(PlainFields | undefined)[]> {
  const { core, trans } = sealedCore(table, 'readonly');
  return core.readPlain(trans, keys);
}

/**
 * The vault's own layer of a sealed table (the outermost of the database's middleware) and the
 * caller's transaction over it, of at least `mode`.
 */
export function sealedCore(
  table: Table,
  mode: 'readonly' | 'readwrite',
): { core: SealedCoreTable; trans: DBCoreTransaction } {
  const transaction = Dexie.currentTransaction;
  assert(
    transaction !== null &&
      (mode === 'readonly' || transaction.mode === 'readwrite') &&
      transaction.storeNames.includes(table.name),
    `${table.name}: read or written in the clear inside a ${mode} transaction over it`,
  );
  const core = table.core as Partial<SealedCoreTable>;
  assert(
    core.readPlain !== undefined && core.updateState !== undefined,
    `${table.name}: not sealed`,
  );
  return { core: core as SealedCoreTable, trans: transaction.idbtrans };
}

function sealedTable(table: DBCoreTable, policy: TablePolicy, vault: Vault): SealedCoreTable {
  const name = table.name;
  const primaryKeyPath = table.schema.primaryKey.keyPath;
  if (typeof primaryKeyPath !== 'string')
    throw new Error(`${name}: a sealed table has one key path`);
  const keyPath: string = primaryKeyPath;
  const state = policy.state ?? [];
  /**
   * The blob of each record lately read here, by primary key, with its text: a record written
   * back with the same sealed text (only its sync state changed) keeps its blob, so an
   * acknowledgement of ten thousand facts encrypts nothing. The blob is the same ciphertext, not
   * a new encryption under an old nonce. Bounded: past `BLOBS_KEPT` it starts again.
   */
  const blobs = new Map<unknown, { readonly text: string; readonly blob: Uint8Array }>();
  // What was read is forgotten with the keys: no record's text outlives a sign-out here.
  vault.onChange((unlocked) => {
    if (!unlocked) blobs.clear();
  });

  function sealedText(record: Record<string, unknown>): string {
    if (state.length === 0) return JSON.stringify(record);
    // Only the record's own fields: a void's body has a `reason` of its own, which is sealed.
    return JSON.stringify(record, function (this: unknown, key: string, value: unknown) {
      return this === record && state.includes(key) ? undefined : value;
    });
  }

  function toStored(value: unknown): unknown {
    const record = value as Record<string, unknown>;
    if (policy.seals && !policy.seals(record)) return value;
    const primaryKey = Dexie.getByKeyPath(record, keyPath);
    const stored: StoredRecord = {};
    for (const path of policy.plain) {
      const field = Dexie.getByKeyPath(record, path);
      if (field !== undefined) Dexie.setByKeyPath(stored, path, field);
    }
    if (policy.words) {
      const words = record[policy.words];
      stored[policy.words] = vault.searchTokens(Array.isArray(words) ? words.map(String) : []);
    }
    for (const field of state) if (record[field] !== undefined) stored[field] = record[field];
    const text = sealedText(record);
    const held = blobs.get(primaryKey);
    blobs.delete(primaryKey);
    stored.sealed = held?.text === text ? held.blob : vault.sealText(name, primaryKey, text);
    return stored;
  }

  function fromStored(stored: unknown): unknown {
    if (!isSealed(stored)) return stored;
    const primaryKey = Dexie.getByKeyPath(stored, keyPath);
    return withOpened(stored, primaryKey, vault.openText(name, primaryKey, stored.sealed));
  }

  /** The record a stored one seals, its text opened, with its state fields from the clear. */
  function withOpened(
    stored: StoredRecord & { sealed: Uint8Array },
    primaryKey: unknown,
    text: string,
  ): unknown {
    const record = JSON.parse(text) as Record<string, unknown>;
    for (const field of state) if (stored[field] !== undefined) record[field] = stored[field];
    if (state.length > 0) {
      if (blobs.size >= BLOBS_KEPT) blobs.clear();
      blobs.set(primaryKey, { text, blob: stored.sealed });
    }
    return record;
  }

  /**
   * The cursor with its value opened. The cursor is the browser's own IDBCursor (with Dexie's
   * methods set on it): its accessors check that they are called on it, so each is read from
   * the cursor itself, not through the new object (Dexie's anyOf reads `key` to skip ahead: read
   * through the prototype it threw "Illegal invocation" in Chromium, never in fake-indexeddb).
   */
  function openedCursor(cursor: DBCoreCursor): DBCoreCursor {
    let seen: unknown;
    let opened: unknown;
    const own = (read: () => unknown) => ({ get: read });
    return Object.create(cursor, {
      key: own(() => cursor.key),
      primaryKey: own(() => cursor.primaryKey),
      direction: own(() => (cursor as unknown as { direction: unknown }).direction),
      source: own(() => (cursor as unknown as { source: unknown }).source),
      request: own(() => (cursor as unknown as { request: unknown }).request),
      value: {
        get() {
          const raw: unknown = cursor.value;
          if (raw !== seen) {
            seen = raw;
            opened = fromStored(raw);
          }
          return opened;
        },
      },
    }) as DBCoreCursor;
  }

  /** The record as stored with its state fields set to `next` (absent ones removed). */
  function withState(stored: StoredRecord, next: SyncStateChange): StoredRecord {
    for (const field of Object.keys(next))
      assert(state.includes(field), `${name}: ${field} is not a sync state field`);
    const updated = Object.fromEntries(
      Object.entries(stored).filter(([field]) => !state.includes(field)),
    ) as StoredRecord;
    for (const field of state) if (next[field] !== undefined) updated[field] = next[field];
    return updated;
  }

  /** Records as stored, by primary key, and what of each is in the clear. */
  async function storedMany(trans: DBCoreTransaction, keys: readonly IndexableType[]) {
    const stored = (await table.getMany({ trans, keys: [...keys] })) as (
      StoredRecord | undefined
    )[];
    return stored.map((record) => {
      if (record === undefined) return undefined;
      const { sealed: _sealed, ...plain } = record;
      return { record, plain };
    });
  }

  return {
    ...table,
    async readPlain(trans, keys) {
      return (await storedMany(trans, keys)).map((read) => read?.plain);
    },
    stored: table,
    opened: (stored, text) => withOpened(stored, Dexie.getByKeyPath(stored, keyPath), text),
    async updateState(trans, keys, change) {
      assert(state.length > 0, `${name}: no sync state to rewrite`);
      const values = (await storedMany(trans, keys)).flatMap((read) => {
        if (read === undefined) return [];
        const next = change(read.plain);
        return next === undefined ? [] : [withState(read.record, next)];
      });
      if (values.length > 0) await table.mutate({ type: 'put', trans, values });
      return values.length;
    },
    async mutate(req) {
      if (req.type !== 'add' && req.type !== 'put') return table.mutate(req);
      // A schema upgrade reshapes records before anyone can unlock: they stay as they were
      // (plain ones are sealed at the first unlock).
      const upgrading = (req.trans as { mode?: string }).mode === 'versionchange';
      if (upgrading && !vault.unlocked) return table.mutate(req);
      return table.mutate({ ...req, values: req.values.map(toStored) });
    },
    async get(req) {
      return fromStored(await table.get(req));
    },
    async getMany(req) {
      return (await table.getMany(req)).map(fromStored);
    },
    async query(req) {
      const answer = await table.query(req);
      return req.values ? { ...answer, result: answer.result.map(fromStored) } : answer;
    },
    async openCursor(req) {
      const cursor = await table.openCursor(req);
      return cursor && req.values ? openedCursor(cursor) : cursor;
    },
  };
}

/** The middleware that seals the tables of `SEALED_TABLES` under the vault's keys. */
export function vaultMiddleware(vault: Vault): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'vault',
    create(down) {
      // One wrapper per table for the life of the database, so each has one cache of blobs.
      const tables = new Map<string, DBCoreTable>();
      return {
        ...down,
        table(name) {
          const policy = SEALED_TABLES[name];
          if (!policy) return down.table(name);
          let sealed = tables.get(name);
          if (!sealed) {
            sealed = sealedTable(down.table(name), policy, vault);
            tables.set(name, sealed);
          }
          return sealed;
        },
      };
    },
  };
}
