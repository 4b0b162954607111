/**
 * Records of a sealed table read in bulk by the sync worker: read as stored in one transaction,
 * and opened after it, all at once, by the browser's native AES-GCM under the vault's data key
 * (client/db/vault.ts opens records one by one, synchronously, inside transactions). The same
 * ciphertext, the same binding to table and key; for the outbox, a thousand facts a push,
 * which the synchronous cipher opened four times slower inside the read. Kept apart from the
 * vault so that the page, which never needs it, does not load it.
 */
import type { DBCoreKeyRange, Table } from 'dexie';
import Dexie from 'dexie';
import type { GridtallyDatabase } from '../db/database.ts';
import {
  boundTo,
  isSealed,
  NONCE_BYTES,
  sealedCore,
  type PlainFields,
  type SealedCoreTable,
  type StoredRecord,
} from '../db/vault.ts';

/** Up to `limit` records from primary key `lower` on, in key order, as stored. */
async function readStored(
  table: Table,
  lower: number,
  limit: number,
): Promise<{ core: SealedCoreTable; stored: StoredRecord[] }> {
  return table.db.transaction('r', table, async () => {
    const { core, trans } = sealedCore(table, 'readonly');
    const answer = await core.stored.query({
      trans,
      values: true,
      limit,
      query: {
        index: core.stored.schema.primaryKey,
        // DBCoreRangeType.Range: a const enum, which a type-stripping build cannot import.
        range: {
          type: 2 as DBCoreKeyRange['type'],
          lower,
          lowerOpen: false,
          upper: undefined,
          upperOpen: false,
        },
      },
    });
    return { core, stored: answer.result as StoredRecord[] };
  });
}

/**
 * The plain fields of up to `limit` records of a sealed table from primary key `lower` on, in
 * key order, read in one transaction without opening any.
 */
export async function plainFrom(
  table: Table,
  lower: number,
  limit: number,
): Promise<PlainFields[]> {
  const { stored } = await readStored(table, lower, limit);
  return stored.map(({ sealed: _sealed, ...plain }) => plain);
}

/**
 * Up to `limit` records of a sealed table from primary key `lower` on, in key order, and those
 * whose plain fields `wanted` picks opened. `lastKey` is the last primary key read, picked or
 * not. Throws as the vault does: `VaultLocked` when the device is locked (or was locked while
 * they were opened), an error when a blob was altered or moved to another record.
 */
export async function openedFrom<T>(
  table: Table,
  lower: number,
  limit: number,
  wanted: (plain: PlainFields) => boolean,
): Promise<{ records: T[]; lastKey: unknown }> {
  const { core, stored } = await readStored(table, lower, limit);
  const keyPath = core.schema.primaryKey.keyPath as string;
  const last = stored.at(-1);
  const lastKey = last === undefined ? undefined : Dexie.getByKeyPath(last, keyPath);
  const picked = stored.filter((record) => wanted(record));
  const { vault } = table.db as GridtallyDatabase;
  const key = await vault.nativeDataKey();
  const records = await Promise.all(
    picked.map(async (record) => {
      if (!isSealed(record)) return record;
      const primaryKey = Dexie.getByKeyPath(record, keyPath);
      const plain = await crypto.subtle
        .decrypt(
          {
            name: 'AES-GCM',
            iv: record.sealed.subarray(0, NONCE_BYTES) as Uint8Array<ArrayBuffer>,
            additionalData: boundTo(table.name, primaryKey) as Uint8Array<ArrayBuffer>,
          },
          key,
          record.sealed.subarray(NONCE_BYTES) as Uint8Array<ArrayBuffer>,
        )
        .catch(() => {
          throw new Error(
            `${table.name} ${JSON.stringify(primaryKey)}: the sealed record does not open`,
          );
        });
      return core.opened(record, new TextDecoder().decode(plain));
    }),
  );
  // Locked meanwhile: nothing opened is handed on.
  await vault.nativeDataKey();
  return { records: records as T[], lastKey };
}
