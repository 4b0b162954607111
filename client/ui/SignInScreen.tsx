/** Sign-in for agents (username and PIN, online or offline) and supervisors (password). */
import { useState } from 'preact/hooks';
import { isEnrolled } from '../auth/enrol.ts';
import { signInAgent, signInSupervisor } from '../auth/session.ts';
import { browserDeps } from '../db/facts.ts';
import { useApp, useText } from './context.ts';
import { EnrolForm } from './EnrolForm.tsx';
import { useLiveQuery } from './live.ts';

type Role = 'agent' | 'supervisor';

export function SignInScreen() {
  const app = useApp();
  const { t } = useText();
  const [role, setRole] = useState<Role>('agent');
  const signIn = useSignIn(role);
  const enrolled = useLiveQuery(() => isEnrolled(app.db), []);
  return (
    <main class="screen sign-in">
      <h1>{t('appName')}</h1>
      <RoleTabs role={role} onChange={setRole} />
      {role === 'agent' && enrolled === false ? (
        <EnrolForm />
      ) : (
        <SignInForm role={role} signIn={signIn} />
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

/**
 * The form's fields and its submission. They live on the screen, not in the form, so what was
 * typed survives a switch of role that shows the enrolment form for a while.
 */
function useSignIn(role: Role) {
  const app = useApp();
  const { errorOf } = useText();
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

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

  return { username, setUsername, secret, setSecret, error, busy, submit };
}

type SignIn = ReturnType<typeof useSignIn>;

function RoleTabs({ role, onChange }: { role: Role; onChange: (role: Role) => void }) {
  const { t } = useText();
  return (
    <div class="tabs" role="tablist">
      {(['agent', 'supervisor'] as const).map((r) => (
        <button
          type="button"
          role="tab"
          aria-selected={role === r}
          class={role === r ? 'tab active' : 'tab'}
          onClick={() => onChange(r)}
          data-testid={`role-${r}`}
        >
          {t(r)}
        </button>
      ))}
    </div>
  );
}

/** Username and secret: a PIN for an agent, a password for a supervisor. */
function SignInForm({ role, signIn }: { role: Role; signIn: SignIn }) {
  const { t } = useText();
  const { username, secret, error, busy } = signIn;
  return (
    <form onSubmit={signIn.submit} class="card">
      <label>
        {t('username')}
        <input
          name="username"
          autocomplete="username"
          value={username}
          onInput={(e) => signIn.setUsername(e.currentTarget.value)}
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
          onInput={(e) => signIn.setSecret(e.currentTarget.value)}
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
  );
}
