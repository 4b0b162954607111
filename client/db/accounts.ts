/**
 * What the agent sees of an account: the hub's snapshot with the device's own facts that the
 * snapshot does not include yet laid on top, by the rule in shared/protocol.ts: payments not
 * voided pay the oldest bills, bills printed here are open bills, contact edits show.
 */
import { allocatePayment, openBills, type Bill } from '../../shared/billing.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';
import { deviceBalance, pendingEffects, type AccountSnapshot } from '../../shared/protocol.ts';
import type { ContactField } from '../../shared/facts.ts';
import { contactShown, voidedOwn } from './facts.ts';
import {
  readSetting,
  type GridtallyDatabase,
  type StoredAccount,
  type StoredFact,
} from './database.ts';
import {
  answer,
  NEAR_FROM,
  nearKeys,
  pinyinLoaded,
  queryWords,
  SEARCH_WORDS_VERSION,
  searchWordsOf,
} from './search-words.ts';

export interface AccountView {
  readonly account: StoredAccount;
  readonly balanceMinor: MinorUnits;
  readonly openBills: readonly Bill[];
  readonly unsynced: readonly StoredFact[];
  readonly payments: readonly StoredFact[];
  /** Every fact of this device on the account, in seq order. */
  readonly own: readonly StoredFact[];
  /** Name, phone and address with this device's pending corrections. */
  readonly contact: Record<ContactField, string>;
  /** Ids of this device's payments that a void of its own reverses. */
  readonly voided: ReadonlySet<string>;
  /** The customer's monthly budget (0: none), with this device's pending setting on top. */
  readonly budgetMinor: MinorUnits;
}

export async function accountView(
  db: GridtallyDatabase,
  accountId: string,
): Promise<AccountView | undefined> {
  const account = await db.accounts.get(accountId);
  if (!account) return undefined;
  const own = await db.facts.where('accountId').equals(accountId).sortBy('seq');
  const voided = voidedOwn(own);
  let budgetMinor = account.budgetMinor ?? minor(0);
  for (const stored of pendingEffects(account, own))
    if (stored.fact.kind === 'budget') budgetMinor = minor(stored.fact.body.monthlyMinor);
  const bills = billsWithOwn(account.openBills, account, own, voided);
  return {
    account,
    balanceMinor: deviceBalance(account, own),
    openBills: openBills(bills),
    unsynced: own.filter((fact) => fact.status === 'pending'),
    payments: own.filter((fact) => fact.kind === 'payment'),
    own,
    contact: await contactShown(db, account),
    voided,
    budgetMinor,
  };
}

/**
 * Bills as `snapshot` holds them with this device's facts it does not include laid on top:
 * bills printed here added, payments not voided paying the oldest first.
 */
export function billsWithOwn(
  snapshotBills: readonly Bill[],
  snapshot: AccountSnapshot,
  own: readonly StoredFact[],
  voided: ReadonlySet<string>,
): readonly Bill[] {
  let bills = snapshotBills;
  for (const stored of pendingEffects(snapshot, own)) {
    const fact = stored.fact;
    if (fact.kind === 'spot-bill') {
      bills = [
        ...bills,
        {
          id: fact.id,
          period: fact.body.period,
          issuedOn: fact.recordedAt.slice(0, 10),
          dueOn: fact.recordedAt.slice(0, 10),
          kwh: fact.body.kwh,
          amountMinor: fact.body.totalMinor,
          paidMinor: minor(0),
        },
      ];
    } else if (fact.kind === 'payment' && !voided.has(fact.id)) {
      bills = allocatePayment(bills, fact.body.amountMinor).bills;
    }
  }
  return bills;
}

/** A customer a search found; `near` when only with a slip forgiven in a name. */
export interface Found {
  readonly account: StoredAccount;
  readonly near: boolean;
}

export interface SearchAnswer {
  /** Exact matches first, then near ones, each in account number order. */
  readonly found: readonly Found[];
  /** How many match in all, the shown ones with the rest… */
  readonly matches: number;
  /** …or at most how many, when counting exactly would open too many records. */
  readonly matchesAtMost: boolean;
  /** More close matches may be there than were looked at (`matches` counts those looked at). */
  readonly moreNear: boolean;
}

/** Close-match candidates opened at most per search: each costs a decryption. */
export const NEAR_LOOKED_AT = 400;

const byNumber = (a: Found, b: Found) =>
  a.account.accountNumber.localeCompare(b.account.accountNumber);

/** A typed word whose records are more than this is checked on opened records, not listed. */
export const LISTED_AT_MOST = 3_000;

/**
 * The ids of the records holding every typed word, from the index alone, and how many (or at
 * most how many). Counting is native and quick; listing ids is not (30,000 for a one-letter
 * word). One word: a page of ids and the index's count. More: the ids of each word with at most
 * LISTED_AT_MOST records, kept where they all meet; a word with more (a letter or two typed) is
 * checked on the opened records only, and the count is then an upper bound.
 */
async function idsOfAll(
  db: GridtallyDatabase,
  typed: readonly string[],
  limit: number,
): Promise<{ ids: string[]; count: number; atMost: boolean }> {
  const where = (word: string) =>
    db.accounts.where('searchWords').equals(db.vault.searchToken(word));
  // Each word's ids, up to one more than LISTED_AT_MOST: one native read each (getAllKeys with a
  // count). Counting a word that most records hold (a letter or two) costs more than listing.
  const listed = await Promise.all(
    typed.map(async (word) => {
      const ids = await where(word)
        .limit(LISTED_AT_MOST + 1)
        .primaryKeys();
      return { word, ids, many: ids.length > LISTED_AT_MOST };
    }),
  );
  listed.sort((a, b) => a.ids.length - b.ids.length);
  const few = listed.filter((one) => !one.many);
  const [smallest] = listed;
  if (smallest === undefined) return { ids: [], count: 0, atMost: false };
  if (listed.length === 1) {
    // One word: its records, counted by the index when there are many.
    const count = smallest.many ? await where(smallest.word).count() : smallest.ids.length;
    return { ids: smallest.ids.slice(0, smallest.many ? limit : undefined), count, atMost: false };
  }
  if (few.length === 0) {
    // Every word is held by many: candidates are the first of one, opened and checked.
    return { ids: smallest.ids, count: await where(smallest.word).count(), atMost: true };
  }
  // The words held by few, kept where they all meet; the others are checked on the opened records.
  const others = few.slice(1).map((one) => new Set(one.ids));
  const ids = (few[0]?.ids ?? []).filter((id) => others.every((held) => held.has(id)));
  return { ids, count: ids.length, atMost: few.length < listed.length };
}

/**
 * Opens the records of `ids` in order until `limit` of them answer `typed` as `wanted`, at
 * most `most` of them; returns those and how many were opened.
 */
async function openUntil(
  db: GridtallyDatabase,
  ids: readonly string[],
  typed: readonly string[],
  wanted: 'exact' | 'near',
  limit: number,
  most = ids.length,
): Promise<{ found: StoredAccount[]; opened: number }> {
  const found: StoredAccount[] = [];
  let opened = 0;
  while (found.length < limit && opened < Math.min(most, ids.length)) {
    const batch = ids.slice(opened, Math.min(most, opened + limit - found.length));
    opened += batch.length;
    for (const account of await db.accounts.bulkGet(batch))
      if (account && answer(typed, account.searchWords) === wanted) found.push(account);
  }
  return { found, opened };
}

/**
 * The customers a query finds among those held on the device (client/db/search-words.ts says
 * how words match). The index holds keyed hashes of each word's first letters
 * (client/db/vault.ts): it alone says which records hold every typed word and how many, and
 * only the page shown is opened (decrypted) and checked. Close matches (a slip in a name) are
 * looked for only when the exact ones do not fill the page; their candidates come from the
 * index's deletion keys and each is opened, so at most NEAR_LOOKED_AT are.
 */
export async function searchAccounts(
  db: GridtallyDatabase,
  query: string,
  limit = 20,
): Promise<SearchAnswer> {
  const typed = queryWords(query);
  if (typed.length === 0) {
    const accounts = await db.accounts.orderBy('accountNumber').limit(limit).toArray();
    return {
      found: accounts.map((account) => ({ account, near: false })),
      matches: accounts.length < limit ? accounts.length : await db.accounts.count(),
      matchesAtMost: false,
      moreNear: false,
    };
  }
  const exactIds = await idsOfAll(db, typed, limit);
  const exact = await openUntil(db, exactIds.ids, typed, 'exact', limit);
  // A word longer than the tokens' prefix may miss on a record the index counted (rare).
  const missed = exact.opened - exact.found.length;
  const found: Found[] = exact.found.map((account) => ({ account, near: false })).sort(byNumber);
  if (found.length === limit)
    return {
      found,
      matches: exactIds.count - (exactIds.atMost ? 0 : missed),
      matchesAtMost: exactIds.atMost,
      moreNear: false,
    };
  const isExact = new Set(exactIds.ids);

  const nearWord = typed
    .filter((word) => nearKeys(word).length > 0)
    .reduce<string | undefined>(
      (best, word) => (best && best.length >= word.length ? best : word),
      undefined,
    );
  // Not every candidate was opened: more may match than were found.
  const atMost = exactIds.atMost && exact.opened < exactIds.ids.length;
  if (nearWord === undefined)
    return { found, matches: found.length, matchesAtMost: atMost, moreNear: false };
  const head = [...nearWord].slice(0, NEAR_FROM).join('');
  const candidates = (
    await db.accounts
      .where('searchWords')
      .anyOf([head, ...nearKeys(head)].map((word) => db.vault.searchToken(word)))
      .distinct()
      .primaryKeys()
  ).filter((id) => !isExact.has(id));
  const near = await openUntil(db, candidates, typed, 'near', limit - found.length, NEAR_LOOKED_AT);
  // Counted: those opened to fill the page, and the rest of the candidates looked at.
  const rest =
    near.found.length < limit - found.length
      ? 0
      : (
          await openUntil(
            db,
            candidates.slice(near.opened),
            typed,
            'near',
            Infinity,
            NEAR_LOOKED_AT - near.opened,
          )
        ).found.length;
  return {
    found: [...found, ...near.found.map((account) => ({ account, near: true })).sort(byNumber)],
    matches: found.length + near.found.length + rest,
    matchesAtMost: atMost,
    moreNear: candidates.length > NEAR_LOOKED_AT,
  };
}

/**
 * Gives the held accounts the words of the current rule if they were stored under an older one
 * (a tablet updated in the field keeps its route). Run after an unlock: the words are sealed.
 */
export async function refreshSearchWords(db: GridtallyDatabase): Promise<void> {
  const held = await readSetting(db, 'search');
  // Current: made by this rule, and with pinyin unless the dictionary is still not here (once
  // it is, Chinese names get their pinyin words in the next round).
  if ((held?.version ?? 1) >= SEARCH_WORDS_VERSION && (held?.pinyin === true || !pinyinLoaded()))
    return;
  await db.transaction('rw', [db.accounts, db.settings], async () => {
    const accounts = await db.accounts.toArray();
    await db.accounts.bulkPut(
      accounts.map((account) => ({ ...account, searchWords: searchWordsOf(account) })),
    );
    await db.settings.put({
      key: 'search',
      version: SEARCH_WORDS_VERSION,
      pinyin: pinyinLoaded(),
    });
  });
}

/** How many recently opened customers the search screen offers before anything is typed. */
export const RECENT_KEPT = 6;

/** Notes that the agent opened this customer: first among the recent ones. */
export async function noteRecent(db: GridtallyDatabase, accountId: string): Promise<void> {
  await db.transaction('rw', db.settings, async () => {
    const held = await readSetting(db, 'recent');
    const accountIds = [accountId, ...(held?.accountIds ?? []).filter((id) => id !== accountId)];
    await db.settings.put({ key: 'recent', accountIds: accountIds.slice(0, RECENT_KEPT) });
  });
}

/** The customers opened last that the device still holds, the latest first. */
export async function recentAccounts(db: GridtallyDatabase): Promise<StoredAccount[]> {
  const held = await readSetting(db, 'recent');
  const accounts = await db.accounts.bulkGet(held?.accountIds ?? []);
  return accounts.filter((account): account is StoredAccount => account !== undefined);
}
