/**
 * Recording a meter reading at the door. The reading, and the bill printed with it, are new
 * facts on the device, written before anything else happens; the bill is shown at once, online
 * or not.
 */
import { useState } from 'preact/hooks';
import type { AccountView } from '../db/accounts.ts';
import { browserDeps } from '../db/facts.ts';
import { recordReading } from '../db/readings.ts';
import { ErrorLine } from './AccountActions.tsx';
import { useApp, useText } from './context.ts';
import { day } from './format.ts';

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * A meter reading, and the bill for the period since the last one, printed at the door. A
 * reading dated in the future is refused; one implying far more use than the meter's history
 * is recorded only once the agent has checked the meter and confirms it.
 */
export function MeterReadingForm({ view }: { view: AccountView }) {
  const app = useApp();
  const { t } = useText();
  const reading = useMeterReading(view);
  const { register, readOn, bill, error, notice, confirming, submit } = reading;
  const last = view.account.lastReading;
  return (
    <form class="card reading" onSubmit={(e) => void submit(e)} data-testid="reading-form">
      <h3>{t('readMeter')}</h3>
      {last && (
        <p class="muted" data-testid="last-reading">
          {t('lastReading')}: {last.registerKwh} {t('kwhUnit')} ·{' '}
          {day(last.readOn, app.language, true)}
        </p>
      )}
      <label>
        {t('registerKwh')}
        <input
          name="register"
          inputMode="numeric"
          value={register}
          onInput={(e) => {
            reading.setRegister(e.currentTarget.value);
            reading.setConfirming(false);
          }}
          required
        />
      </label>
      <label>
        {t('readOn')}
        <input
          name="read-on"
          type="date"
          value={readOn}
          max={today()}
          onInput={(e) => {
            reading.setReadOn(e.currentTarget.value);
            reading.setConfirming(false);
          }}
          required
        />
      </label>
      <label class="check">
        <input
          name="print-bill"
          type="checkbox"
          checked={bill}
          onChange={(e) => reading.setBill(e.currentTarget.checked)}
        />
        {t('printBill')}
      </label>
      <ErrorLine error={error} />
      {notice && <p class="notice">{notice}</p>}
      {confirming ? (
        <button
          type="button"
          class="danger"
          data-testid="confirm-reading"
          onClick={(e) => void submit(e, true)}
        >
          {t('recordReadingAnyway')}
        </button>
      ) : (
        <button type="submit">{t('recordReading')}</button>
      )}
    </form>
  );
}

/**
 * The reading form's state and its submission. A bill is printed by default once the meter
 * has an earlier reading to bill from; the receipt screen shows it.
 */
function useMeterReading(view: AccountView) {
  const app = useApp();
  const { t, errorOf } = useText();
  const [register, setRegister] = useState('');
  const [readOn, setReadOn] = useState(today());
  const [bill, setBill] = useState(view.account.lastReading !== null);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);

  async function submit(event: Event, confirmedImplausible = false) {
    event.preventDefault();
    const session = app.session;
    if (!session) return setError(errorOf('not-signed-in'));
    const kwh = Number(register);
    if (!/^\d{1,9}$/.test(register.trim()) || !Number.isSafeInteger(kwh))
      return setError(errorOf('reading-not-a-number'));
    const result = await recordReading(
      app.db,
      {
        accountId: view.account.id,
        registerKwh: kwh,
        readOn,
        agent: session.user,
        bill,
        confirmedImplausible,
      },
      browserDeps,
    );
    if (!result.ok) {
      setConfirming(result.error === 'reading-implausible');
      return setError(errorOf(result.error));
    }
    setError(undefined);
    setConfirming(false);
    void app.requestSync();
    if (result.value.bill) app.go({ name: 'receipt', seq: result.value.bill.seq });
    else {
      setRegister('');
      setNotice(t('readingRecorded'));
    }
  }

  return {
    register,
    setRegister,
    readOn,
    setReadOn,
    bill,
    setBill,
    error,
    notice,
    confirming,
    setConfirming,
    submit,
  };
}
