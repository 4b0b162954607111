/**
 * Goal: enrolment is safe to retry and hard to abuse: a device whose enrolment answer was lost
 * gets the same answer again; a code works for one device only; a supervisor sees devices and
 * issues codes, an agent cannot.
 *
 * Method: the hub app in-process on seeded in-memory SQLite.
 */
import { describe, expect, test } from 'vitest';
import { ECDSA_KEY } from '../../shared/devices.ts';
import {
  openHub,
  request,
  signInAgent,
  amina,
  signInSupervisor,
  TABLET_A,
  TABLET_C,
} from './harness.ts';

async function publicKey() {
  const pair = await crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

describe('device enrolment', () => {
  test('a retry after a lost answer gets the same answer; the code stays used for any other device', async () => {
    const hub = await openHub();
    const { token } = await signInSupervisor(hub.app);
    const { code } = (await (
      await request(hub.app, 'POST', '/api/devices/enrolment-codes', undefined, token)
    ).json()) as { code: string };
    const key = await publicKey();
    const first = await request(hub.app, 'POST', '/api/devices/enrol', {
      code,
      deviceId: TABLET_C,
      publicKey: key,
    });
    expect(first.status).toBe(201);
    const answer = await first.json();
    const again = await request(hub.app, 'POST', '/api/devices/enrol', {
      code,
      deviceId: TABLET_C,
      publicKey: key,
    });
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(answer);
    const other = await request(hub.app, 'POST', '/api/devices/enrol', {
      code,
      deviceId: TABLET_C,
      publicKey: await publicKey(),
    });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: 'enrolment-code-invalid' });
  });

  test('an agent can neither issue codes nor list devices', async () => {
    const hub = await openHub();
    const { token } = await signInAgent(hub.app, amina, TABLET_A);
    expect(
      (await request(hub.app, 'POST', '/api/devices/enrolment-codes', undefined, token)).status,
    ).toBe(403);
    expect((await request(hub.app, 'GET', '/api/devices', undefined, token)).status).toBe(403);
  });

  test('a made-up code is refused like a used one', async () => {
    const hub = await openHub();
    const response = await request(hub.app, 'POST', '/api/devices/enrol', {
      code: 'ABCD-EFGH-JKMN',
      deviceId: TABLET_C,
      publicKey: await publicKey(),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'enrolment-code-invalid' });
  });
});
