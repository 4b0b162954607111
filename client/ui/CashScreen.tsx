/**
 * The day's cash (issue 13, item 6): what this tablet took since its last handover, by method,
 * and the handover itself. The agent counts the cash blind, note by note and coin by coin: once
 * the count starts, the totals by method leave the screen (the cash line is what is expected),
 * and come back with the expected cash and the difference once the count is done; a difference
 * beyond the tolerance needs a reason. The handover is a fact that syncs for a supervisor to
 * confirm; the next one starts after it.
 */
import { useState } from 'preact/hooks';
import { DENOMINATIONS } from '../../shared/denominations.ts';
import { varianceReasons, type VarianceReason } from '../../shared/facts.ts';
import { formatAmount, minor, type CurrencyCode } from '../../shared/money.ts';
import { DEFAULT_HANDOVER_TOLERANCE_MINOR } from '../../shared/rules/handover.ts';
import type { StoredFact } from '../db/database.ts';
import { browserDeps } from '../db/facts.ts';
import { dayCash, recordHandover } from '../db/handover.ts';
import { ErrorLine, NoteField } from './AccountActions.tsx';
import { useApp, useRevoked, useText } from './context.ts';
import { dateTime, fill, localeOf, money } from './format.ts';
import { useLiveQuery } from './live.ts';
import { flagText } from './messages.ts';

/** Where the handover stands: totals shown; counting blind; counted, compared with expected. */
type CountPhase = 'totals' | 'counting' | 'counted';

export function CashScreen() {
  const app = useApp();
  const { t } = useText();
  const [phase, setPhase] = useState<CountPhase>('totals');
  const currency = useLiveQuery(
    async () => (await app.db.accounts.limit(1).first())?.currency ?? ('KES' as CurrencyCode),
    [],
  );
  const cash = useLiveQuery(
    async () => (currency ? dayCash(app.db, currency) : undefined),
    [currency],
  );
  const latest = useLiveQuery(
    async () => (await app.db.facts.filter((f) => f.kind === 'handover').sortBy('seq')).at(-1),
    [],
  );
  const revoked = useRevoked();
  if (!cash || !currency) return <main class="screen" />;
  return (
    <main class="screen cash">
      <button type="button" class="link" onClick={() => app.go({ name: 'search' })}>
        ← {t('back')}
      </button>
      <section class="card" data-testid="day-totals">
        <h2>{t('daysCash')}</h2>
        <p class="muted">
          {cash.last
            ? `${t('sinceHandover')} · ${dateTime(cash.last.at, app.language)}`
            : t('sinceStart')}
        </p>
        {phase === 'counting' ? (
          <p class="muted" data-testid="totals-hidden">
            {t('totalsHiddenCounting')}
          </p>
        ) : cash.methods.length === 0 ? (
          <p class="muted">{t('noPaymentsYet')}</p>
        ) : (
          <table class="bills">
            <tbody>
              {cash.methods.map((m) => (
                <tr key={m.method} data-testid="method-total">
                  <td>{t(`method.${m.method}`)}</td>
                  <td class="num">
                    {m.count}{' '}
                    {new Intl.PluralRules(localeOf(app.language)).select(m.count) === 'one'
                      ? t('payment')
                      : t('payments')}
                  </td>
                  <td class="num">{money(minor(m.amountMinor), currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {latest && <LatestHandover stored={latest} currency={currency} />}
      {!revoked && (
        <BlindCount
          key={cash.fromSeq}
          currency={currency}
          expectedMinor={cash.expectedCashMinor}
          phase={phase}
          onPhase={setPhase}
        />
      )}
    </main>
  );
}

function BlindCount({
  currency,
  expectedMinor,
  phase,
  onPhase,
}: {
  currency: CurrencyCode;
  expectedMinor: number;
  phase: CountPhase;
  onPhase: (next: CountPhase) => void;
}) {
  const app = useApp();
  const { t, errorOf } = useText();
  const values = DENOMINATIONS[currency];
  const [counts, setCounts] = useState<Record<number, string>>({});
  const done = phase === 'counted';
  const [reason, setReason] = useState<VarianceReason | ''>('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const lines = values.map((valueMinor) => ({
    valueMinor,
    count: Math.max(0, Math.floor(Number(counts[valueMinor] ?? '0') || 0)),
  }));
  const counted = lines.reduce((sum, line) => sum + line.valueMinor * line.count, 0);
  const variance = counted - expectedMinor;
  const needsReason = Math.abs(variance) > DEFAULT_HANDOVER_TOLERANCE_MINOR;

  const handOver = async (event: Event) => {
    event.preventDefault();
    if (!app.session) return setError(errorOf('not-signed-in'));
    if (needsReason && reason === '') return setError(errorOf('variance-unexplained'));
    const result = await recordHandover(
      app.db,
      {
        currency,
        counted: lines,
        ...(reason !== '' ? { varianceReason: reason } : {}),
        note,
        agent: app.session.user,
      },
      browserDeps,
    );
    if (!result.ok) return setError(errorOf(result.error));
    setError(undefined);
    onPhase('totals');
    void app.requestSync();
  };

  if (phase === 'totals')
    return (
      <section class="card" data-testid="blind-count">
        <h3>{t('blindCount')}</h3>
        <p class="muted">{t('blindCountHint')}</p>
        <button
          type="button"
          class="primary"
          data-testid="start-count"
          onClick={() => onPhase('counting')}
        >
          {t('startCount')}
        </button>
      </section>
    );

  return (
    <section class="card" data-testid="blind-count">
      <h3>{t('blindCount')}</h3>
      <p class="muted">{t('blindCountHint')}</p>
      <form class="count-form" onSubmit={(event) => void handOver(event)}>
        <fieldset disabled={done} aria-label={t('notes')}>
          {values.map((valueMinor) => (
            <label key={valueMinor} class="count-line">
              <span>{formatAmount(minor(valueMinor), currency)}</span>
              <span aria-hidden="true">×</span>
              <input
                name={`count-${valueMinor}`}
                inputMode="numeric"
                autoComplete="off"
                aria-label={`${formatAmount(minor(valueMinor), currency)} ×`}
                value={counts[valueMinor] ?? ''}
                onInput={(event) =>
                  setCounts({ ...counts, [valueMinor]: event.currentTarget.value })
                }
              />
            </label>
          ))}
        </fieldset>
        <p class="balance">
          <span>{t('countedTotal')}</span>
          <strong data-testid="counted-total">{money(minor(counted), currency)}</strong>
        </p>
        {!done ? (
          <button
            type="button"
            class="primary"
            data-testid="count-done"
            onClick={() => onPhase('counted')}
          >
            {t('countDone')}
          </button>
        ) : (
          <>
            <dl class="facts" data-testid="count-result">
              <dt>{t('expectedCash')}</dt>
              <dd data-testid="expected-cash">{money(minor(expectedMinor), currency)}</dd>
              <dt>{t('variance')}</dt>
              <dd data-testid="variance" class={needsReason ? 'warn' : undefined}>
                {variance === 0 ? t('varianceNone') : money(minor(variance), currency)}
              </dd>
            </dl>
            {needsReason && (
              <>
                <p class="warn">
                  {fill(t('varianceReasonAsk'), {
                    tolerance: money(minor(DEFAULT_HANDOVER_TOLERANCE_MINOR), currency),
                  })}
                </p>
                <label>
                  {t('varianceReason')}
                  <select
                    name="variance-reason"
                    value={reason}
                    onChange={(event) => {
                      setReason(event.currentTarget.value as VarianceReason | '');
                      setError(undefined);
                    }}
                  >
                    <option value="">—</option>
                    {varianceReasons.map((option) => (
                      <option key={option} value={option}>
                        {t(`reason.${option}`)}
                      </option>
                    ))}
                  </select>
                </label>
              </>
            )}
            <NoteField name="handover-note" value={note} onInput={setNote} />
            <ErrorLine error={error} />
            <div class="actions">
              <button type="button" onClick={() => onPhase('counting')}>
                {t('recountCash')}
              </button>
              <button type="submit" class="primary">
                {t('handOver')}
              </button>
            </div>
          </>
        )}
      </form>
    </section>
  );
}

function LatestHandover({ stored, currency }: { stored: StoredFact; currency: CurrencyCode }) {
  const app = useApp();
  const { t } = useText();
  const fact = stored.fact;
  if (fact.kind !== 'handover') return null;
  const state =
    stored.status === 'pending'
      ? t('requestWaitsHub')
      : stored.outcome === 'held'
        ? t('handoverWaits')
        : stored.outcome === 'flagged' && stored.reason
          ? `${t('handoverRefused')}: ${flagText(app.language, stored.reason)}`
          : t('requestApproved');
  return (
    <section class="card" data-testid="last-handover">
      <h3>{t('lastHandover')}</h3>
      <dl class="facts">
        <dt>{t('countedTotal')}</dt>
        <dd>{money(fact.body.countedMinor, currency)}</dd>
        <dt>{t('expectedCash')}</dt>
        <dd>{money(fact.body.expectedMinor, currency)}</dd>
        <dt>{t('takenAt')}</dt>
        <dd>{dateTime(fact.recordedAt, app.language)}</dd>
        <dt>{t('status')}</dt>
        <dd data-testid="handover-state">{state}</dd>
      </dl>
    </section>
  );
}
