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
import { TOKEN_PREFIX } from './vault.ts';
import {
  answer,
  NEAR_FROM,
  nearKeys,
  pairKeyOf,
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

/**
 * How `matches` counts: exactly; at most (counting exactly would open too many records); or at
 * least (a word held by so many that the index is not asked to count them all).
 */
export type Counted = 'exactly' | 'at-most' | 'at-least';

export interface SearchAnswer {
  /** Exact matches first, then near ones, each in account number order. */
  readonly found: readonly Found[];
  /** How many match in all, the shown ones with the rest, counted as `counted` says. */
  readonly matches: number;
  readonly counted: Counted;
  /** More close matches may be there than were looked at (`matches` counts those looked at). */
  readonly moreNear: boolean;
}

/** Close-match candidates opened at most per search: each costs a decryption. */
export const NEAR_LOOKED_AT = 400;

const byNumber = (a: Found, b: Found) =>
  a.account.accountNumber.localeCompare(b.account.accountNumber);

/** Ids listed per typed word: a word held by more is "many" and checked on opened records. */
export const LISTED_AT_ONCE = 400;
/** Candidates of a word held by many looked through at most, LISTED_AT_ONCE at a time. */
export const LISTED_AT_MOST = 3_000;
/** Candidates this few are all opened and checked, so that they are counted exactly. */
const OPENED_WHOLE_AT_MOST = 80;

/**
 * Where the exact matches of a query are looked for: ids from the index alone, and how many
 * (or at most how many). A word's token answers exactly for a word of up to TOKEN_PREFIX
 * letters (client/db/vault.ts); `checked` says the opened records must still be checked
 * against every word; `paged` names the word whose further ids are read when these run out.
 * Counting and listing are native but not free: about 3 µs an index entry counted and 10 µs an
 * id listed in Chromium, so a word held by many (a letter or two typed) is neither counted
 * nor listed whole unless it is all that was typed.
 */
interface Candidates {
  readonly ids: readonly string[];
  readonly count: number;
  readonly counted: Counted;
  readonly checked: boolean;
  readonly paged?: string;
}

async function candidatesOf(
  db: GridtallyDatabase,
  typed: readonly string[],
  limit: number,
  listedAtOnce: number,
): Promise<Candidates> {
  const [only] = typed;
  if (only === undefined) return { ids: [], count: 0, counted: 'exactly', checked: false };
  const exactByToken = (word: string) => [...word].length <= TOKEN_PREFIX;
  if (typed.length === 1 && exactByToken(only)) {
    // One word its token answers: its ids, listed up to a bound. The index counts about 7 µs
    // an entry in Chromium (the 2,465 holders of "kamau" on 50,000: 18 ms), no faster than it
    // lists them, so a word held by more than the bound is said to match "at least" that many.
    const bound = Math.max(limit, listedAtOnce);
    const ids = await idsOf(db, only, 0, bound + 1);
    return ids.length > bound
      ? { ids: ids.slice(0, bound), count: bound, counted: 'at-least', checked: false }
      : { ids, count: ids.length, counted: 'exactly', checked: false };
  }
  if (typed.length === 1) {
    // One word longer than a token: a page of the records its token gives, checked, and the
    // index's count of them, which bounds the matches from above.
    const [ids, count] = await Promise.all([
      idsOf(db, only, 0, limit),
      wordIndex(db, only).count(),
    ]);
    return { ids, count, counted: 'exactly', checked: true, paged: only };
  }
  // More: the longest word's ids first (it is likely held by fewest), with a pair key of two
  // of the words (client/db/search-words.ts) looked up at the same time, whose records are the
  // candidates when that word is held by many. Without one, each word's first ids: those held
  // by few are kept where they all meet.
  const pair = pairKeyOf(typed);
  const pairLookup =
    pair === undefined
      ? undefined
      : Promise.all([listedAndCounted(db, pair, listedAtOnce), pairsReady(db)]);
  // Awaited only when it serves; a failure then is seen there.
  pairLookup?.catch(() => undefined);
  const listOf = async (word: string) => {
    const ids = await idsOf(db, word, 0, listedAtOnce + 1);
    return { word, ids, many: ids.length > listedAtOnce };
  };
  const [longest = only, ...others] = [...typed].sort((a, b) => [...b].length - [...a].length);
  // Held by so few that all are opened: those records, checked against every word, are the
  // answer, and the other words (an account number's "GT", held by all) need not be listed.
  const whole = Math.min(listedAtOnce, OPENED_WHOLE_AT_MOST);
  const held = await idsOf(db, longest, 0, whole + 1);
  if (held.length <= whole)
    return { ids: held, count: held.length, counted: 'exactly', checked: true };
  // The longest word is held by many: a pair key, where one serves, gives the few records
  // holding two of the words at once, and the other words need not be listed.
  const [paired, ready] = (await pairLookup) ?? [];
  if (pair !== undefined && paired !== undefined && ready === true)
    return { ...paired, counted: 'at-most', checked: true, paged: pair };
  const listed = await Promise.all([longest, ...others].map(listOf));
  const few = listed.filter((one) => !one.many);
  const checked = few.length < listed.length || !typed.every(exactByToken);
  if (few.length > 0) {
    const others = few.slice(1).map((one) => new Set(one.ids));
    const ids = (few[0]?.ids ?? []).filter((id) => others.every((held) => held.has(id)));
    const counted = few.length < listed.length ? 'at-most' : 'exactly';
    return { ids, count: ids.length, counted, checked };
  }
  // Every word is held by many and no pair key serves: the longest word is counted and its
  // records are looked through, checked against the other words.
  return {
    ids: (listed[0]?.ids ?? []).slice(0, listedAtOnce),
    count: await wordIndex(db, longest).count(),
    counted: 'at-most',
    checked: true,
    paged: longest,
  };
}

function wordIndex(db: GridtallyDatabase, word: string) {
  return db.accounts.where('searchWords').equals(db.vault.searchToken(word));
}

/**
 * Up to `bound` ids of the records holding `word`, and how many hold it: the index is asked to
 * count them only when more than `bound` do.
 */
async function listedAndCounted(
  db: GridtallyDatabase,
  word: string,
  bound: number,
): Promise<{ ids: readonly string[]; count: number }> {
  const ids = await idsOf(db, word, 0, bound + 1);
  return ids.length <= bound
    ? { ids, count: ids.length }
    : { ids: ids.slice(0, bound), count: await wordIndex(db, word).count() };
}

/** The ids of the records holding `word`, `count` of them from the `from`-th on. */
function idsOf(db: GridtallyDatabase, word: string, from: number, count: number) {
  const held = wordIndex(db, word);
  return (from > 0 ? held.offset(from) : held).limit(count).primaryKeys();
}

/**
 * Opens the records of `ids` in order until `limit` of them answer `typed` as `wanted`, at
 * most `most` of them; returns those (a batch may find more than `limit`) and how many were
 * opened. Each read is one IndexedDB
 * request, so after the first the batch is sized by how often the opened ones answered.
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
  const end = Math.min(most, ids.length);
  while (found.length < limit && opened < end) {
    const needed = limit - found.length;
    // One in how many answered so far (assumed one in ten when none did yet).
    const rate = opened === 0 ? 1 : Math.max(found.length, opened / 10) / opened;
    const size = Math.min(MOST_OPENED_AT_ONCE, Math.ceil((needed / rate) * 1.25));
    const batch = ids.slice(opened, Math.min(end, opened + size));
    opened += batch.length;
    for (const account of await db.accounts.bulkGet(batch))
      if (account && answer(typed, account.searchWords) === wanted) found.push(account);
  }
  return { found, opened };
}

/** Records opened in one read at most while looking for a page of matches. */
const MOST_OPENED_AT_ONCE = 200;

/**
 * The customers a query finds among those held on the device (client/db/search-words.ts says
 * how words match). The index holds keyed hashes of each word's first letters
 * (client/db/vault.ts): it alone says which records hold every typed word and how many, and
 * only the page shown is opened (decrypted) and checked. Close matches (a slip in a name) are
 * looked for only when the exact ones do not fill the page; their candidates come from the
 * index's deletion keys and each is opened, so at most NEAR_LOOKED_AT are.
 */
export interface SearchOptions {
  /** Results shown at most; the rest are counted. */
  readonly limit?: number;
  /** How many accounts the device holds, when the caller knows (counting 50,000 takes 150 ms). */
  readonly held?: number | undefined;
  /** Ids listed per typed word (LISTED_AT_ONCE; tests make it small to page on a small route). */
  readonly listedAtOnce?: number;
}

export async function searchAccounts(
  db: GridtallyDatabase,
  query: string,
  { limit = 20, held, listedAtOnce = LISTED_AT_ONCE }: SearchOptions = {},
): Promise<SearchAnswer> {
  const typed = queryWords(query);
  if (typed.length === 0) {
    const [accounts, count] = await Promise.all([
      db.accounts.orderBy('accountNumber').limit(limit).toArray(),
      held ?? db.accounts.count(),
    ]);
    return {
      found: accounts.map((account) => ({ account, near: false })),
      matches: accounts.length < limit ? accounts.length : count,
      counted: 'exactly',
      moreNear: false,
    };
  }
  const candidates = await candidatesOf(db, typed, limit, listedAtOnce);
  const whole =
    candidates.checked &&
    candidates.count <= OPENED_WHOLE_AT_MOST &&
    candidates.ids.length >= candidates.count;
  let exact = await openUntil(
    db,
    candidates.checked ? candidates.ids : candidates.ids.slice(0, limit),
    typed,
    'exact',
    whole ? Infinity : limit,
  );
  let listed = candidates.ids;
  // A word held by many: its further records, a list at a time, until the page is full.
  const { paged } = candidates;
  while (
    paged !== undefined &&
    exact.found.length < limit &&
    listed.length < Math.min(candidates.count, LISTED_AT_MOST)
  ) {
    const more = await idsOf(db, paged, listed.length, listedAtOnce);
    if (more.length === 0) break;
    const next = await openUntil(db, more, typed, 'exact', limit - exact.found.length);
    exact = { found: [...exact.found, ...next.found], opened: exact.opened + next.opened };
    listed = [...listed, ...more];
  }
  // Opened but not answering: a word longer than the tokens' prefix, or another word missing.
  const missed = exact.opened - exact.found.length;
  const found: Found[] = exact.found
    .map((account) => ({ account, near: false }))
    .sort(byNumber)
    .slice(0, limit);
  if (exact.found.length >= limit)
    return {
      found,
      // Paged: those found, and at most every one not yet opened.
      matches:
        paged !== undefined && candidates.counted === 'at-most'
          ? exact.found.length + candidates.count - exact.opened
          : candidates.count - (candidates.counted === 'exactly' ? missed : 0),
      counted: candidates.counted,
      moreNear: false,
    };
  const isExact = new Set(listed);

  const nearWord = typed
    .filter((word) => nearKeys(word).length > 0)
    .reduce<string | undefined>(
      (best, word) => (best && best.length >= word.length ? best : word),
      undefined,
    );
  // Not every candidate was opened: more may match than were found.
  const counted: Counted =
    candidates.counted === 'at-most' &&
    exact.opened >= (paged !== undefined ? candidates.count : candidates.ids.length)
      ? 'exactly'
      : candidates.counted;
  if (nearWord === undefined) return { found, matches: found.length, counted, moreNear: false };
  const head = [...nearWord].slice(0, NEAR_FROM).join('');
  const nearIds = (
    await db.accounts
      .where('searchWords')
      .anyOf([head, ...nearKeys(head)].map((word) => db.vault.searchToken(word)))
      .distinct()
      .primaryKeys()
  ).filter((id) => !isExact.has(id));
  const near = await openUntil(db, nearIds, typed, 'near', limit - found.length, NEAR_LOOKED_AT);
  // Counted: those opened to fill the page, and the rest of the candidates looked at.
  const rest =
    near.found.length < limit - found.length || near.opened >= NEAR_LOOKED_AT
      ? 0
      : (
          await openUntil(
            db,
            nearIds.slice(near.opened),
            typed,
            'near',
            Infinity,
            NEAR_LOOKED_AT - near.opened,
          )
        ).found.length;
  return {
    found: [
      ...found,
      ...near.found
        .map((account) => ({ account, near: true }))
        .sort(byNumber)
        .slice(0, limit - found.length),
    ],
    matches: found.length + near.found.length + rest,
    counted,
    moreNear: nearIds.length > NEAR_LOOKED_AT,
  };
}

/** Accounts given new words per transaction: a big route's reads go on between batches. */
export const REFRESHED_AT_ONCE = 500;

/**
 * Gives the held accounts the words of the current rule if they were stored under an older one
 * (a tablet updated in the field keeps its route). Run after an unlock: the words are sealed.
 * A batch of accounts at a time, each batch with its mark in one transaction, so the search
 * screen reads on meanwhile (50,000 accounts take minutes) and a round cut short goes on from
 * its mark. Until the last batch, searches do without pair keys (`pairsReady`).
 */
export async function refreshSearchWords(
  db: GridtallyDatabase,
  atOnce = REFRESHED_AT_ONCE,
): Promise<void> {
  const held = await readSetting(db, 'search');
  const pinyin = pinyinLoaded();
  // Current: made by this rule, and with pinyin unless the dictionary is still not here (once
  // it is, Chinese names get their pinyin words in the next round).
  if ((held?.version ?? 1) >= SEARCH_WORDS_VERSION && (held?.pinyin === true || !pinyin)) return;
  const target = { version: SEARCH_WORDS_VERSION, pinyin };
  const sameTarget =
    held?.refreshing?.version === target.version && held.refreshing.pinyin === target.pinyin;
  let after = sameTarget ? held.refreshing?.after : undefined;
  for (;;) {
    const done = await db.transaction('rw', [db.accounts, db.settings], async () => {
      const from = after;
      const batch = await (
        from === undefined ? db.accounts.orderBy(':id') : db.accounts.where(':id').above(from)
      )
        .limit(atOnce)
        .toArray();
      const last = batch.at(-1);
      await db.accounts.bulkPut(
        batch.map((account) => ({ ...account, searchWords: searchWordsOf(account) })),
      );
      if (last === undefined || batch.length < atOnce) {
        await db.settings.put({ key: 'search', ...target });
        return true;
      }
      after = last.id;
      await db.settings.put({
        key: 'search',
        version: held?.version ?? 1,
        pinyin: held?.pinyin ?? false,
        refreshing: { ...target, after: last.id },
      });
      return false;
    });
    if (done) return;
  }
}

/** Whether every held account has the pair keys a search of two words can look up. */
async function pairsReady(db: GridtallyDatabase): Promise<boolean> {
  const held = await readSetting(db, 'search');
  return (held?.version ?? 1) >= SEARCH_WORDS_VERSION;
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
