/** Finding a customer in the route held on the device, as the agent types. */
import { useState } from 'preact/hooks';
import { recentAccounts, searchAccounts, type Counted } from '../db/accounts.ts';
import { readSetting, type StoredAccount } from '../db/database.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';
import { deviceBalance } from '../../shared/protocol.ts';
import { useApp, useText } from './context.ts';
import { ExportButton } from './ExportButton.tsx';
import { lazily } from './lazy.tsx';
import { fill, money } from './format.ts';
import { useLiveQuery } from './live.ts';

// A village agent's parts: loaded only on a pop-up point's tablet.
const CounterToday = lazily(async () => (await import('./CounterToday.tsx')).CounterToday);
const HubSearch = lazily(async () => (await import('./HubSearch.tsx')).HubSearch);

/** Results shown at once; the rest are counted, and narrowing the search shows them. */
const SHOWN = 20;

/** What the line under the results says of the rest, by how they were counted. */
const MORE_RESULTS = {
  exactly: 'moreResults',
  'at-most': 'moreResultsAtMost',
  'at-least': 'moreResultsAtLeast',
} as const satisfies Record<Counted, string>;

export function SearchScreen() {
  const app = useApp();
  const { t } = useText();
  const [query, setQuery] = useState('');
  // Counted once, and again only when the accounts held change: 150 ms for 50,000 in Chromium.
  const total = useLiveQuery(() => app.db.accounts.count(), []);
  const download = useLiveQuery(async () => (await readSetting(app.db, 'sync'))?.pullProgress, []);
  const answer = useLiveQuery(async () => {
    const { found, matches, counted, moreNear } = await searchAccounts(app.db, query, {
      limit: SHOWN,
      held: total,
    });
    const recent = query.trim() === '' ? await recentAccounts(app.db) : [];
    // One read per account, all asked at once: an index's anyOf walks a cursor a key at a time.
    // Once each: a recent customer is often among the results too, and a fact read twice would
    // count twice in the balance shown.
    const ids = new Set([...found.map((one) => one.account.id), ...recent.map(({ id }) => id)]);
    const own = (
      await Promise.all([...ids].map((id) => app.db.facts.where('accountId').equals(id).toArray()))
    ).flat();
    const shown = (account: StoredAccount, near: boolean): Shown => ({
      account,
      near,
      balance: deviceBalance(account, own),
    });
    return {
      query,
      results: found.map(({ account, near }) => shown(account, near)),
      recent: recent.map((account) => shown(account, false)),
      matches,
      counted,
      moreNear,
    };
  }, [query, total]);
  // The answer to an earlier query is never shown for the one typed now: a tap on it would open
  // another customer than the one asked for (searching opens sealed records, and takes a moment).
  const current = answer?.query === query ? answer : undefined;
  const results = current?.results;
  const more = current ? current.matches - current.results.length : 0;
  const onlyNear = results !== undefined && results.length > 0 && results[0]?.near === true;

  return (
    // Busy while the answer to what is typed now is being found (nothing of the last one shows).
    <main class="screen search" onKeyDown={moveAmongResults} aria-busy={current === undefined}>
      {app.session?.user.areaId && <CounterToday />}
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
      {download ? (
        <div class="route-download" data-testid="route-download">
          <progress max={download.total} value={download.done} />
          <span>
            {fill(t('routeDownload'), {
              done: String(download.done),
              total: String(download.total),
            })}
          </span>
        </div>
      ) : (
        total === 0 && <p class="muted">{t('loadingRoute')}</p>
      )}
      {results && results.length === 0 && total !== 0 && (
        <p class="muted" data-testid="no-matches">
          {/* A village agent's hub search follows: the line speaks of this tablet only. */}
          {t(app.session?.user.areaId ? 'noMatchesHere' : 'noMatches')}
        </p>
      )}
      {current && current.recent.length > 0 && (
        <section class="recent" data-testid="recent-customers">
          <h2>{t('recentCustomers')}</h2>
          <ResultList results={current.recent} />
        </section>
      )}
      {onlyNear && <p class="muted">{t('nearMatches')}</p>}
      <ResultList results={results ?? []} />
      {app.session?.user.areaId && <HubSearch query={query} />}
      {more > 0 && (
        <p class="muted" data-testid="more-results">
          {fill(t(MORE_RESULTS[current?.counted ?? 'exactly']), { count: String(more) })}
        </p>
      )}
      {current?.moreNear && (
        <p class="muted" data-testid="more-near">
          {t('moreNear')}
        </p>
      )}
      <ExportButton />
    </main>
  );
}

/**
 * Up and down arrows move between the search box and the results, as on a POS terminal's keys;
 * Enter opens the one in focus (it is a button).
 */
function moveAmongResults(event: KeyboardEvent) {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  const screen = event.currentTarget as HTMLElement;
  const stops = [
    ...screen.querySelectorAll<HTMLElement>('input[name=search], [data-testid=search-result]'),
  ];
  const at = stops.indexOf(document.activeElement as HTMLElement);
  if (at === -1) return;
  const next = stops[at + (event.key === 'ArrowDown' ? 1 : -1)];
  if (!next) return;
  event.preventDefault();
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}

interface Shown {
  readonly account: StoredAccount;
  readonly near: boolean;
  readonly balance: MinorUnits;
}

function ResultList({ results }: { results: readonly Shown[] }) {
  const app = useApp();
  const { t } = useText();
  return (
    <ul class="results">
      {results.map(({ account, balance, near }) => (
        <li key={account.id}>
          <button
            type="button"
            class={near ? 'result near' : 'result'}
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
            {near && <span class="near-mark">{t('nearMatch')}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}
