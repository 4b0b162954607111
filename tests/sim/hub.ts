/**
 * The hub of one simulated run: the real app (`createApp`) on the real SQLite store, in a
 * file copied from the template so that a restart — closing the store and opening the same
 * file again — keeps every committed transaction. Its clock is the simulation's clock, so
 * every timestamp it writes comes from the seed.
 *
 * Requests reach it as envelopes whose body was read once into bytes, so one request can be
 * delivered twice (a duplicate) and a reply kept and handed over later (a reordered reply).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { copyFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createApp } from '../../hub/app.ts';
import type { AppEnv } from '../../hub/http/context.ts';
import { openSqliteStore } from '../../hub/store/sqlite.ts';
import type { Store } from '../../hub/store/store.ts';
import { copyTemplate, type Template } from './template.ts';

export const BASE_URL = 'http://hub.sim';

/** A request on the wire: everything needed to deliver it again. */
export interface Envelope {
  readonly id: number;
  readonly from: string;
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: ArrayBuffer | null;
}

/** A reply on the wire. */
export interface Reply {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: ArrayBuffer;
}

export function toResponse(reply: Reply): Response {
  return new Response(reply.status === 204 ? null : reply.body.slice(0), {
    status: reply.status,
    headers: reply.headers.map(([name, value]) => [name, value] as [string, string]),
  });
}

/** A body as JSON, gunzipped when it was sent compressed; undefined when it is not JSON. */
function json(headers: Envelope['headers'], body: ArrayBuffer | null): unknown {
  if (body === null) return undefined;
  const gzip = headers.some(([name, value]) => name === 'content-encoding' && value === 'gzip');
  try {
    const bytes = gzip ? gunzipSync(new Uint8Array(body)) : new Uint8Array(body);
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

interface Summarised {
  facts?: { seq: number }[];
  /** An outbox file's pushes, or an upload's answers. */
  pushes?: { facts?: { seq: number }[]; ok?: boolean; error?: string }[];
  cursor?: number;
  error?: string;
  results?: { seq: number; outcome: string }[];
  acceptedRuns?: { fromSeq: number; toSeq: number }[];
  accounts?: unknown[];
  acks?: unknown[];
  hasMore?: boolean;
}

/** What a request asks, for the trace: the seqs a push carries, the cursor a pull starts at. */
export function requestSummary(envelope: Envelope): string {
  const body = json(envelope.headers, envelope.body) as Summarised | undefined;
  const seqs = (body?.facts ?? body?.pushes?.flatMap((push) => push.facts ?? []))?.map(
    (fact) => fact.seq,
  );
  if (seqs && seqs.length > 0) return `${envelope.path} seq ${seqs[0]}..${seqs.at(-1)}`;
  if (body?.cursor !== undefined) return `${envelope.path} after ${body.cursor}`;
  return envelope.path;
}

/** What a reply says, for the trace: outcomes, pages, or the error code. */
export function replySummary(reply: Reply): string {
  const body = json(reply.headers, reply.body) as Summarised | undefined;
  if (reply.status >= 400) return `${reply.status} ${body?.error ?? ''}`.trimEnd();
  if (body?.results)
    return `${reply.status} ${[
      ...body.results.map((result) => `${result.seq}:${result.outcome}`),
      ...(body.acceptedRuns ?? []).map((run) => `${run.fromSeq}..${run.toSeq}:accepted`),
    ].join(' ')}`;
  if (body?.pushes)
    return `${reply.status} ${body.pushes.length} pushes${body.pushes.some((push) => push.ok === false) ? ', some refused' : ''}`;
  if (body?.accounts && body.acks)
    return `${reply.status} ${body.accounts.length} accounts, ${body.acks.length} acks, cursor ${body.cursor}${body.hasMore ? ', more' : ''}`;
  return String(reply.status);
}

export class SimHub {
  /** Incremented by every restart; requests carry no memory of the hub they were sent to. */
  generation = 0;
  handled = 0;
  private backupFile: string | undefined;
  private app: OpenAPIHono<AppEnv>;

  private constructor(
    readonly file: string,
    private readonly removeFile: () => void,
    public store: Store,
    private readonly clock: () => number,
  ) {
    this.app = this.makeApp();
  }

  static async open(from: Template, name: string, clock: () => number): Promise<SimHub> {
    const copy = copyTemplate(from, name);
    const store = await openSqliteStore(copy.file);
    return new SimHub(copy.file, copy.remove, store, clock);
  }

  now(): Date {
    return new Date(this.clock());
  }

  private makeApp(): OpenAPIHono<AppEnv> {
    return createApp({ store: this.store, now: () => this.now() });
  }

  /** Runs one request through the app to its end: whatever it commits is committed. */
  async handle(envelope: Envelope): Promise<Reply> {
    this.handled++;
    const response = await this.app.request(envelope.url, {
      method: envelope.method,
      headers: envelope.headers.map(([name, value]) => [name, value] as [string, string]),
      body: envelope.body === null ? null : envelope.body.slice(0),
    });
    return {
      status: response.status,
      headers: [...response.headers.entries()],
      body: await response.arrayBuffer(),
    };
  }

  /** The process stops and starts again on the same file. */
  async restart(): Promise<void> {
    await this.store.close();
    this.store = await openSqliteStore(this.file);
    this.app = this.makeApp();
    this.generation++;
  }

  /** A backup of the hub as it is now (an online copy, as SQLite's VACUUM INTO makes it). */
  async backup(): Promise<void> {
    const file = `${this.file}.backup`;
    rmSync(file, { force: true });
    await sql`vacuum into ${file}`.execute(this.store.db);
    this.backupFile = file;
  }

  /**
   * The hub stops and starts again from its last backup: what came after is forgotten. As the
   * hub's own restore (hub/ops/backup.ts) does, the store takes a new epoch, so that devices
   * see in their next pull that the hub forgot, and pull again from the start.
   */
  async restore(): Promise<boolean> {
    if (this.backupFile === undefined) return false;
    await this.store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(this.file + suffix, { force: true });
    copyFileSync(this.backupFile, this.file);
    this.store = await openSqliteStore(this.file);
    await sql`update hub_meta set value = ${`epoch-${this.generation + 1}`} where key = 'epoch'`.execute(
      this.store.db,
    );
    this.app = this.makeApp();
    this.generation++;
    return true;
  }

  async close(): Promise<void> {
    if (this.backupFile !== undefined) rmSync(this.backupFile, { force: true });
    await this.store.close();
    this.removeFile();
  }
}
