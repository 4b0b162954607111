/**
 * One customer: what is owed and which bills are open, as the device knows it; the cash
 * payment form; the payments this tablet took, each of which can be voided; the meter reading
 * with its bill; and the contact fields, each of which can be corrected. Everything is stored
 * on the device before anything else happens; the receipt follows at once, online or not.
 */
import { formatAmount, minor, ZERO } from '../../shared/money.ts';
import { outstanding } from '../../shared/billing.ts';
import { accountView, type AccountView } from '../db/accounts.ts';
import { ContactCard, OwnPayments } from './AccountActions.tsx';
import { PaymentForm } from './PaymentForm.tsx';
import { useApp, useRevoked, useText } from './context.ts';
import { money } from './format.ts';
import { useLiveQuery } from './live.ts';
import { MeterReadingForm } from './MeterReadingForm.tsx';

export function AccountScreen({ accountId }: { accountId: string }) {
  const app = useApp();
  const { t } = useText();
  const view = useLiveQuery(() => accountView(app.db, accountId), [accountId]);
  const revoked = useRevoked();
  if (!view) return <main class="screen" />;
  const { account, balanceMinor } = view;
  return (
    <main class="screen account">
      <button type="button" class="link" onClick={() => app.go({ name: 'search' })}>
        ← {t('back')}
      </button>
      <AccountSummary view={view} />
      <OpenBills view={view} />
      {/* A revoked device records nothing: the banner at the top says why. */}
      {!revoked && (
        <>
          <PaymentForm
            accountId={account.id}
            currency={account.currency}
            suggestedMinor={balanceMinor > 0 ? balanceMinor : ZERO}
            owedMinor={balanceMinor}
            bills={view.openBills}
            prepaid={account.prepaid !== undefined}
          />
          <OwnPayments view={view} />
          <MeterReadingForm view={view} />
          <ContactCard view={view} />
        </>
      )}
    </main>
  );
}

/** Who the customer is, what they owe (or their credit), and how much here is not yet synced. */
function AccountSummary({ view }: { view: AccountView }) {
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
      {view.unsynced.length > 0 && (
        <p class="pending-note">
          {view.unsynced.length} {t('unsynced')}
        </p>
      )}
    </section>
  );
}

/** The bills not yet paid in full, each with what is left of it. */
function OpenBills({ view }: { view: AccountView }) {
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
              <th>{t('due')}</th>
              <th class="num">{t('amount')}</th>
              <th class="num">{t('left')}</th>
            </tr>
          </thead>
          <tbody>
            {view.openBills.map((bill) => (
              <tr key={bill.id}>
                <td>
                  {bill.period.from} – {bill.period.to}
                </td>
                <td>{bill.dueOn}</td>
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
