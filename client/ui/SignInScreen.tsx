/** Sign-in for agents (username and PIN, online or offline) and supervisors (password). */
import { useState } from 'preact/hooks';
import { isEnrolled } from '../auth/enrol.ts';
import {
  answerSecondFactor,
  answerWithPasskey,
  sessionLocked,
  signInAgent,
  signInSupervisor,
  type SecondFactorNeeded,
} from '../auth/session.ts';
import { browserDeps } from '../db/facts.ts';
import { ContrastSwitch } from './ContrastSwitch.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { useApp, useText } from './context.ts';
import { EnrolForm } from './EnrolForm.tsx';
import { useLiveQuery } from './live.ts';

type Role = 'agent' | 'supervisor';

const LAST_AGENT = 'gridtally.lastAgent';

export function SignInScreen() {
  const app = useApp();
  const { t } = useText();
  const [role, setRole] = useState<Role>('agent');
  const signIn = useSignIn(role);
  const enrolled = useLiveQuery(() => isEnrolled(app.db), []);
  const locked = useLiveQuery(() => sessionLocked(app.db), []);
  return (
    <main class="screen sign-in">
      <h1>{t('appName')}</h1>
      {locked && role === 'agent' && (
        <p class="notice" data-testid="data-locked">
          {t('dataLocked')}
        </p>
      )}
      <RoleTabs role={role} onChange={setRole} />
      {role === 'agent' && enrolled === false ? (
        <EnrolForm />
      ) : role === 'supervisor' && signIn.secondFactor ? (
        <SecondFactorForm signIn={signIn} />
      ) : (
        <SignInForm role={role} signIn={signIn} />
      )}
      <LanguageSwitch />
      <ContrastSwitch />
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
  // The last agent who signed in on this tablet, so a reload asks only for the PIN.
  const [username, setUsername] = useState(() =>
    role === 'agent' ? (localStorage.getItem(LAST_AGENT) ?? '') : '',
  );
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [secondFactor, setSecondFactor] = useState<SecondFactorNeeded | undefined>();

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
    if ('challenge' in result.value) return setSecondFactor(result.value);
    if (role === 'agent') localStorage.setItem(LAST_AGENT, name);
    app.signedIn();
  }

  /** The second step of a supervisor's sign-in: a code, a recovery code or a passkey. */
  async function finish(answer: { totp: string } | { recoveryCode: string } | 'passkey') {
    if (!secondFactor) return;
    setBusy(true);
    setError(undefined);
    const result =
      answer === 'passkey'
        ? await answerWithPasskey(app.db, app.baseUrl, secondFactor.challenge)
        : await answerSecondFactor(app.db, app.baseUrl, secondFactor.challenge, answer);
    setBusy(false);
    if (!result.ok) {
      if (result.error === 'second-factor-expired' || result.error === 'sign-in-locked')
        setSecondFactor(undefined);
      setError(errorOf(result.error));
      return;
    }
    setSecondFactor(undefined);
    app.signedIn();
  }

  return {
    username,
    setUsername,
    secret,
    setSecret,
    error,
    busy,
    submit,
    secondFactor,
    finish,
  };
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

/** The second factor: the code the authenticator app shows, a recovery code, or a passkey. */
function SecondFactorForm({ signIn }: { signIn: SignIn }) {
  const { t } = useText();
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const methods = signIn.secondFactor?.methods ?? [];
  return (
    <form
      class="card"
      onSubmit={(event) => {
        event.preventDefault();
        void signIn.finish(recovery ? { recoveryCode: code } : { totp: code.replace(/\s/g, '') });
      }}
    >
      <p>{t('secondFactorAsk')}</p>
      {methods.includes('totp') && (
        <label>
          {recovery ? t('recoveryCode') : t('authenticatorCode')}
          <input
            name="second-factor-code"
            inputMode={recovery ? 'text' : 'numeric'}
            autocomplete="one-time-code"
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
            required
          />
        </label>
      )}
      {signIn.error && (
        <p class="error" role="alert">
          {signIn.error}
        </p>
      )}
      {methods.includes('totp') && (
        <button type="submit" class="primary" disabled={signIn.busy}>
          {t('signIn')}
        </button>
      )}
      {methods.includes('passkey') && (
        <button type="button" disabled={signIn.busy} onClick={() => void signIn.finish('passkey')}>
          {t('usePasskey')}
        </button>
      )}
      {methods.includes('recovery-code') && (
        <button type="button" class="link" onClick={() => setRecovery(!recovery)}>
          {recovery ? t('useAuthenticatorCode') : t('useRecoveryCode')}
        </button>
      )}
    </form>
  );
}
