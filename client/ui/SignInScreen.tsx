/** Sign-in for agents (username and PIN, online or offline) and supervisors (password). */
import { useState } from 'preact/hooks';
import { isEnrolled } from '../auth/enrol.ts';
import { signInAgent, signInSupervisor } from '../auth/session.ts';
import { browserDeps } from '../db/facts.ts';
import { useApp, useText } from './context.ts';
import { EnrolForm } from './EnrolForm.tsx';
import { useLiveQuery } from './live.ts';

export function SignInScreen() {
  const app = useApp();
  const { t, errorOf } = useText();
  const [role, setRole] = useState<'agent' | 'supervisor'>('agent');
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const enrolled = useLiveQuery(() => isEnrolled(app.db), []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const name = username.trim().toLowerCase();
    const result =
      role === 'agent'
        ? await signInAgent(app.db, app.baseUrl, name, secret, browserDeps)
        : await signInSupervisor(app.db, app.baseUrl, name, secret);
    setBusy(false);
    if (!result.ok) {
      const code =
        role === 'supervisor' && result.error === 'sign-in-failed'
          ? 'password-sign-in-failed'
          : result.error;
      setError(errorOf(code));
      return;
    }
    setSecret('');
    app.signedIn();
  }

  return (
    <main class="screen sign-in">
      <h1>{t('appName')}</h1>
      <div class="tabs" role="tablist">
        {(['agent', 'supervisor'] as const).map((r) => (
          <button
            type="button"
            role="tab"
            aria-selected={role === r}
            class={role === r ? 'tab active' : 'tab'}
            onClick={() => setRole(r)}
            data-testid={`role-${r}`}
          >
            {t(r)}
          </button>
        ))}
      </div>
      {role === 'agent' && enrolled === false ? (
        <EnrolForm />
      ) : (
        <form onSubmit={submit} class="card">
          <label>
            {t('username')}
            <input
              name="username"
              autocomplete="username"
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
              required
            />
          </label>
          <label>
            {role === 'agent' ? t('pin') : t('password')}
            <input
              name="secret"
              type="password"
              inputMode={role === 'agent' ? 'numeric' : 'text'}
              autocomplete="current-password"
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
              required
            />
          </label>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t('signingIn') : t('signIn')}
          </button>
        </form>
      )}
      <button
        type="button"
        class="link"
        onClick={() => app.setLanguage(app.language === 'en' ? 'zh' : 'en')}
      >
        {t('language')}
      </button>
    </main>
  );
}
