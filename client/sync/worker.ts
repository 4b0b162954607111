/**
 * The sync worker: runs sync rounds off the page's thread so the screen never waits on the
 * network. Its API is a typed map of functions exposed with comlink. Rounds never overlap: a
 * request during a round gets that round's report.
 */
import * as Comlink from 'comlink';
import { GridtallyDatabase } from '../db/database.ts';
import { syncOnce, type SyncReport } from './engine.ts';

const db = new GridtallyDatabase();
let running: Promise<SyncReport> | undefined;

const api = {
  syncNow(): Promise<SyncReport> {
    running ??= syncOnce(db, { baseUrl: self.location.origin, now: () => new Date() }).finally(
      () => {
        running = undefined;
      },
    );
    return running;
  },
};

export type SyncWorkerApi = typeof api;

Comlink.expose(api);
