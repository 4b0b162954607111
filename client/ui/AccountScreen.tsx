/**
 * One customer: what is owed and which bills are open, as the device knows it; the payment
 * form; the payments this tablet took, each of which can be voided; the customer in full (use,
 * budget, advice, payments from every channel, bills: CustomerPanels.tsx, loaded when first
 * shown); the meter reading with its bill; and the contact fields, each of which can be
 * corrected. Opened online, the account is read from the hub at once and the screen says so;
 * offline it says as of when. Everything is stored on the device before anything else
 * happens; the receipt follows at once, online or not.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatAmount, minor, ZERO } from '../../shared/money.ts';
import { outstanding } from '../../shared/billing.ts';
import { accountView, noteRecent, type AccountView } from '../db/accounts.ts';
import { ContactCard, OwnPayments } from './AccountActions.tsx';
import { CreditRequests } from './CreditRequests.tsx';
import { PaymentForm } from './PaymentForm.tsx';
import { useApp, useRevoked, useText } from './context.ts';
import { money } from './format.ts';
import { useLiveQuery } from './live.ts';
import { MeterReadingForm } from './MeterReadingForm.tsx';
import { refreshAccount, storedDetail } from '../db/details.ts';
import { billPeriod, dateTime, day, fill } from './format.ts';
import { lazily } from './lazy.tsx';

const CustomerPanels = lazily(async () => (await import('./CustomerPanels.tsx')).CustomerPanels);

/** Where the balance shown comes from: the hub just now, or the last sync. */
type Freshness =
  | { readonly state: 'checking' }
  | { readonly state: 'fresh'; readonly at: string }
  | { readonly state: 'waits-sync'; readonly at: string }
  | { readonly state: 'as-of-sync'; readonly at: string }
  | { readonly state: 'offline' }
  | { readonly state: 'sign-in-for-live' };

/**
 * Reads the account from the hub whenever it can: when the screen opens, when the browser is
 * online again, and when a sync goes through again (the hub is back). A session signed in
 * offline carries the token of the agent's last online sign-in, which the hub takes for as long
 * as that session lives there (sync uses it too); one the hub no longer takes, or none at all
 * (signed out since), cannot read the hub, and the screen says to sign in online.
 */
function useRefresh(accountId: string): Freshness {
  const app = useApp();
  const session = app.session;
  const [freshness, setFreshness] = useState<Freshness>({ state: 'checking' });
  // Back online, or a sync through again, with the screen open: read it again.
  const [again, setAgain] = useState(0);
  useEffect(() => {
    const readAgain = () => setAgain((n) => n + 1);
    addEventListener('online', readAgain);
    return () => removeEventListener('online', readAgain);
  }, []);
  // Only a sync that goes through after one that did not: not on opening the screen.
  const synced = app.syncReport?.state === 'synced';
  const wasSynced = useRef(synced);
  useEffect(() => {
    if (synced && !wasSynced.current) setAgain((n) => n + 1);
    wasSynced.current = synced;
  }, [synced]);
  useEffect(() => {
    let live = true;
    if (!session || !navigator.onLine) {
      setFreshness({ state: 'offline' });
      return;
    }
    if (session.token === '') {
      setFreshness({ state: 'sign-in-for-live' });
      return;
    }
    setFreshness((now) => (now.state === 'fresh' ? now : { state: 'checking' }));
    void refreshAccount(
      app.db,
      { baseUrl: app.baseUrl, token: session.token },
      accountId,
      new Date(),
    ).then((answer) => {
      if (!live) return;
      if (answer.ok) {
        setFreshness({ state: answer.value.balance, at: answer.value.detail.asOf });
      } else if (answer.error.status === 401) {
        setFreshness({ state: 'sign-in-for-live' });
      } else if (answer.error.code === 'hub-unreachable') {
        setFreshness({ state: 'offline' });
        // The sync badge learns now that the hub is not answering, not at its next round.
        if (app.syncReport?.state === 'synced') void app.requestSync();
      } else {
        setFreshness({ state: 'offline' });
      }
    });
    return () => {
      live = false;
    };
  }, [accountId, session?.token, again]);
  return freshness;
}

export function AccountScreen({ accountId }: { accountId: string }) {
  const app = useApp();
  const { t } = useText();
  const view = useLiveQuery(() => accountView(app.db, accountId), [accountId]);
  const detail = useLiveQuery(() => storedDetail(app.db, accountId), [accountId]);
  const freshness = useRefresh(accountId);
  const revoked = useRevoked();
  // First among the recent customers the search screen offers: noted on leaving, so that the
  // write (to settings, where the chain's head is kept) is never queued before a payment's.
  useEffect(() => () => void noteRecent(app.db, accountId), [accountId]);
  if (!view) return <main class="screen" />;
  const { account, balanceMinor } = view;
  return (
    <main class="screen account">
      <button type="button" class="link" onClick={() => app.go({ name: 'search' })}>
        ← {t('back')}
      </button>
      {/*
       * Three regions, one after the other on a small screen; on a wide one the customer and
       * their bills beside the payment form, so "Record payment" is above the fold.
       */}
      <div class="region account-head">
        <AccountSummary view={view} freshness={freshness} />
        <OpenBills view={view} />
      </div>
      {/* A revoked device records nothing: the banner at the top says why. */}
      {!revoked && (
        <div class="region account-act">
          <PaymentForm
            accountId={account.id}
            snapshot={account}
            own={view.own}
            currency={account.currency}
            suggestedMinor={balanceMinor > 0 ? balanceMinor : ZERO}
            owedMinor={balanceMinor}
            bills={view.openBills}
            prepaid={account.prepaid !== undefined}
          />
          <OwnPayments view={view} />
          <CreditRequests view={view} />
        </div>
      )}
      <div class="region account-more">
        <CustomerPanels view={view} detail={detail ?? undefined} />
        {!revoked && (
          <>
            <MeterReadingForm view={view} />
            <ContactCard view={view} />
          </>
        )}
      </div>
    </main>
  );
}

/** Who the customer is, what they owe (or their credit), and how much here is not yet synced. */
function AccountSummary({ view, freshness }: { view: AccountView; freshness: Freshness }) {
  const { t } = useText();
  const { account, balanceMinor } = view;
  return (
    <section class="card">
      <h2 data-testid="customer-name">{view.contact.name}</h2>
      <dl class="facts">
        <dt>{t('accountNumber')}</dt>
        <dd>{account.accountNumber}</dd>
        <dt>{t('meter')}</dt>
        <dd>
          {account.meterNumber}
          {account.prepaid && (
            <span class="badge" data-testid="prepaid-badge">
              {' '}
              {t('prepaidMeter')}
            </span>
          )}
        </dd>
      </dl>
      <p class="balance">
        <span>{balanceMinor >= 0 ? t('balanceOwed') : t('credit')}</span>
        <strong data-testid="balance">
          {money(balanceMinor >= 0 ? balanceMinor : minor(-balanceMinor), account.currency)}
        </strong>
      </p>
      <FreshnessLine freshness={freshness} unsynced={view.unsynced.length} />
    </section>
  );
}

/** The bills not yet paid in full, each with what is left of it. */
function OpenBills({ view }: { view: AccountView }) {
  const app = useApp();
  const { t } = useText();
  const { account } = view;
  return (
    <section class="card">
      <h3>{t('openBills')}</h3>
      {view.openBills.length === 0 ? (
        <p class="muted">{t('noOpenBills')}</p>
      ) : (
        <table class="bills">
          <thead>
            <tr>
              <th>{t('period')}</th>
              <th class="due">{t('due')}</th>
              <th class="num">{t('amount')}</th>
              <th class="num">{t('left')}</th>
            </tr>
          </thead>
          <tbody>
            {view.openBills.map((bill) => (
              <tr key={bill.id}>
                <td>
                  <span data-testid="open-bill-period">
                    {billPeriod(bill.period, app.language)}
                  </span>
                  {/* On a small screen the due date goes under the period, not in a column. */}
                  <span class="due-under">
                    {t('due')} {day(bill.dueOn, app.language)}
                  </span>
                </td>
                <td class="due">{day(bill.dueOn, app.language)}</td>
                <td class="num">{formatAmount(bill.amountMinor, account.currency)}</td>
                <td class="num">{formatAmount(outstanding(bill), account.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Says where the balance comes from: the hub just now, or the last sync and this tablet. */
function FreshnessLine({ freshness, unsynced }: { freshness: Freshness; unsynced: number }) {
  const app = useApp();
  const { t } = useText();
  const cursor = useLiveQuery(() => app.db.settings.get('cursor'), []);
  const pulledAt = cursor?.key === 'cursor' ? cursor.pulledAt : undefined;
  const pulledText = pulledAt ? dateTime(pulledAt, app.language) : t('never');
  const withUnsynced =
    unsynced > 0 ? ` · ${fill(t('withUnsynced'), { count: String(unsynced) })}` : '';
  switch (freshness.state) {
    case 'checking':
      return (
        <p class="freshness muted" data-testid="freshness" data-state="checking">
          {t('checkingHub')}
        </p>
      );
    case 'fresh':
      return (
        <p class="freshness fresh" data-testid="freshness" data-state="fresh">
          {fill(t('freshHub'), { time: dateTime(freshness.at, app.language) })}
          {withUnsynced}
        </p>
      );
    case 'waits-sync':
      return (
        <p class="freshness" data-testid="freshness" data-state="waits-sync">
          {t('balanceWaitsSync')}
          {withUnsynced}
        </p>
      );
    case 'as-of-sync':
      return (
        <p class="freshness" data-testid="freshness" data-state="as-of-sync">
          {fill(t('balanceAsOfSync'), { time: pulledText })}
          {withUnsynced}
        </p>
      );
    case 'sign-in-for-live':
      return (
        <p class="freshness stale" data-testid="freshness" data-state="sign-in-for-live">
          {fill(t('signInForLive'), { time: pulledText })}
          {withUnsynced}
        </p>
      );
    case 'offline':
      return (
        <p class="freshness stale" data-testid="freshness" data-state="offline">
          {pulledAt
            ? fill(t('asOfSync'), { time: dateTime(pulledAt, app.language) })
            : t('asOfNever')}
          {withUnsynced}
        </p>
      );
  }
}
