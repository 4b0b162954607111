/**
 * Routes of supervisors' second factors (hub/auth/mfa.ts): finishing a sign-in with a TOTP
 * code, a recovery code or a passkey, and, signed in, setting up TOTP and adding passkeys.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  errorResponseSchema,
  passkeyRegistrationSchema,
  recoveryCodesResponseSchema,
  secondFactorRequestSchema,
  secondFactorsSchema,
  signInResponseSchema,
  totpConfirmRequestSchema,
  totpSetupResponseSchema,
} from '../../shared/api.ts';
import { limitedByAddress } from '../http/edge.ts';
import { HubError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { signedIn } from './middleware.ts';
import {
  answerChallenge,
  closeChallenge,
  confirmTotp,
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  secondFactorHolds,
  secondFactorsOf,
  setUpTotp,
  type RelyingParty,
} from './mfa.ts';
import { createSession, userById } from './sessions.ts';
import {
  clearWrongSecrets,
  LOCKOUTS,
  recordWrongSecret,
  refuseWhileLocked,
  throttle,
  THROTTLES,
} from './throttle.ts';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <S extends z.ZodType>(schema: S) => ({
  body: { content: { 'application/json': { schema } }, required: true as const },
});
const refused = {
  400: json(errorResponseSchema, 'Malformed request, or a code that is not right'),
  401: json(errorResponseSchema, 'Not signed in, or the sign-in waited too long'),
  429: json(errorResponseSchema, 'Too many tries'),
};

const challengeSchema = z.object({ challenge: z.string().min(1).max(64) });

const answerRoute = createRoute({
  method: 'post',
  path: '/api/auth/second-factor',
  summary: 'Finishes a supervisor’s sign-in with a TOTP code, a recovery code or a passkey',
  ...limitedByAddress(THROTTLES.signInAddress),
  request: body(secondFactorRequestSchema),
  responses: { 200: json(signInResponseSchema, 'Signed in'), ...refused },
});

const passkeyOptionsRoute = createRoute({
  method: 'post',
  path: '/api/auth/second-factor/passkey-options',
  summary: 'WebAuthn options for finishing a sign-in with a passkey',
  ...limitedByAddress(THROTTLES.signInAddress),
  request: body(challengeSchema),
  responses: { 200: json(z.record(z.string(), z.unknown()), 'WebAuthn options'), ...refused },
});

const factorsRoute = createRoute({
  method: 'get',
  path: '/api/auth/second-factors',
  summary: 'The signed-in supervisor’s second factors',
  ...signedIn('supervisor'),
  responses: { 200: json(secondFactorsSchema, 'Second factors'), ...refused },
});

const totpSetupRoute = createRoute({
  method: 'post',
  path: '/api/auth/totp/setup',
  summary: 'A new TOTP secret, to confirm with a code from it',
  ...signedIn('supervisor'),
  responses: {
    200: json(totpSetupResponseSchema, 'The secret and its otpauth URI'),
    ...refused,
    409: json(errorResponseSchema, 'TOTP is already set up'),
  },
});

const totpConfirmRoute = createRoute({
  method: 'post',
  path: '/api/auth/totp/confirm',
  summary: 'Confirms TOTP with a code; answers ten recovery codes, shown once',
  ...signedIn('supervisor'),
  request: body(totpConfirmRequestSchema),
  responses: { 200: json(recoveryCodesResponseSchema, 'Recovery codes'), ...refused },
});

const passkeyRegistrationOptionsRoute = createRoute({
  method: 'post',
  path: '/api/auth/passkeys/options',
  summary: 'WebAuthn options for adding a passkey (a platform authenticator, verifying the user)',
  ...signedIn('supervisor'),
  responses: {
    200: json(
      z.object({ options: z.record(z.string(), z.unknown()), registration: z.string() }),
      'WebAuthn options and the registration to answer',
    ),
    ...refused,
  },
});

const passkeyRegisterRoute = createRoute({
  method: 'post',
  path: '/api/auth/passkeys',
  summary: 'Adds a passkey from the authenticator’s answer',
  ...signedIn('supervisor'),
  request: body(passkeyRegistrationSchema.extend({ registration: z.string().min(1).max(64) })),
  responses: { 200: json(secondFactorsSchema, 'Second factors'), ...refused },
});

/** Where WebAuthn is bound: HUB_PUBLIC_ORIGIN behind a proxy, or the origin asked. */
function relyingParty(c: Context<AppEnv>): RelyingParty {
  const origin = c.get('deps').publicOrigin ?? new URL(c.req.url).origin;
  return { origin, id: new URL(origin).hostname, name: 'Gridtally' };
}

export function registerSecondFactorRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(answerRoute, async (c) => {
    const deps = c.get('deps');
    const answer = c.req.valid('json');
    const challenge = await answerChallenge(deps.store, answer.challenge, 'sign-in', deps.now());
    const user = await userById(deps.store, challenge.user_id);
    await throttle(deps.store, THROTTLES.signInAccount, user.username, deps.now());
    await refuseWhileLocked(deps.store, LOCKOUTS.password, user.username, deps.now());
    const holds = await secondFactorHolds(
      deps.store,
      user,
      answer,
      challenge.webauthn_challenge,
      relyingParty(c),
      deps.now(),
    );
    if (!holds) {
      await recordWrongSecret(deps.store, LOCKOUTS.password, user.username, deps.now());
      throw new HubError(401, 'second-factor-failed', 'That code or passkey is not right.');
    }
    await clearWrongSecrets(deps.store, LOCKOUTS.password, user.username);
    await closeChallenge(deps.store, answer.challenge);
    const session = await createSession(deps.store, user, null, deps.now(), deps.sessionLifetimes);
    return c.json({ ...session, user }, 200);
  });
  app.openapi(passkeyOptionsRoute, async (c) => {
    const deps = c.get('deps');
    const { challenge } = c.req.valid('json');
    const options = await passkeySignInOptions(deps.store, challenge, relyingParty(c), deps.now());
    return c.json(options as unknown as Record<string, unknown>, 200);
  });
  app.openapi(factorsRoute, async (c) =>
    c.json(await secondFactorsOf(c.get('deps').store, c.get('user').userId), 200),
  );
  app.openapi(totpSetupRoute, async (c) => {
    const deps = c.get('deps');
    const user = await userById(deps.store, c.get('user').userId);
    return c.json(await setUpTotp(deps.store, user), 200);
  });
  app.openapi(totpConfirmRoute, async (c) => {
    const deps = c.get('deps');
    const user = await userById(deps.store, c.get('user').userId);
    await throttle(deps.store, THROTTLES.signInAccount, user.username, deps.now());
    const codes = await confirmTotp(deps.store, user, c.req.valid('json').code, deps.now());
    return c.json({ recoveryCodes: codes }, 200);
  });
  app.openapi(passkeyRegistrationOptionsRoute, async (c) => {
    const deps = c.get('deps');
    const user = await userById(deps.store, c.get('user').userId);
    const { options, registration } = await passkeyRegistrationOptions(
      deps.store,
      user,
      relyingParty(c),
      deps.now(),
    );
    return c.json({ options: options as unknown as Record<string, unknown>, registration }, 200);
  });
  app.openapi(passkeyRegisterRoute, async (c) => {
    const deps = c.get('deps');
    const request = c.req.valid('json');
    const userId = c.get('user').userId;
    await registerPasskey(
      deps.store,
      userId,
      request.registration,
      request.response,
      request.label,
      relyingParty(c),
      deps.now(),
    );
    return c.json(await secondFactorsOf(deps.store, userId), 200);
  });
}
