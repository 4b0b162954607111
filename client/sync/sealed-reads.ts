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
  VaultLocked,
  type SealedCoreTable,
  type StoredRecord,
} from '../db/vault.ts';

const decoder = new TextDecoder();

/**
 * Up to `limit` records of a sealed table from primary key `lower` on, in key order, as stored:
 * their plain fields (index fields, sync state) and their sealed blobs, read in one transaction
 * and none opened.
 */
export async function storedFrom(
  table: Table,
  lower: number,
  limit: number,
): Promise<StoredRecord[]> {
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
    return answer.result as StoredRecord[];
  });
}

/**
 * Records of a sealed table as `storedFrom` read them, opened, all at once. Throws as the vault
 * does: `VaultLocked` when the device is locked (or was locked while they were opened), an error
 * when a blob was altered or moved to another record.
 */
export async function openStored<T>(table: Table, stored: readonly StoredRecord[]): Promise<T[]> {
  const { vault } = table.db as GridtallyDatabase;
  const key = await vault.nativeDataKey();
  const keyPath = table.schema.primKey.keyPath as string;
  const core = table.core as SealedCoreTable;
  const records = await Promise.all(
    stored.map(async (record) => {
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
      return core.opened(record, decoder.decode(plain));
    }),
  );
  // Locked meanwhile: nothing opened is handed on.
  if (!vault.unlocked) throw new VaultLocked();
  return records as T[];
}
