/**
 * Goal: a supervisor with a second factor is signed in only with it. TOTP is set up and
 * confirmed with a code; a password then answers a challenge, not a session; a code from now or
 * the step either side signs in, once; a recovery code signs in once; wrong codes count as wrong
 * passwords, so guessing them locks the account as guessing passwords does; a challenge dies
 * after five minutes or five answers. (Passkeys need an authenticator: tests/e2e/mfa.spec.ts
 * signs in with Chromium's virtual one.)
 *
 * Method: the hub in-process on a seeded store with a clock that stands still until moved;
 * TOTP codes computed here with `otpauth` from the secret the hub handed out, as an app would.
 */
import { Secret, TOTP } from 'otpauth';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../hub/app.ts';
import {
  recoveryCodesResponseSchema,
  secondFactorChallengeSchema,
  signInResponseSchema,
  totpSetupResponseSchema,
} from '../../shared/api.ts';
import { TEST_HASHING } from '../support/hashing.ts';
import { grace, openHub, request, type App } from './harness.ts';

const STEP_MS = 30_000;

async function supervisorHub() {
  const hub = await openHub();
  let nowMs = Math.floor(hub.peekClock().getTime() / STEP_MS) * STEP_MS + 5_000;
  const app = createApp({
    store: hub.store,
    now: () => new Date(nowMs),
    secretHashing: TEST_HASHING,
  });
  return {
    app,
    store: hub.store,
    advance: (ms: number) => {
      nowMs += ms;
    },
    nowMs: () => nowMs,
  };
}

async function passwordSignIn(app: App, password = grace.password): Promise<Response> {
  return request(app, 'POST', '/api/auth/supervisor', { username: grace.username, password });
}

/** Sets up and confirms TOTP for grace; the app that computes her codes, and her recovery codes. */
async function withTotp(hub: Awaited<ReturnType<typeof supervisorHub>>) {
  const { token } = signInResponseSchema.parse(await (await passwordSignIn(hub.app)).json());
  const setup = totpSetupResponseSchema.parse(
    await (await request(hub.app, 'POST', '/api/auth/totp/setup', undefined, token)).json(),
  );
  expect(setup.uri).toMatch(/^otpauth:\/\/totp\/Gridtally:grace\?/);
  const authenticator = new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(setup.secret),
  });
  const code = (offsetSteps = 0) =>
    authenticator.generate({ timestamp: hub.nowMs() + offsetSteps * STEP_MS });
  const confirmed = await request(
    hub.app,
    'POST',
    '/api/auth/totp/confirm',
    { code: code() },
    token,
  );
  expect(confirmed.status).toBe(200);
  const { recoveryCodes } = recoveryCodesResponseSchema.parse(await confirmed.json());
  hub.advance(STEP_MS);
  return { code, recoveryCodes, token };
}

async function challengeOf(app: App): Promise<string> {
  const response = await passwordSignIn(app);
  expect(response.status).toBe(200);
  return secondFactorChallengeSchema.parse(await response.json()).secondFactor.challenge;
}

const answer = (app: App, challenge: string, factor: Record<string, unknown>) =>
  request(app, 'POST', '/api/auth/second-factor', { challenge, ...factor });

describe('TOTP for supervisors', () => {
  test('set up and confirmed, the password alone answers a challenge, and a code from the app signs in', async () => {
    const hub = await supervisorHub();
    const { code, recoveryCodes } = await withTotp(hub);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const response = await passwordSignIn(hub.app);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.token).toBeUndefined();
    const { secondFactor } = secondFactorChallengeSchema.parse(body);
    expect(secondFactor.methods).toEqual(['totp', 'recovery-code']);
    const signedIn = await answer(hub.app, secondFactor.challenge, { totp: code() });
    expect(signedIn.status).toBe(200);
    const session = signInResponseSchema.parse(await signedIn.json());
    const collections = await request(hub.app, 'GET', '/api/collections', undefined, session.token);
    expect(collections.status).toBe(200);
  });

  test('a code works once, and codes from one step either side are taken but not two', async () => {
    const hub = await supervisorHub();
    const { code } = await withTotp(hub);
    const now = code();
    expect((await answer(hub.app, await challengeOf(hub.app), { totp: now })).status).toBe(200);
    const again = await answer(hub.app, await challengeOf(hub.app), { totp: now });
    expect([again.status, ((await again.json()) as { error: string }).error]).toEqual([
      401,
      'second-factor-failed',
    ]);
    hub.advance(STEP_MS);
    expect((await answer(hub.app, await challengeOf(hub.app), { totp: code(1) })).status).toBe(200);
    hub.advance(3 * STEP_MS);
    expect((await answer(hub.app, await challengeOf(hub.app), { totp: code(-2) })).status).toBe(
      401,
    );
    expect((await answer(hub.app, await challengeOf(hub.app), { totp: code(-1) })).status).toBe(
      200,
    );
  });

  test('a recovery code signs in once, in any case and with or without its dash', async () => {
    const hub = await supervisorHub();
    const { recoveryCodes } = await withTotp(hub);
    const [first = ''] = recoveryCodes;
    const typed = first.replace('-', '').toLowerCase();
    expect(
      (await answer(hub.app, await challengeOf(hub.app), { recoveryCode: typed })).status,
    ).toBe(200);
    expect(
      (await answer(hub.app, await challengeOf(hub.app), { recoveryCode: first })).status,
    ).toBe(401);
  });

  test('wrong codes count as wrong passwords: the account locks, and the right password buys no new tries', async () => {
    const hub = await supervisorHub();
    await withTotp(hub);
    let statuses: number[] = [];
    for (let round = 0; round < 3 && !statuses.includes(429); round += 1) {
      const challenge = await challengeOf(hub.app);
      for (let i = 0; i < 4; i += 1)
        statuses = [...statuses, (await answer(hub.app, challenge, { totp: '000000' })).status];
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    const locked = await passwordSignIn(hub.app);
    expect([locked.status, ((await locked.json()) as { error: string }).error]).toEqual([
      429,
      'sign-in-locked',
    ]);
  });

  test('a challenge dies after five answers and after five minutes', async () => {
    const hub = await supervisorHub();
    const { code } = await withTotp(hub);
    const worn = await challengeOf(hub.app);
    for (let i = 0; i < 5; i += 1) await answer(hub.app, worn, { totp: '111111' });
    const late = await answer(hub.app, worn, { totp: code() });
    expect(((await late.json()) as { error: string }).error).toBe('second-factor-expired');
    // The lock of the wrong tries above passes; a fresh challenge, left too long, dies too.
    hub.advance(2 * 60_000);
    const old = await challengeOf(hub.app);
    hub.advance(5 * 60_000);
    const expired = await answer(hub.app, old, { totp: code() });
    expect(((await expired.json()) as { error: string }).error).toBe('second-factor-expired');
  });

  test('TOTP cannot be set up twice, and nobody but a supervisor reaches the set-up', async () => {
    const hub = await supervisorHub();
    const { code } = await withTotp(hub);
    const signedIn = signInResponseSchema.parse(
      await (await answer(hub.app, await challengeOf(hub.app), { totp: code() })).json(),
    );
    const twice = await request(hub.app, 'POST', '/api/auth/totp/setup', undefined, signedIn.token);
    expect(twice.status).toBe(409);
    expect((await request(hub.app, 'POST', '/api/auth/totp/setup')).status).toBe(401);
  });
});
