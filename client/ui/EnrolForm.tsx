/** Enrolment of this device with a supervisor's one-time code, before any agent signs in here. */
import { useState } from 'preact/hooks';
import { enrolDevice } from '../auth/enrol.ts';
import { browserDeps } from '../db/facts.ts';
import { useApp, useText } from './context.ts';

export function EnrolForm() {
  const app = useApp();
  const { t, errorOf } = useText();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const result = await enrolDevice(app.db, app.baseUrl, code, browserDeps);
    setBusy(false);
    if (!result.ok) setError(errorOf(result.error));
  }

  return (
    <form onSubmit={submit} class="card" data-testid="enrol-form">
      <h2>{t('enrolTitle')}</h2>
      <p class="muted">{t('enrolExplain')}</p>
      <label>
        {t('enrolmentCode')}
        <input
          name="enrolment-code"
          autocomplete="off"
          autocapitalize="characters"
          placeholder="XXXX-XXXX-XXXX"
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
          required
        />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t('enrolling') : t('enrol')}
      </button>
    </form>
  );
}
