/**
 * Signing in on the device. An agent signs in online when the hub answers, which also opens
 * the device's sealed data with the secret the hub hands back (client/auth/unlock.ts); with no
 * network, the same agent signs in with the PIN alone for as long as the hub allowed at the
 * last online sign-in. A hub that answers "wrong PIN" is believed: there is no offline fallback
 * from a refusal, only from silence. Signing out is refused while facts wait to be synced, and
 * locks the data again.
 */
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
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
import { isVaultLocked } from '../db/vault.ts';
import { unexportedCount } from '../sync/export.ts';
import { unlockOffline, unlockOnline } from './unlock.ts';

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
  | 'second-factor-expired'
  | 'offline-unlock-expired'
  | 'offline-pin-locked'
  | 'vault-unreadable';
export type SignOutError = 'unsynced-facts';

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
    // An agent's answer always carries the device's secret; a hub that sent none is broken.
    if (!answer.value.unlock) return err('hub-failed');
    const opened = await unlockOnline(db, {
      deviceId: device.deviceId,
      username,
      pin,
      unlock: answer.value.unlock,
      nowMs: deps.nowMs(),
    });
    if (!opened.ok) return opened;
    const credential: Credential = {
      username,
      user: answer.value.user,
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
  // With no hub, the PIN opens the data (within its window) and the credential is read from it.
  const opened = await unlockOffline(
    db,
    { deviceId: device.deviceId, username, pin },
    deps.nowMs(),
  );
  if (!opened.ok) return opened;
  const credential = await db.credentials.get(username);
  if (!credential) {
    db.vault.lock();
    return err('offline-first-sign-in');
  }
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
    // Loaded when a passkey is used: most sign-ins never need it.
    const { startAuthentication } = await import('@simplewebauthn/browser');
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

/** An agent's session is on the device, sealed, waiting for the PIN (after a reload). */
export async function sessionLocked(db: GridtallyDatabase): Promise<boolean> {
  if (db.vault.unlocked) return false;
  try {
    await db.settings.get('session');
    return false;
  } catch (error) {
    if (isVaultLocked(error)) return true;
    throw error;
  }
}

/**
 * Who is signed in on this tab: none while an agent's data is locked (after a reload, until the
 * PIN is entered again or another open tab hands over the key).
 */
export async function currentSession(db: GridtallyDatabase): Promise<SessionRecord | undefined> {
  let session;
  try {
    session = await db.settings.get('session');
  } catch (error) {
    if (isVaultLocked(error)) return undefined;
    throw error;
  }
  if (session?.key !== 'session') return undefined;
  // A plain agent session with a locked vault is one from before the vault (or a bug): the
  // agent signs in again, which opens the data.
  if (session.user.role === 'agent' && !db.vault.unlocked) return undefined;
  return session;
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
  db.vault.lock();
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
