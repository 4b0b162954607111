/**
 * The simulated network and the processes that use it.
 *
 * Determinism with real async code: a device's code (Dexie, WebCrypto, the sync engine) runs
 * as a `Proc`, and only one Proc runs at any moment. A Proc runs until it calls `fetch`, where
 * it parks with its request on the wire, or until it ends. The world then chooses, from the
 * seed, what happens next: which parked request is delivered and how (lost, answered 502,
 * delivered twice, its reply lost after the hub committed, its reply held back and handed
 * over after later ones), or a device's next action. The hub handles one request at a time,
 * to its end, while no device code runs. So the interleaving of devices, tabs and the hub is
 * a function of the seed alone, and the parked requests are kept in a fixed order, never in
 * the order in which WebCrypto happened to finish.
 *
 * In `direct` mode (setup and quiescence) a request is handed to the hub at once and the
 * answer comes straight back: a perfect network.
 */
import type { FetchLike } from '../../client/api.ts';
import {
  replySummary,
  requestSummary,
  toResponse,
  type Envelope,
  type Reply,
  type SimHub,
} from './hub.ts';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Removes `item` from `list`; it must be there. */
function take<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index < 0) throw new Error('the simulated network lost track of a message');
  list.splice(index, 1);
}

const STUCK_MS = 30_000;

/** One run of device code: parks at each network call, ends once. */
export class Proc {
  done = false;
  /** Set when the body threw: device code must never throw, so this is a finding. */
  error: unknown;
  result: unknown;
  private signal = deferred<undefined>();

  constructor(readonly label: string) {}

  /** Starts `body` and returns once it has parked on the network or ended. */
  async start(body: () => Promise<unknown>): Promise<void> {
    body().then(
      (result) => {
        this.result = result;
        this.finish();
      },
      (error: unknown) => {
        this.error = error;
        this.finish();
      },
    );
    await this.settled();
  }

  /**
   * Waits until the code parks or ends. Device code that does neither (it waits on something
   * no step of the world will ever give) would hang the run; after a long real-time wait the
   * run fails instead, naming the Proc. This is the only use of real time, and it can only
   * turn a hang into a failure.
   */
  private async settled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.label} neither reached the network nor ended`)),
        STUCK_MS,
      );
    });
    try {
      await Promise.race([this.signal.promise, stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  private finish(): void {
    this.done = true;
    this.signal.resolve(undefined);
  }

  park(): void {
    this.signal.resolve(undefined);
  }

  /** Wakes the parked Proc with `wake` and waits until it parks again or ends. */
  async resume(wake: () => void): Promise<void> {
    this.signal = deferred<undefined>();
    wake();
    await this.settled();
  }
}

/** A request parked on the wire, with the Proc waiting for its answer. */
export interface Parked {
  readonly envelope: Envelope;
  readonly proc: Proc;
  readonly answer: Deferred<Response>;
}

/** A reply the hub gave after committing, held back on its way to the device. */
export interface Held {
  readonly parked: Parked;
  readonly reply: Reply;
}

export type Delivery =
  | 'deliver'
  | 'drop-request'
  | 'drop-reply'
  | 'duplicate'
  | 'duplicate-later'
  | 'hub-error'
  | 'hold-reply';

export interface Endpoint {
  readonly label: string;
  /** The Proc now running this endpoint's code. */
  readonly proc: () => Proc | undefined;
  readonly offline: () => boolean;
}

export class SimNetwork {
  mode: 'direct' | 'faulty' = 'direct';
  /** Parked requests, in the order they were sent (a fixed order: one Proc runs at a time). */
  readonly parked: Parked[] = [];
  readonly held: Held[] = [];
  /** Copies of delivered requests still on the wire, to reach the hub again later. */
  readonly ghosts: Envelope[] = [];
  readonly counts = new Map<string, number>();
  private nextId = 1;
  private directCalls = 0;

  constructor(
    private readonly hub: () => SimHub,
    private readonly log: (line: string) => void,
    private readonly finding: (line: string) => void,
  ) {}

  count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  fetchFor(endpoint: Endpoint): FetchLike {
    return async (input, init) => {
      const envelope = await this.envelope(endpoint.label, input, init);
      if (this.mode === 'direct') {
        if (++this.directCalls > 5_000)
          throw new Error('runaway: too many calls on a good network');
        const reply = await this.handle(envelope);
        return toResponse(reply);
      }
      if (endpoint.offline()) {
        this.count('offline-call');
        throw new TypeError('no network');
      }
      const proc = endpoint.proc();
      if (!proc) throw new Error(`${endpoint.label} called fetch outside a Proc`);
      const answer = deferred<Response>();
      this.parked.push({ envelope, proc, answer });
      proc.park();
      return answer.promise;
    };
  }

  private async envelope(from: string, input: string, init: RequestInit): Promise<Envelope> {
    const url = new URL(input);
    const body =
      init.body === null || init.body === undefined
        ? null
        : typeof init.body === 'string'
          ? new TextEncoder().encode(init.body).buffer
          : await new Response(init.body).arrayBuffer();
    return {
      id: this.nextId++,
      from,
      method: init.method ?? 'GET',
      url: input,
      path: url.pathname,
      headers: [...new Headers(init.headers).entries()],
      body,
    };
  }

  private async handle(envelope: Envelope): Promise<Reply> {
    const hub = this.hub();
    const reply = await hub.handle(envelope);
    if (reply.status >= 500)
      this.finding(`hub answered ${replySummary(reply)} to ${envelope.path}`);
    return reply;
  }

  /** Takes a parked request off the wire and does `how` with it. */
  async deliver(parked: Parked, how: Delivery): Promise<void> {
    take(this.parked, parked);
    this.count(how);
    const tag = `#${parked.envelope.id} ${parked.envelope.from} ${requestSummary(parked.envelope)}`;
    switch (how) {
      case 'drop-request':
        this.log(`net ${tag}: request lost`);
        return parked.proc.resume(() => parked.answer.reject(new TypeError('request lost')));
      case 'hub-error':
        this.log(`net ${tag}: 502 from a proxy`);
        return parked.proc.resume(() =>
          parked.answer.resolve(new Response('Bad gateway', { status: 502 })),
        );
      case 'drop-reply': {
        const reply = await this.handle(parked.envelope);
        this.log(`net ${tag}: hub ${replySummary(reply)}, reply lost`);
        return parked.proc.resume(() => parked.answer.reject(new TypeError('reply lost')));
      }
      case 'duplicate': {
        const first = await this.handle(parked.envelope);
        const second = await this.handle(parked.envelope);
        this.log(
          `net ${tag}: delivered twice, hub ${replySummary(first)} then ${replySummary(second)}`,
        );
        return parked.proc.resume(() => parked.answer.resolve(toResponse(second)));
      }
      case 'duplicate-later': {
        this.ghosts.push(parked.envelope);
        const reply = await this.handle(parked.envelope);
        this.log(`net ${tag}: hub ${replySummary(reply)}, a copy stays on the wire`);
        return parked.proc.resume(() => parked.answer.resolve(toResponse(reply)));
      }
      case 'hold-reply': {
        const reply = await this.handle(parked.envelope);
        this.log(`net ${tag}: hub ${replySummary(reply)}, reply held back`);
        this.held.push({ parked, reply });
        return;
      }
      case 'deliver': {
        const reply = await this.handle(parked.envelope);
        this.log(`net ${tag}: hub ${replySummary(reply)}`);
        return parked.proc.resume(() => parked.answer.resolve(toResponse(reply)));
      }
    }
  }

  /** Hands a held reply over at last, or loses it. */
  async release(held: Held, lose: boolean): Promise<void> {
    take(this.held, held);
    const tag = `#${held.parked.envelope.id} ${held.parked.envelope.from}`;
    this.count(lose ? 'held-reply-lost' : 'held-reply-late');
    this.log(
      `net ${tag}: held reply ${lose ? 'lost' : `handed over late (${replySummary(held.reply)})`}`,
    );
    return held.parked.proc.resume(() =>
      lose
        ? held.parked.answer.reject(new TypeError('reply lost'))
        : held.parked.answer.resolve(toResponse(held.reply)),
    );
  }

  /** A stale copy of a request reaches the hub; nobody waits for its answer. */
  async deliverGhost(ghost: Envelope): Promise<void> {
    take(this.ghosts, ghost);
    this.count('ghost');
    const reply = await this.handle(ghost);
    this.log(
      `net #${ghost.id} ${ghost.from} ${requestSummary(ghost)}: stale copy, hub ${replySummary(reply)}`,
    );
  }

  /** Every request and reply of `label` (or of everyone) on the wire fails. */
  async cut(reason: string, matches: (from: string) => boolean): Promise<void> {
    for (const held of this.held.filter((h) => matches(h.parked.envelope.from))) {
      take(this.held, held);
      this.log(
        `net #${held.parked.envelope.id} ${held.parked.envelope.from}: reply lost (${reason})`,
      );
      await held.parked.proc.resume(() => held.parked.answer.reject(new TypeError(reason)));
    }
    for (const parked of this.parked.filter((p) => matches(p.envelope.from))) {
      take(this.parked, parked);
      this.log(`net #${parked.envelope.id} ${parked.envelope.from}: request lost (${reason})`);
      await parked.proc.resume(() => parked.answer.reject(new TypeError(reason)));
    }
  }

  /**
   * A tab closed while its request was on the wire: the request may still reach the hub, but
   * nobody will read the answer, and the tab's code never runs again.
   */
  abandon(from: string, keepRequest: boolean): void {
    for (const held of this.held.filter((h) => h.parked.envelope.from === from))
      take(this.held, held);
    for (const parked of this.parked.filter((p) => p.envelope.from === from)) {
      take(this.parked, parked);
      if (keepRequest) this.ghosts.push(parked.envelope);
    }
  }

  /** Puts the network in `direct` mode and lets everything on the wire arrive, in order. */
  async drain(): Promise<void> {
    this.mode = 'direct';
    while (this.held.length > 0 || this.parked.length > 0 || this.ghosts.length > 0) {
      const held = this.held[0];
      if (held) {
        await this.release(held, false);
        continue;
      }
      const parked = this.parked[0];
      if (parked) {
        await this.deliver(parked, 'deliver');
        continue;
      }
      const ghost = this.ghosts[0];
      if (ghost) await this.deliverGhost(ghost);
    }
  }
}
