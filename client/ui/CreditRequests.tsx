/**
 * Refund and credit-transfer requests (the seed's 余额转移): on an account with credit the agent
 * asks for it back, or for it to be moved to another account by its number; each request is a
 * fact that waits for a supervisor's decision and moves no money until then. The requests this
 * tablet made show their state: not yet synced, waiting for a supervisor, approved or refused.
 */
import { useState } from 'preact/hooks';
import {
  creditRequestReasons,
  refundPayouts,
  type CreditRequestReason,
} from '../../shared/facts.ts';
import { minor, parseAmount, formatAmount } from '../../shared/money.ts';
import { creditAvailable } from '../../shared/rules/request.ts';
import type { AccountView } from '../db/accounts.ts';
import type { StoredFact } from '../db/database.ts';
import { browserDeps, ownRequested, recordCreditRequest } from '../db/facts.ts';
import { ErrorLine, NoteField } from './AccountActions.tsx';
import { useApp, useText } from './context.ts';
import { fill, money } from './format.ts';
import { useLiveQuery } from './live.ts';
import { flagText, type MessageKey } from './messages.ts';

type Kind = 'refund-request' | 'transfer-request';
type Payout = (typeof refundPayouts)[number];

const isRequest = (stored: StoredFact) =>
  stored.fact.kind === 'refund-request' || stored.fact.kind === 'transfer-request';

export function CreditRequests({ view }: { view: AccountView }) {
  const { t } = useText();
  const { account } = view;
  const free = creditAvailable(view.balanceMinor, ownRequested(account, view.own));
  const made = view.own.filter(isRequest);
  if (free <= 0 && made.length === 0) return null;
  return (
    <section class="card" data-testid="credit-requests">
      <h3>{t('creditRequests')}</h3>
      <p data-testid="credit-free">
        {fill(t('creditFree'), { amount: money(minor(free), account.currency) })}
      </p>
      {free > 0 && <RequestForm view={view} freeMinor={free} />}
      {made.length > 0 && <RequestList made={made} view={view} />}
    </section>
  );
}

function RequestForm({ view, freeMinor }: { view: AccountView; freeMinor: number }) {
  const app = useApp();
  const { t, errorOf } = useText();
  const { account } = view;
  const [kind, setKind] = useState<Kind>('refund-request');
  const [amount, setAmount] = useState(formatAmount(minor(freeMinor), account.currency));
  const [reason, setReason] = useState<CreditRequestReason>('overpaid');
  const [payTo, setPayTo] = useState<Payout>('cash');
  const [payToDetail, setPayToDetail] = useState('');
  const [toNumber, setToNumber] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState(false);
  const target = useLiveQuery(
    () => app.db.accounts.where('accountNumber').equals(toNumber.trim().toUpperCase()).first(),
    [toNumber],
  );

  const send = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    const parsed = parseAmount(amount, account.currency);
    if (!parsed.ok) return setError(errorOf(parsed.error));
    if (!app.session) return setError(errorOf('not-signed-in'));
    const common = {
      accountId: account.id,
      amountMinor: parsed.value,
      reason,
      ...(note.trim() ? { note: note.trim() } : {}),
    };
    const result = await recordCreditRequest(
      app.db,
      kind === 'refund-request'
        ? {
            kind,
            agent: app.session.user,
            body: {
              ...common,
              payTo,
              ...(payTo !== 'cash' && payToDetail.trim()
                ? { payToDetail: payToDetail.trim() }
                : {}),
            },
          }
        : {
            kind,
            agent: app.session.user,
            body: { ...common, toAccountNumber: toNumber.trim().toUpperCase() },
          },
      browserDeps,
    );
    if (!result.ok) return setError(errorOf(result.error));
    setError(undefined);
    setDone(true);
    setNote('');
    void app.requestSync();
  };

  return (
    <form class="request-form" onSubmit={(event) => void send(event)}>
      <div class="tabs" role="radiogroup" aria-label={t('creditRequests')}>
        {(['refund-request', 'transfer-request'] as const).map((option) => (
          <button
            key={option}
            type="button"
            role="radio"
            aria-checked={kind === option}
            class={kind === option ? 'tab active' : 'tab'}
            data-testid={`request-${option}`}
            onClick={() => setKind(option)}
          >
            {option === 'refund-request' ? t('requestRefund') : t('requestTransfer')}
          </button>
        ))}
      </div>
      <label>
        {fill(t('requestAmount'), { currency: account.currency })}
        <input
          name="request-amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onInput={(event) => setAmount(event.currentTarget.value)}
        />
      </label>
      {kind === 'transfer-request' ? (
        <label>
          {t('toAccountNumber')}
          <input
            name="to-account"
            autoComplete="off"
            autoCapitalize="characters"
            placeholder="GT-10002"
            value={toNumber}
            onInput={(event) => setToNumber(event.currentTarget.value)}
          />
          {target && (
            <span class="muted" data-testid="to-account-name">
              {fill(t('toAccountIs'), { name: target.name })}
            </span>
          )}
        </label>
      ) : (
        <>
          <label>
            {t('payTo')}
            <select
              name="pay-to"
              value={payTo}
              onChange={(event) => setPayTo(event.currentTarget.value as Payout)}
            >
              {refundPayouts.map((option) => (
                <option key={option} value={option}>
                  {t(`payout.${option}`)}
                </option>
              ))}
            </select>
          </label>
          {payTo !== 'cash' && (
            <label>
              {t('payToDetail')}
              <input
                name="pay-to-detail"
                autoComplete="off"
                value={payToDetail}
                onInput={(event) => setPayToDetail(event.currentTarget.value)}
              />
            </label>
          )}
        </>
      )}
      <label>
        {t('requestReason')}
        <select
          name="request-reason"
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value as CreditRequestReason)}
        >
          {creditRequestReasons.map((option) => (
            <option key={option} value={option}>
              {t(`reason.${option}`)}
            </option>
          ))}
        </select>
      </label>
      <NoteField name="request-note" value={note} onInput={setNote} />
      <ErrorLine error={error} />
      {done && (
        <p class="muted" role="status">
          {t('requestRecorded')}
        </p>
      )}
      <button type="submit" class="primary">
        {t('sendRequest')}
      </button>
    </form>
  );
}

function stateOf(stored: StoredFact): { key: MessageKey; pill: string } {
  if (stored.status === 'pending') return { key: 'requestWaitsHub', pill: 'unsynced' };
  if (stored.outcome === 'held') return { key: 'requestWaitsSupervisor', pill: 'flagged' };
  if (stored.outcome === 'accepted') return { key: 'requestApproved', pill: 'counted' };
  return { key: 'requestRefused', pill: 'voided' };
}

function RequestList({ made, view }: { made: readonly StoredFact[]; view: AccountView }) {
  const app = useApp();
  const { t } = useText();
  return (
    <>
      <h4>{t('requestsMade')}</h4>
      <ul class="history">
        {made.map((stored) => {
          const fact = stored.fact;
          if (fact.kind !== 'refund-request' && fact.kind !== 'transfer-request') return null;
          const state = stateOf(stored);
          return (
            <li key={stored.id} data-testid="credit-request">
              <div class="history-main">
                <strong>{money(fact.body.amountMinor, view.account.currency)}</strong>
                <span>
                  {fact.kind === 'refund-request'
                    ? t('requestRefund')
                    : `${t('requestTransfer')} · ${fact.body.toAccountNumber}`}
                </span>
                <span class={`pill ${state.pill}`} data-testid="credit-request-state">
                  {t(state.key)}
                </span>
              </div>
              {state.key === 'requestRefused' && stored.reason && (
                <div class="muted">{flagText(app.language, stored.reason)}</div>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}
