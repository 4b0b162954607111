/**
 * Watches the pushes between the devices and the hub, so that a killer can strike while one
 * is on the wire and the test can say afterwards which pushes a kill cut. It also keeps every
 * fact id the hub acknowledged: the hub answers only after its commit, so each of them must
 * survive every later kill. A device resends facts that a hub forgot (on `chain-gap`), which
 * would hide a hub that loses acknowledged facts in a crash; this record does not. And it
 * notes every answer other than 2xx to any device call, which the device may take for "offline"
 * (a 5xx) and so never report. It wraps the real `fetch` and changes nothing that passes.
 */
import { gunzipSync } from 'node:zlib';
import type { FetchLike } from '../../client/api.ts';

type Ending = 'answered' | 'refused' | 'cut';

export interface Push {
  readonly number: number;
  readonly deviceIndex: number;
  readonly factIds: readonly string[];
  readonly startedAtMs: number;
  /**
   * answered: the hub's reply arrived; refused: nothing listened (the hub was down); cut: the
   * connection broke before the reply came.
   */
  ending?: Ending;
}

export class PushWatch {
  readonly inFlight = new Set<Push>();
  started = 0;
  readonly endings: Record<Ending, number> = { answered: 0, refused: 0, cut: 0 };
  /** Fact ids in the hub's 200 answers to pushes. */
  readonly acknowledged = new Set<string>();
  /** Push bodies this watch could not read: it then knows the push but not its facts. */
  unreadableBodies = 0;
  /**
   * Answers other than 2xx to any device call, by path, status and error code: each one is a
   * finding.
   */
  readonly refusals = new Map<string, number>();
  private waiters: ((push: Push) => void)[] = [];

  fetchFor(deviceIndex: number): FetchLike {
    return async (input, init) => {
      const path = new URL(input).pathname;
      if (path !== '/api/sync/push') {
        const response = await fetch(input, init);
        if (!response.ok) await this.readAnswer(path, response.clone());
        return response;
      }
      const facts = this.factsOf(init);
      const push = this.begin(
        deviceIndex,
        facts.map((fact) => fact.id),
      );
      try {
        const response = await fetch(input, init);
        this.end(push, 'answered');
        await this.readAnswer(path, response.clone(), facts);
        return response;
      } catch (error) {
        this.end(push, refusedConnection(error) ? 'refused' : 'cut');
        throw error;
      }
    };
  }

  /** The next push to start, or undefined if none starts within `timeoutMs`. */
  nextPush(timeoutMs: number): Promise<Push | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        resolve(undefined);
      }, timeoutMs);
      const wake = (push: Push) => {
        clearTimeout(timer);
        resolve(push);
      };
      this.waiters.push(wake);
    });
  }

  /** The facts in a push (id and seq), sent as text or gzip-compressed; never throws. */
  private factsOf(init: RequestInit): { id: string; seq: number }[] {
    const body = init.body;
    try {
      const text =
        typeof body === 'string'
          ? body
          : gunzipSync(new Uint8Array(body as Uint8Array | ArrayBuffer)).toString('utf8');
      return (JSON.parse(text) as { facts: { id: string; seq: number }[] }).facts.map((fact) => ({
        id: fact.id,
        seq: fact.seq,
      }));
    } catch {
      this.unreadableBodies += 1;
      return [];
    }
  }

  private begin(deviceIndex: number, factIds: readonly string[]): Push {
    const push: Push = {
      number: ++this.started,
      deviceIndex,
      factIds,
      startedAtMs: Date.now(),
    };
    this.inFlight.add(push);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake(push);
    return push;
  }

  private async readAnswer(
    path: string,
    response: Response,
    sent: readonly { id: string; seq: number }[] = [],
  ): Promise<void> {
    let body:
      | {
          results?: { id: string }[];
          acceptedRuns?: { fromSeq: number; toSeq: number }[];
          error?: string;
        }
      | undefined;
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // A reply cut off in its body, or not JSON: the device sees the same.
    }
    if (response.ok) {
      for (const result of body?.results ?? []) this.acknowledged.add(result.id);
      // Facts accepted in a run are named by seq: their ids are the sent facts' of those seqs.
      for (const run of body?.acceptedRuns ?? [])
        for (const fact of sent)
          if (fact.seq >= run.fromSeq && fact.seq <= run.toSeq) this.acknowledged.add(fact.id);
    } else {
      // Any other answer, even one that is not JSON (a 5xx the device takes for "offline").
      const key = `${path} ${response.status} ${body?.error ?? 'unreadable'}`;
      this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
    }
  }

  private end(push: Push, ending: Ending): void {
    push.ending = ending;
    this.inFlight.delete(push);
    this.endings[ending] += 1;
  }
}

function refusedConnection(error: unknown): boolean {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === 'ECONNREFUSED';
}
