/**
 * Drives the sync worker from the page: a round right away, after every recorded fact, when
 * the browser says it is online again, and on a timer: often while facts wait to be sent or
 * the last round failed, rarely when all is synced. No user action is ever needed.
 */
import * as Comlink from 'comlink';
import type { Vault } from '../db/vault.ts';
import type { SyncReport } from './engine.ts';
import type { SyncWorkerApi } from './worker.ts';

const BUSY_INTERVAL_MS = 3_000;
const IDLE_INTERVAL_MS = 30_000;

export class SyncScheduler {
  private readonly thread = new Worker(new URL('./worker.ts', import.meta.url), {
    type: 'module',
  });
  private readonly worker = Comlink.wrap<SyncWorkerApi>(this.thread);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly onReport: (report: SyncReport) => void,
    private readonly vault: Vault,
  ) {
    addEventListener('online', () => void this.syncNow());
  }

  async syncNow(): Promise<SyncReport | undefined> {
    if (this.stopped) return undefined;
    clearTimeout(this.timer);
    let report: SyncReport | undefined;
    try {
      report = await this.worker.syncNow(this.vault.master());
      this.onReport(report);
    } finally {
      const busy = !report || report.state !== 'synced' || report.pending > 0;
      if (!this.stopped)
        this.timer = setTimeout(
          () => void this.syncNow(),
          busy ? BUSY_INTERVAL_MS : IDLE_INTERVAL_MS,
        );
    }
    return report;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    // The worker holds the data keys while it runs: a session that ends takes it away. A round
    // cut short leaves its facts pending, to be sent again (sign-out waits for none anyway).
    this.thread.terminate();
  }
}
