/**
 * A supervisor's sign-in security: set up an authenticator app (scan the QR code or type the
 * key, confirm with a code, then keep the recovery codes shown once) and add passkeys (this
 * device's fingerprint, face or screen lock).
 */
import { qrSvg } from './qr.ts';
import { useEffect, useState } from 'preact/hooks';
import type { SecondFactors } from '../../shared/api.ts';
import { addPasskey, confirmTotp, secondFactors, setUpTotp } from '../auth/mfa.ts';
import { useApp, useText } from './context.ts';

interface Setup {
  readonly secret: string;
  readonly qrSvg: string;
}

export function SecurityScreen() {
  const app = useApp();
  const { t, errorOf } = useText();
  const hub = { baseUrl: app.baseUrl, token: app.session?.token ?? '' };
  const [factors, setFactors] = useState<SecondFactors | undefined>();
  const [setup, setSetup] = useState<Setup | undefined>();
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  async function load() {
    const answer = await secondFactors(hub);
    if (answer.ok) setFactors(answer.value);
    else setError(errorOf(answer.error));
  }
  useEffect(() => void load(), []);

  async function startTotp() {
    setError(undefined);
    const answer = await setUpTotp(hub);
    if (!answer.ok) return setError(errorOf(answer.error));
    const svg = await qrSvg(answer.value.uri, { type: 'svg', margin: 1 });
    setSetup({ secret: answer.value.secret, qrSvg: svg });
  }

  async function finishTotp(event: Event) {
    event.preventDefault();
    setError(undefined);
    const answer = await confirmTotp(hub, code.replace(/\s/g, ''));
    if (!answer.ok) return setError(errorOf(answer.error));
    setSetup(undefined);
    setCode('');
    setRecoveryCodes(answer.value);
    await load();
  }

  async function passkey() {
    setError(undefined);
    const answer = await addPasskey(hub, t('passkeyLabel'));
    if (!answer.ok) return setError(errorOf(answer.error));
    setFactors(answer.value);
  }

  return (
    <main class="screen security">
      <h2>{t('security')}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <section class="card" data-testid="totp">
        <h3>{t('authenticatorApp')}</h3>
        {factors?.totp ? (
          <p data-testid="totp-on">
            {t('authenticatorOn')} · {factors.recoveryCodesLeft} {t('recoveryCodesLeft')}
          </p>
        ) : setup ? (
          <form onSubmit={(event) => void finishTotp(event)}>
            <p>{t('scanThis')}</p>
            <div class="qr" dangerouslySetInnerHTML={{ __html: setup.qrSvg }} />
            <p>
              {t('orTypeKey')} <code data-testid="totp-secret">{setup.secret}</code>
            </p>
            <label>
              {t('authenticatorCode')}
              <input
                name="totp-code"
                inputMode="numeric"
                autocomplete="one-time-code"
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
                required
              />
            </label>
            <button type="submit" class="primary">
              {t('confirm')}
            </button>
          </form>
        ) : (
          <button type="button" class="primary" onClick={() => void startTotp()}>
            {t('setUpAuthenticator')}
          </button>
        )}
        {recoveryCodes && (
          <div data-testid="recovery-codes">
            <p>{t('recoveryCodesOnce')}</p>
            <ul class="codes">
              {recoveryCodes.map((one) => (
                <li key={one}>
                  <code>{one}</code>
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>
      <section class="card" data-testid="passkeys">
        <h3>{t('passkeys')}</h3>
        {factors && factors.passkeys.length > 0 && (
          <ul>
            {factors.passkeys.map((one) => (
              <li key={one.id} data-testid="passkey">
                {one.label ?? t('passkeyLabel')} · {one.createdAt.slice(0, 10)}
              </li>
            ))}
          </ul>
        )}
        <p class="muted">{t('passkeyExplain')}</p>
        <button type="button" onClick={() => void passkey()}>
          {t('addPasskey')}
        </button>
      </section>
    </main>
  );
}
