/**
 * A village agent's counter: customers from beyond her area, found by the hub as she types
 * (when the hub answers, after a pause in the typing; also signed in offline, with the token of
 * the last online sign-in), below those her device holds. Opening a customer from the hub reads it in full and keeps it on the
 * device, so the payment works as for any other.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AccountHit } from '../../shared/api.ts';
import { minor } from '../../shared/money.ts';
import { searchHub } from '../db/hub-search.ts';
import { useApp, useText } from './context.ts';
import { money } from './format.ts';
import { useLiveQuery } from './live.ts';

/** Typing pauses this long before the hub is asked. */
const PAUSE_MS = 350;

type Asked =
  | { readonly state: 'idle' }
  | { readonly state: 'asking' }
  | { readonly state: 'failed' }
  | { readonly state: 'answered'; readonly hits: readonly AccountHit[]; readonly more: boolean };

export function HubSearch({ query }: { query: string }) {
  const app = useApp();
  const { t } = useText();
  const session = app.session;
  const [asked, setAsked] = useState<Asked>({ state: 'idle' });
  const typed = query.trim();
  useEffect(() => {
    setAsked({ state: 'idle' });
    if (!session || session.token === '' || typed.length < 2) return;
    let live = true;
    const timer = setTimeout(() => {
      setAsked({ state: 'asking' });
      searchHub({ baseUrl: app.baseUrl, token: session.token }, typed).then(
        (answer) => {
          if (!live) return;
          // The sync badge learns now that the hub is not answering, not at its next round.
          const silent = !answer.ok && answer.error.code === 'hub-unreachable';
          if (silent && app.syncReport?.state === 'synced') void app.requestSync();
          setAsked(
            answer.ok
              ? { state: 'answered', hits: answer.value.accounts, more: answer.value.more }
              : { state: 'failed' },
          );
        },
        () => live && setAsked({ state: 'failed' }),
      );
    }, PAUSE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [typed, session?.token]);
  // Those the device holds are in the list above already.
  const held = useLiveQuery(async () => {
    if (asked.state !== 'answered') return new Set<string>();
    const found = await app.db.accounts.bulkGet(asked.hits.map((hit) => hit.id));
    return new Set(found.flatMap((account) => (account ? [account.id] : [])));
  }, [asked]);
  if (!session || session.token === '' || typed.length < 2) return null;
  const hits = asked.state === 'answered' ? asked.hits.filter((hit) => !held?.has(hit.id)) : [];
  return (
    <section class="hub-search" data-testid="hub-search">
      <h2>{t('fromTheHub')}</h2>
      {asked.state === 'asking' && <p class="muted">{t('askingHub')}</p>}
      {asked.state === 'failed' && <p class="muted">{t('hubSearchFailed')}</p>}
      {asked.state === 'answered' && hits.length === 0 && (
        <p class="muted">{t('hubNothingMore')}</p>
      )}
      <ul class="results">
        {hits.map((hit) => (
          <li key={hit.id}>
            <button
              type="button"
              class="result"
              data-testid="hub-result"
              onClick={() => app.go({ name: 'account', accountId: hit.id })}
            >
              <span class="name">{hit.name}</span>
              <span class="number">{hit.accountNumber}</span>
              <span class="address">
                {hit.address} · {t('route')} {hit.routeName}
              </span>
              <span class={hit.balanceMinor > 0 ? 'owed' : 'clear'}>
                {hit.balanceMinor < 0
                  ? `${t('credit')} ${money(minor(-hit.balanceMinor), hit.currency)}`
                  : money(hit.balanceMinor, hit.currency)}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {asked.state === 'answered' && asked.more && <p class="muted">{t('hubMore')}</p>}
    </section>
  );
}
