/** Finding a customer in the route held on the device, as the agent types. */
import { useState } from 'preact/hooks';
import { countMatches, searchAccounts } from '../db/accounts.ts';
import { minor } from '../../shared/money.ts';
import { deviceBalance } from '../../shared/protocol.ts';
import { useApp, useText } from './context.ts';
import { ExportButton } from './ExportButton.tsx';
import { fill, money } from './format.ts';

/** Results shown at once; the rest are counted, and narrowing the search shows them. */
const SHOWN = 20;
import { useLiveQuery } from './live.ts';

export function SearchScreen() {
  const app = useApp();
  const { t } = useText();
  const [query, setQuery] = useState('');
  const total = useLiveQuery(() => app.db.accounts.count(), []);
  const answer = useLiveQuery(async () => {
    const accounts = await searchAccounts(app.db, query, SHOWN);
    const own = await app.db.facts
      .where('accountId')
      .anyOf(accounts.map((a) => a.id))
      .toArray();
    return {
      query,
      results: accounts.map((account) => ({ account, balance: deviceBalance(account, own) })),
      // Counted only when the page is full: otherwise there is nothing more.
      matches: accounts.length < SHOWN ? accounts.length : await countMatches(app.db, query),
    };
  }, [query]);
  // The answer to an earlier query is never shown for the one typed now: a tap on it would open
  // another customer than the one asked for (searching opens sealed records, and takes a moment).
  const results = answer?.query === query ? answer.results : undefined;
  const more = answer?.query === query && results ? answer.matches - results.length : 0;

  return (
    <main class="screen search">
      <label class="search-box">
        {t('searchLabel')}
        <input
          type="search"
          name="search"
          autofocus
          placeholder={t('searchPlaceholder')}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </label>
      {total === 0 && <p class="muted">{t('loadingRoute')}</p>}
      {results && results.length === 0 && total !== 0 && <p class="muted">{t('noMatches')}</p>}
      <ul class="results">
        {results?.map(({ account, balance }) => (
          <li key={account.id}>
            <button
              type="button"
              class="result"
              data-testid="search-result"
              onClick={() => app.go({ name: 'account', accountId: account.id })}
            >
              <span class="name">{account.name}</span>
              <span class="number">{account.accountNumber}</span>
              <span class="address">{account.address}</span>
              <span class={balance > 0 ? 'owed' : 'clear'}>
                {balance < 0
                  ? `${t('credit')} ${money(minor(-balance), account.currency)}`
                  : money(balance, account.currency)}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {more > 0 && (
        <p class="muted" data-testid="more-results">
          {fill(t('moreResults'), { count: String(more) })}
        </p>
      )}
      <ExportButton />
    </main>
  );
}
