/** The receipt of a payment just recorded, shown at once; it says whether it has synced. */
import { minor } from '../../shared/money.ts';
import { deviceBalance } from '../../shared/protocol.ts';
import { useApp, useText } from './context.ts';
import { dateTime, money } from './format.ts';
import { useLiveQuery } from './live.ts';

export function ReceiptScreen({ seq }: { seq: number }) {
  const app = useApp();
  const { t } = useText();
  const data = useLiveQuery(async () => {
    const stored = await app.db.facts.get(seq);
    if (!stored) return undefined;
    const account = await app.db.accounts.get(stored.accountId);
    const own = await app.db.facts.where('accountId').equals(stored.accountId).toArray();
    return { stored, account, balance: account ? deviceBalance(account, own) : undefined };
  }, [seq]);
  if (!data) return <main class="screen" />;
  const { stored, account, balance } = data;
  if (stored.fact.kind !== 'payment') return <main class="screen" />;
  const body = stored.fact.body;
  return (
    <main class="screen receipt">
      <section class="card paper" data-testid="receipt">
        <h2>{t('receipt')}</h2>
        <dl class="facts">
          <dt>{t('receiptNumber')}</dt>
          <dd data-testid="receipt-number">{body.receiptNumber}</dd>
          <dt>{t('customer')}</dt>
          <dd>{account?.name ?? body.accountId}</dd>
          <dt>{t('accountNumber')}</dt>
          <dd>{account?.accountNumber ?? body.accountId}</dd>
          <dt>{t('method')}</dt>
          <dd>{t('cash')}</dd>
          <dt>{t('amountPaid')}</dt>
          <dd data-testid="receipt-amount">{money(body.amountMinor, body.currency)}</dd>
          <dt>{t('tendered')}</dt>
          <dd>{money(body.tenderedMinor, body.currency)}</dd>
          <dt>{t('change')}</dt>
          <dd>{money(body.changeMinor, body.currency)}</dd>
          {balance !== undefined && (
            <>
              <dt>{balance >= 0 ? t('balanceAfter') : t('creditAfter')}</dt>
              <dd data-testid="receipt-balance">
                {money(balance >= 0 ? balance : minor(-balance), body.currency)}
              </dd>
            </>
          )}
          <dt>{t('takenBy')}</dt>
          <dd>{app.session?.user.displayName ?? stored.fact.agentId}</dd>
          <dt>{t('takenAt')}</dt>
          <dd>{dateTime(stored.fact.recordedAt, app.language)}</dd>
        </dl>
        <p
          class={stored.status === 'acked' ? 'sync-state synced' : 'sync-state pending'}
          data-testid="receipt-sync"
        >
          {stored.status === 'acked' ? t('syncSynced') : t('syncPending')}
        </p>
      </section>
      <button type="button" class="primary" onClick={() => app.go({ name: 'search' })}>
        {t('newCustomer')}
      </button>
    </main>
  );
}
