/**
 * The supervisor, with the hub's own routes and the web app's calls (client/api.ts, as the
 * devices screen makes them): signs in with a password, issues one-time enrolment codes, and
 * uploads a device's exported outbox file (`POST /api/sync/upload`).
 *
 * An upload runs as a Proc of its own (`sup.uN`) over the simulated network with all its
 * faults: the request can be lost, answered 502, delivered twice, its answer lost after the
 * hub committed or held back; the supervisor tries again until the hub answers, as a person
 * at the devices screen would. So a wiped device's facts reach the hub late, perhaps after
 * facts its new identity recorded, and perhaps twice.
 */
import { callHub, type FetchLike } from '../../client/api.ts';
import { signInResponseSchema } from '../../shared/api.ts';
import { enrolmentCodeResponseSchema } from '../../shared/devices.ts';
import {
  uploadResponseSchema,
  type OutboxFile,
  type UploadResponse,
} from '../../shared/protocol.ts';
import { BASE_URL } from './hub.ts';
import { Proc, type SimNetwork } from './network.ts';

export const SUPERVISOR = { username: 'sol', password: 'sim-supervisor' } as const;

/** Tries before the supervisor gives up on an upload; on a perfect network one is enough. */
const MAX_TRIES = 200;

export interface Upload {
  readonly label: string;
  /** The device whose file this is, and the identity that exported it. */
  readonly from: string;
  readonly deviceId: string;
  /** The sequence numbers of the facts in the file. */
  readonly seqs: readonly number[];
  readonly proc: Proc;
  tries: number;
}

export type UploadResult =
  | { readonly ok: true; readonly answer: UploadResponse }
  | { readonly ok: false; readonly error: string };

export class Supervisor {
  readonly uploads: Upload[] = [];
  private token: string | undefined;
  private readonly office: FetchLike;

  constructor(private readonly network: SimNetwork) {
    // The office's calls are made at the office; they run on whatever network the world has.
    this.office = network.fetchFor({
      label: 'sup.office',
      proc: () => undefined,
      offline: () => false,
    });
  }

  private async signIn(fetch: FetchLike): Promise<string | undefined> {
    const answer = await callHub(
      BASE_URL,
      { method: 'POST', path: '/api/auth/supervisor', body: SUPERVISOR },
      signInResponseSchema,
      fetch,
    );
    if (!answer.ok) return undefined;
    this.token = answer.value.token;
    return this.token;
  }

  /** A fresh one-time code, issued at the office (the world runs this on a perfect network). */
  async issueCode(): Promise<string> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const token = this.token ?? (await this.signIn(this.office));
      if (!token) throw new Error('the supervisor could not sign in at the office');
      const answer = await callHub(
        BASE_URL,
        { method: 'POST', path: '/api/devices/enrolment-codes', token },
        enrolmentCodeResponseSchema,
        this.office,
      );
      if (answer.ok) return answer.value.code;
      // A session the hub no longer knows (it expired, or the hub forgot it): sign in again.
      if (answer.error.code !== 'not-signed-in')
        throw new Error(`no enrolment code: ${answer.error.code}`);
      this.token = undefined;
    }
    throw new Error('no enrolment code: the supervisor is signed out');
  }

  /** Starts uploading `file` (read back from its JSON, as from a file); returns once it parks. */
  async upload(file: OutboxFile, from: string): Promise<Upload> {
    const label = `sup.u${this.uploads.length + 1}`;
    const upload: Upload = {
      label,
      from,
      deviceId: file.deviceId,
      seqs: file.pushes.flatMap((push) => push.facts.map((fact) => fact.seq)),
      proc: new Proc(label),
      tries: 0,
    };
    this.uploads.push(upload);
    const fetch = this.network.fetchFor({ label, proc: () => upload.proc, offline: () => false });
    const body = JSON.parse(JSON.stringify(file)) as unknown;
    await upload.proc.start(() => this.uploadUntilAnswered(upload, body, fetch));
    return upload;
  }

  private async uploadUntilAnswered(
    upload: Upload,
    body: unknown,
    fetch: FetchLike,
  ): Promise<UploadResult> {
    while (upload.tries < MAX_TRIES) {
      upload.tries++;
      const token = this.token ?? (await this.signIn(fetch));
      if (!token) continue;
      const answer = await callHub(
        BASE_URL,
        { method: 'POST', path: '/api/sync/upload', token, body, gzip: true },
        uploadResponseSchema,
        fetch,
      );
      if (answer.ok) return { ok: true, answer: answer.value };
      if (answer.error.code === 'not-signed-in') this.token = undefined;
      else if (answer.error.code !== 'hub-unreachable')
        return { ok: false, error: `${answer.error.code}: ${answer.error.message}` };
    }
    return { ok: false, error: `no answer after ${MAX_TRIES} tries` };
  }
}
