/**
 * A supervisor's second factors, set up from the app (client/ui/SecurityScreen.tsx): an
 * authenticator app (TOTP, confirmed with a code, which gives recovery codes shown once) and
 * passkeys (the browser asks the device's authenticator: a fingerprint, a face, a PIN).
 */
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { z } from 'zod';
import {
  recoveryCodesResponseSchema,
  secondFactorsSchema,
  totpSetupResponseSchema,
  type SecondFactors,
} from '../../shared/api.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { callHub, type HubFailure } from '../api.ts';

type Hub = { readonly baseUrl: string; readonly token: string };

function failed<T>(answer: { ok: false; error: HubFailure }): Result<T, string> {
  return err(answer.error.code);
}

export async function secondFactors(hub: Hub): Promise<Result<SecondFactors, string>> {
  const answer = await callHub(
    hub.baseUrl,
    { method: 'GET', path: '/api/auth/second-factors', token: hub.token },
    secondFactorsSchema,
  );
  return answer.ok ? ok(answer.value) : failed(answer);
}

export async function setUpTotp(
  hub: Hub,
): Promise<Result<{ secret: string; uri: string }, string>> {
  const answer = await callHub(
    hub.baseUrl,
    { method: 'POST', path: '/api/auth/totp/setup', token: hub.token },
    totpSetupResponseSchema,
  );
  return answer.ok ? ok(answer.value) : failed(answer);
}

export async function confirmTotp(hub: Hub, code: string): Promise<Result<string[], string>> {
  const answer = await callHub(
    hub.baseUrl,
    { method: 'POST', path: '/api/auth/totp/confirm', token: hub.token, body: { code } },
    recoveryCodesResponseSchema,
  );
  return answer.ok ? ok(answer.value.recoveryCodes) : failed(answer);
}

export async function addPasskey(hub: Hub, label: string): Promise<Result<SecondFactors, string>> {
  const options = await callHub(
    hub.baseUrl,
    { method: 'POST', path: '/api/auth/passkeys/options', token: hub.token },
    z.object({ options: z.record(z.string(), z.unknown()), registration: z.string() }),
  );
  if (!options.ok) return failed(options);
  let response;
  try {
    const { startRegistration } = await import('@simplewebauthn/browser');
    response = await startRegistration({
      optionsJSON: options.value.options as unknown as PublicKeyCredentialCreationOptionsJSON,
    });
  } catch {
    return err('second-factor-failed');
  }
  const added = await callHub(
    hub.baseUrl,
    {
      method: 'POST',
      path: '/api/auth/passkeys',
      token: hub.token,
      body: { registration: options.value.registration, response, label },
    },
    secondFactorsSchema,
  );
  return added.ok ? ok(added.value) : failed(added);
}
