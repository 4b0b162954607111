/**
 * Supervisors' second factors. A TOTP secret (RFC 6238: SHA-1, six digits, 30-second steps,
 * the step before and after accepted for clocks that drift) is set up, then confirmed with a
 * code from it, which also makes ten recovery codes, shown once and stored as hashes. A code is
 * taken once: the step it was accepted for is kept, and no code of that step or earlier works
 * again. Passkeys (WebAuthn, user verification required) are registered and checked with
 * SimpleWebAuthn. A sign-in waiting for its second factor holds a challenge: random, stored as
 * its hash, good for five minutes and five answers; wrong answers count as wrong passwords
 * (hub/auth/throttle.ts), so a second factor cannot be guessed either.
 */
import { randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { SecondFactorMethod, SecondFactors } from '../../shared/api.ts';
import { ENROLMENT_ALPHABET } from '../../shared/devices.ts';
import { HubError } from '../http/errors.ts';
import type { Store } from '../store/store.ts';
import { newSessionToken, tokenHash } from './secrets.ts';

export const TOTP_PERIOD_S = 30;
/** Steps either side of now a code may be from: phones' clocks drift. */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODES = 10;
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const CHALLENGE_ANSWERS = 5;

/** Where WebAuthn is bound: the hub's public origin and its host name. */
export interface RelyingParty {
  readonly origin: string;
  readonly id: string;
  readonly name: string;
}

function totpOf(secret: string, username: string): TOTP {
  return new TOTP({
    issuer: 'Gridtally',
    label: username,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secret),
  });
}

/** A new, unconfirmed TOTP secret for the user (replacing an unconfirmed one). */
export async function setUpTotp(
  store: Store,
  user: { id: string; username: string },
): Promise<{ secret: string; uri: string }> {
  const existing = await store.db
    .selectFrom('totp_secrets')
    .select('confirmed_at')
    .where('user_id', '=', user.id)
    .executeTakeFirst();
  if (existing?.confirmed_at)
    throw new HubError(409, 'second-factor-exists', 'TOTP is already set up for this account.');
  const secret = new Secret({ size: 20 }).base32;
  await store.transaction(async (trx) => {
    await trx.deleteFrom('totp_secrets').where('user_id', '=', user.id).execute();
    await trx
      .insertInto('totp_secrets')
      .values({ user_id: user.id, secret, confirmed_at: null, last_step: 0 })
      .execute();
  });
  return { secret, uri: totpOf(secret, user.username).toString() };
}

/**
 * Takes a code for the user's secret once: the step it matches must be later than the last
 * step taken. Confirmed secrets only, unless `unconfirmed` (the code that confirms one).
 */
async function takeTotp(
  store: Store,
  user: { id: string; username: string },
  code: string,
  now: Date,
  unconfirmed = false,
): Promise<boolean> {
  const row = await store.db
    .selectFrom('totp_secrets')
    .selectAll()
    .where('user_id', '=', user.id)
    .executeTakeFirst();
  if (!row || (row.confirmed_at === null) !== unconfirmed) return false;
  const delta = totpOf(row.secret, user.username).validate({
    token: code,
    timestamp: now.getTime(),
    window: TOTP_WINDOW,
  });
  if (delta === null) return false;
  const step = Math.floor(now.getTime() / 1000 / TOTP_PERIOD_S) + delta;
  const taken = await store.db
    .updateTable('totp_secrets')
    .set({ last_step: step })
    .where('user_id', '=', user.id)
    .where('last_step', '<', step)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

function recoveryCode(): string {
  const pick = () => ENROLMENT_ALPHABET[randomInt(ENROLMENT_ALPHABET.length)] ?? '0';
  const half = () => Array.from({ length: 5 }, pick).join('');
  return `${half()}-${half()}`;
}

function recoveryHash(code: string): string {
  return tokenHash(code.replace('-', '').toUpperCase());
}

/** Confirms a set-up secret with a code from it; answers the recovery codes, shown once. */
export async function confirmTotp(
  store: Store,
  user: { id: string; username: string },
  code: string,
  now: Date,
): Promise<string[]> {
  if (!(await takeTotp(store, user, code, now, true)))
    throw new HubError(400, 'second-factor-failed', 'That code is not the one the app shows now.');
  const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
  await store.transaction(async (trx) => {
    await trx
      .updateTable('totp_secrets')
      .set({ confirmed_at: now.toISOString() })
      .where('user_id', '=', user.id)
      .execute();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
    await trx
      .insertInto('recovery_codes')
      .values(
        codes.map((one) => ({ code_hash: recoveryHash(one), user_id: user.id, used_at: null })),
      )
      .execute();
  });
  return codes;
}

export async function secondFactorsOf(store: Store, userId: string): Promise<SecondFactors> {
  const totp = await store.db
    .selectFrom('totp_secrets')
    .select('confirmed_at')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const left = await store.db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  const passkeys = await store.db
    .selectFrom('passkeys')
    .select(['id', 'label', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return {
    totp: Boolean(totp?.confirmed_at),
    recoveryCodesLeft: Number(left.n),
    passkeys: passkeys.map((row) => ({ id: row.id, label: row.label, createdAt: row.created_at })),
  };
}

/** The methods a sign-in of this user must finish with; none: the password is enough. */
export function methodsOf(factors: SecondFactors): SecondFactorMethod[] {
  return [
    ...(factors.totp ? (['totp'] as const) : []),
    ...(factors.totp && factors.recoveryCodesLeft > 0 ? (['recovery-code'] as const) : []),
    ...(factors.passkeys.length > 0 ? (['passkey'] as const) : []),
  ];
}

/** A challenge for the user: its token (given once), stored as its hash. */
export async function openChallenge(
  store: Store,
  userId: string,
  purpose: 'sign-in' | 'passkey-registration',
  now: Date,
  webauthnChallenge: string | null = null,
): Promise<{ token: string; expiresAt: string }> {
  const token = newSessionToken();
  const expiresAt = new Date(now.getTime() + CHALLENGE_LIFETIME_MS).toISOString();
  await store.db
    .deleteFrom('second_factor_challenges')
    .where('expires_at', '<=', now.toISOString())
    .execute();
  await store.db
    .insertInto('second_factor_challenges')
    .values({
      token_hash: tokenHash(token),
      user_id: userId,
      purpose,
      webauthn_challenge: webauthnChallenge,
      expires_at: expiresAt,
      attempts: 0,
    })
    .execute();
  return { token, expiresAt };
}

const challengeGone = () =>
  new HubError(
    401,
    'second-factor-expired',
    'This sign-in waited too long or was answered too often. Sign in again.',
  );

/** The live challenge of a token, counting one more answer to it; or `second-factor-expired`. */
export async function answerChallenge(
  store: Store,
  token: string,
  purpose: 'sign-in' | 'passkey-registration',
  now: Date,
) {
  const hash = tokenHash(token);
  const row = await store.db
    .selectFrom('second_factor_challenges')
    .selectAll()
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  if (
    !row ||
    row.purpose !== purpose ||
    row.expires_at <= now.toISOString() ||
    row.attempts >= CHALLENGE_ANSWERS
  )
    throw challengeGone();
  await store.db
    .updateTable('second_factor_challenges')
    .set({ attempts: row.attempts + 1 })
    .where('token_hash', '=', hash)
    .execute();
  return row;
}

export async function closeChallenge(store: Store, token: string): Promise<void> {
  await store.db
    .deleteFrom('second_factor_challenges')
    .where('token_hash', '=', tokenHash(token))
    .execute();
}

/** Sets the WebAuthn challenge of a sign-in waiting for a passkey. */
export async function passkeySignInOptions(
  store: Store,
  token: string,
  rp: RelyingParty,
  now: Date,
) {
  const challenge = await answerChallenge(store, token, 'sign-in', now);
  const passkeys = await store.db
    .selectFrom('passkeys')
    .select(['id', 'transports'])
    .where('user_id', '=', challenge.user_id)
    .execute();
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    allowCredentials: passkeys.map((row) => ({
      id: row.id,
      transports: JSON.parse(row.transports) as AuthenticatorTransportFuture[],
    })),
  });
  await store.db
    .updateTable('second_factor_challenges')
    .set({ webauthn_challenge: options.challenge })
    .where('token_hash', '=', tokenHash(token))
    .execute();
  return options;
}

/** Whether a second factor answers the sign-in challenge of `userId`. */
export async function secondFactorHolds(
  store: Store,
  user: { id: string; username: string },
  answer: { totp?: string; recoveryCode?: string; passkey?: Record<string, unknown> },
  webauthnChallenge: string | null,
  rp: RelyingParty,
  now: Date,
): Promise<boolean> {
  if (answer.totp !== undefined) return takeTotp(store, user, answer.totp, now);
  if (answer.recoveryCode !== undefined) {
    const used = await store.db
      .updateTable('recovery_codes')
      .set({ used_at: now.toISOString() })
      .where('code_hash', '=', recoveryHash(answer.recoveryCode))
      .where('user_id', '=', user.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(used.numUpdatedRows) === 1;
  }
  if (answer.passkey === undefined || webauthnChallenge === null) return false;
  return passkeyHolds(store, user.id, answer.passkey, webauthnChallenge, rp);
}

async function passkeyHolds(
  store: Store,
  userId: string,
  response: Record<string, unknown>,
  expectedChallenge: string,
  rp: RelyingParty,
): Promise<boolean> {
  const id = typeof response.id === 'string' ? response.id : '';
  const passkey = await store.db
    .selectFrom('passkeys')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!passkey) return false;
  try {
    const verified = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.id,
        publicKey: Buffer.from(passkey.public_key, 'base64url'),
        counter: passkey.counter,
        transports: JSON.parse(passkey.transports) as AuthenticatorTransportFuture[],
      },
    });
    if (!verified.verified) return false;
    await store.db
      .updateTable('passkeys')
      .set({ counter: verified.authenticationInfo.newCounter })
      .where('id', '=', passkey.id)
      .execute();
    return true;
  } catch {
    // A response SimpleWebAuthn cannot read or verify is a wrong answer, not a hub failure.
    return false;
  }
}

/** Registration options for a new passkey of a signed-in supervisor, and their challenge. */
export async function passkeyRegistrationOptions(
  store: Store,
  user: { id: string; username: string; displayName: string },
  rp: RelyingParty,
  now: Date,
) {
  const existing = await store.db
    .selectFrom('passkeys')
    .select(['id', 'transports'])
    .where('user_id', '=', user.id)
    .execute();
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userDisplayName: user.displayName,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({
      id: row.id,
      transports: JSON.parse(row.transports) as AuthenticatorTransportFuture[],
    })),
    authenticatorSelection: {
      authenticatorAttachment: 'platform',
      residentKey: 'preferred',
      userVerification: 'required',
    },
  });
  const { token } = await openChallenge(
    store,
    user.id,
    'passkey-registration',
    now,
    options.challenge,
  );
  return { options, registration: token };
}

export async function registerPasskey(
  store: Store,
  userId: string,
  registration: string,
  response: Record<string, unknown>,
  label: string | undefined,
  rp: RelyingParty,
  now: Date,
): Promise<void> {
  const challenge = await answerChallenge(store, registration, 'passkey-registration', now);
  if (challenge.user_id !== userId || challenge.webauthn_challenge === null) throw challengeGone();
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge.webauthn_challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch {
    verified = undefined;
  }
  if (!verified?.verified || !verified.registrationInfo)
    throw new HubError(400, 'second-factor-failed', 'The passkey could not be verified.');
  const credential = verified.registrationInfo.credential;
  await store.db
    .insertInto('passkeys')
    .values({
      id: credential.id,
      user_id: userId,
      public_key: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: JSON.stringify(credential.transports ?? []),
      label: label ?? null,
      created_at: now.toISOString(),
    })
    .execute();
  await closeChallenge(store, registration);
}
