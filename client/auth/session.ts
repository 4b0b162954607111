/**
 * Signing in on the device. An agent signs in online when the hub answers, and the device
 * keeps a PBKDF2 hash of the PIN so that the same agent can sign in again with no network.
 * A hub that answers "wrong PIN" is believed: there is no offline fallback from a refusal,
 * only from silence. Signing out is refused while facts wait to be synced.
 *
 * An offline PIN check protects against casual use of a found tablet, not against someone
 * who copies the device's storage: a four-digit PIN cannot resist an offline search. The
 * device's signing key (issue #4) is what makes facts trustworthy.
 */
import {
  startAuthentication,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { z } from 'zod';
import {
  signInResponseSchema,
  signOutResponseSchema,
  supervisorSignInResponseSchema,
  type SecondFactorMethod,
  type SignInResponse,
  type User,
} from '../../shared/api.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { callHub, type FetchLike } from '../api.ts';
import type { Credential, GridtallyDatabase, SessionRecord } from '../db/database.ts';
import { ensureDevice, markRevoked, type DeviceDeps } from '../db/facts.ts';
import { unexportedCount } from '../sync/export.ts';

const PBKDF2_ITERATIONS = 210_000;

export type SignInError =
  | 'device-not-enrolled'
  | 'device-revoked'
  | 'sign-in-failed'
  | 'offline-first-sign-in'
  | 'hub-unreachable'
  | 'hub-failed'
  | 'invalid-request'
  | 'sign-in-locked'
  | 'too-many-requests'
  | 'second-factor-failed'
  | 'second-factor-expired';
export type SignOutError = 'unsynced-facts';

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function pinHash(pin: string, saltHex: string): Promise<string> {
  const salt = new Uint8Array(saltHex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: PBKDF2_ITERATIONS },
    key,
    256,
  );
  return toHex(bits);
}

function onlineSession(answer: SignInResponse): SessionRecord {
  return {
    key: 'session',
    user: answer.user,
    token: answer.token,
    expiresAt: answer.expiresAt,
    signedInOffline: false,
  };
}

async function startSession(db: GridtallyDatabase, session: SessionRecord): Promise<void> {
  await db.transaction('rw', db.settings, async () => {
    await db.settings.put(session);
  });
}

export async function signInAgent(
  db: GridtallyDatabase,
  baseUrl: string,
  username: string,
  pin: string,
  deps: DeviceDeps,
  fetchImpl?: FetchLike,
): Promise<Result<User, SignInError>> {
  const device = await ensureDevice(db, deps);
  const answer = await callHub(
    baseUrl,
    {
      method: 'POST',
      path: '/api/auth/agent',
      body: { username, pin, deviceId: device.deviceId },
      timeoutMs: 8_000,
    },
    signInResponseSchema,
    fetchImpl,
  );
  if (answer.ok) {
    const pinSalt = toHex(crypto.getRandomValues(new Uint8Array(16)));
    const credential: Credential = {
      username,
      user: answer.value.user,
      pinSalt,
      pinHash: await pinHash(pin, pinSalt),
      token: answer.value.token,
      expiresAt: answer.value.expiresAt,
    };
    await db.credentials.put(credential);
    await startSession(db, onlineSession(answer.value));
    return ok(answer.value.user);
  }
  if (answer.error.code === 'sign-in-failed') return err('sign-in-failed');
  if (answer.error.code === 'sign-in-locked') return err('sign-in-locked');
  if (answer.error.code === 'too-many-requests') return err('too-many-requests');
  if (answer.error.code === 'device-not-enrolled') return err('device-not-enrolled');
  if (answer.error.code === 'device-revoked') {
    await markRevoked(db, new Date(deps.nowMs()));
    return err('device-revoked');
  }
  if (answer.error.code === 'invalid-request') return err('invalid-request');
  if (answer.error.code !== 'hub-unreachable') return err('hub-failed');
  const credential = await db.credentials.get(username);
  if (!credential) return err('offline-first-sign-in');
  if ((await pinHash(pin, credential.pinSalt)) !== credential.pinHash) return err('sign-in-failed');
  await startSession(db, {
    key: 'session',
    user: credential.user,
    token: credential.token,
    expiresAt: credential.expiresAt,
    signedInOffline: true,
  });
  return ok(credential.user);
}

/** A supervisor's password was right, and a second factor must finish the sign-in. */
export interface SecondFactorNeeded {
  readonly challenge: string;
  readonly methods: readonly SecondFactorMethod[];
}

export async function signInSupervisor(
  db: GridtallyDatabase,
  baseUrl: string,
  username: string,
  password: string,
  fetchImpl?: FetchLike,
): Promise<Result<User | SecondFactorNeeded, SignInError>> {
  const answer = await callHub(
    baseUrl,
    { method: 'POST', path: '/api/auth/supervisor', body: { username, password } },
    supervisorSignInResponseSchema,
    fetchImpl,
  );
  if (!answer.ok) return err(supervisorError(answer.error.code));
  if ('secondFactor' in answer.value) {
    const { challenge, methods } = answer.value.secondFactor;
    return ok({ challenge, methods });
  }
  await startSession(db, onlineSession(answer.value));
  return ok(answer.value.user);
}

function supervisorError(code: string): SignInError {
  return code === 'sign-in-failed' ||
    code === 'sign-in-locked' ||
    code === 'too-many-requests' ||
    code === 'hub-unreachable' ||
    code === 'invalid-request' ||
    code === 'second-factor-failed' ||
    code === 'second-factor-expired'
    ? code
    : 'hub-failed';
}

/** Finishes a supervisor's sign-in with a TOTP code or a recovery code. */
export async function answerSecondFactor(
  db: GridtallyDatabase,
  baseUrl: string,
  challenge: string,
  answer: { totp: string } | { recoveryCode: string } | { passkey: Record<string, unknown> },
  fetchImpl?: FetchLike,
): Promise<Result<User, SignInError>> {
  const signedIn = await callHub(
    baseUrl,
    { method: 'POST', path: '/api/auth/second-factor', body: { challenge, ...answer } },
    signInResponseSchema,
    fetchImpl,
  );
  if (!signedIn.ok) return err(supervisorError(signedIn.error.code));
  await startSession(db, onlineSession(signedIn.value));
  return ok(signedIn.value.user);
}

/** Finishes a supervisor's sign-in with a passkey: the browser asks the authenticator. */
export async function answerWithPasskey(
  db: GridtallyDatabase,
  baseUrl: string,
  challenge: string,
): Promise<Result<User, SignInError>> {
  const options = await callHub(
    baseUrl,
    { method: 'POST', path: '/api/auth/second-factor/passkey-options', body: { challenge } },
    z.record(z.string(), z.unknown()),
  );
  if (!options.ok) return err(supervisorError(options.error.code));
  let response;
  try {
    response = await startAuthentication({
      optionsJSON: options.value as unknown as PublicKeyCredentialRequestOptionsJSON,
    });
  } catch {
    // Cancelled, timed out, or no authenticator: the person can try again or use a code.
    return err('second-factor-failed');
  }
  return answerSecondFactor(db, baseUrl, challenge, {
    passkey: response as unknown as Record<string, unknown>,
  });
}

export async function currentSession(db: GridtallyDatabase): Promise<SessionRecord | undefined> {
  const session = await db.settings.get('session');
  return session?.key === 'session' ? session : undefined;
}

/**
 * Signs out: refused while facts wait to be synced. The session ends on the device at once, and
 * on the hub when it answers (`POST /api/auth/sign-out`); the token is also taken out of the
 * agent's offline credential, so signing in again offline gives no token the hub would still
 * take (the agent can work and record; the next pull asks for an online sign-in). With no
 * network, the hub's copy of the session ends at its own idle or absolute end.
 */
export async function signOut(
  db: GridtallyDatabase,
  hub?: { readonly baseUrl: string; readonly fetch?: FetchLike },
): Promise<Result<null, SignOutError>> {
  const ended = await db.transaction('rw', db.settings, db.facts, db.credentials, async () => {
    if ((await unexportedCount(db)) > 0) return err('unsynced-facts' as const);
    const session = await currentSession(db);
    await db.settings.delete('session');
    if (session) {
      await db.credentials
        .where('username')
        .equals(session.user.username)
        .modify((credential) => {
          if (credential.token === session.token) credential.token = '';
        });
    }
    return ok(session?.token);
  });
  if (!ended.ok) return ended;
  const token = ended.value;
  if (hub && token)
    await callHub(
      hub.baseUrl,
      { method: 'POST', path: '/api/auth/sign-out', token, timeoutMs: 8_000 },
      signOutResponseSchema,
      hub.fetch,
    );
  return ok(null);
}
