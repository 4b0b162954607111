/**
 * The sync worker: runs sync rounds off the page's thread so the screen never waits on the
 * network. Its API is a typed map of functions exposed with comlink. Rounds never overlap: a
 * request during a round gets that round's report, and a Web Lock keeps the workers of several
 * tabs from running rounds at the same time.
 */
import * as Comlink from 'comlink';
import { GridtallyDatabase } from '../db/database.ts';
import { loadPinyin } from '../db/search-words.ts';
import { syncOnce, type SyncReport } from './engine.ts';

// Relaxed durability: everything a round writes can be had from the hub again (snapshots and
// the cursor together, acknowledgements, leases, pruning), so its commits need not wait on the
// disk. A strict commit here held the page's reads of the same tables for the disk's flush,
// and the next payment waited on it. Facts themselves are recorded by the page, strictly.
const db = new GridtallyDatabase('gridtally', { chromeTransactionDurability: 'relaxed' });
// Chinese names are indexed by their pinyin too: the dictionary is here before the first round
// (a round never waits on anything else mid-way). Without it, names are found by characters.
const dictionary = loadPinyin().catch((error: unknown) => console.warn('[pinyin]', error));
let running: Promise<SyncReport> | undefined;

const api = {
  /**
   * A round, with the page's master secret: the worker holds the keys only while the page does
   * (none: the page is locked, and so is the worker).
   */
  syncNow(master?: Uint8Array): Promise<SyncReport> {
    if (master) db.vault.unlock(master);
    else db.vault.lock();
    if (running) return running;
    const round = async (): Promise<SyncReport> => {
      await dictionary;
      return syncOnce(db, { baseUrl: self.location.origin, now: () => new Date() });
    };
    // One sync at a time across every tab of this device: a Web Lock held for the round.
    const locked: Promise<SyncReport> =
      typeof navigator.locks?.request === 'function'
        ? navigator.locks.request('gridtally-sync', () => round()).then((report) => report)
        : round();
    const current = locked.finally(() => {
      running = undefined;
    });
    running = current;
    return current;
  },
};

export type SyncWorkerApi = typeof api;

Comlink.expose(api);
