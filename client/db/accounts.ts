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
  prepareSearch,
  queryWords,
  SEARCH_WORDS_VERSION,
  searchWordsOf,
} from './search-words.ts';
import { TOKEN_PREFIX } from './vault.ts';

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
  /** How many match in all, the shown ones with the rest. */
  readonly matches: number;
}

/** The typed word the index is read by: the longest, so the fewest records are opened. */
function keyWord(words: readonly string[]): string | undefined {
  return words.reduce<string | undefined>(
    (best, word) => (best === undefined || [...word].length > [...best].length ? word : best),
    undefined,
  );
}

const byNumber = (a: StoredAccount, b: StoredAccount) =>
  a.accountNumber.localeCompare(b.accountNumber);

/**
 * The customers a query finds among those held on the device (client/db/search-words.ts says
 * how words match). The index holds keyed hashes of each word's first letters
 * (client/db/vault.ts), so it gives candidates; the words are checked on the opened records.
 * Near matches (a slip in a name) are looked for only when the exact ones do not fill the page.
 */
export async function searchAccounts(
  db: GridtallyDatabase,
  query: string,
  limit = 20,
): Promise<SearchAnswer> {
  const typed = queryWords(query);
  const key = keyWord(typed);
  if (key === undefined) {
    const found = await db.accounts.orderBy('accountNumber').limit(limit).toArray();
    return {
      found: found.map((account) => ({ account, near: false })),
      matches: found.length < limit ? found.length : await db.accounts.count(),
    };
  }
  const exact = db.accounts
    .where('searchWords')
    .equals(db.vault.searchToken(key))
    .filter((account) => answer(typed, account.searchWords) === 'exact');
  const shown = await exact.clone().limit(limit).toArray();
  if (shown.length === limit) {
    // Each record holds a token once, so the index counts records; it says enough when the one
    // word typed is no longer than the tokens' prefixes.
    const whole = typed.length === 1 && [...key].length <= TOKEN_PREFIX;
    const matches = whole
      ? await db.accounts.where('searchWords').equals(db.vault.searchToken(key)).count()
      : await exact.count();
    return { found: shown.sort(byNumber).map((account) => ({ account, near: false })), matches };
  }
  const nearWord = keyWord(typed.filter((word) => nearKeys(word).length > 0));
  let near: StoredAccount[] = [];
  let nearCount = 0;
  if (nearWord !== undefined) {
    const head = [...nearWord].slice(0, NEAR_FROM).join('');
    const candidates = db.accounts
      .where('searchWords')
      .anyOf([head, ...nearKeys(head)].map((word) => db.vault.searchToken(word)))
      .distinct()
      .filter((account) => answer(typed, account.searchWords) === 'near');
    near = await candidates
      .clone()
      .limit(limit - shown.length)
      .toArray();
    nearCount = near.length < limit - shown.length ? near.length : await candidates.count();
  }
  return {
    found: [
      ...shown.sort(byNumber).map((account) => ({ account, near: false })),
      ...near.sort(byNumber).map((account) => ({ account, near: true })),
    ],
    matches: shown.length + nearCount,
  };
}

/**
 * Gives the held accounts the words of the current rule if they were stored under an older one
 * (a tablet updated in the field keeps its route). Run after an unlock: the words are sealed.
 */
export async function refreshSearchWords(db: GridtallyDatabase): Promise<void> {
  const held = await readSetting(db, 'search');
  if ((held?.version ?? 1) >= SEARCH_WORDS_VERSION) return;
  const names = new Set<string>();
  await db.accounts.each((account) => void names.add(account.name));
  await prepareSearch(names);
  await db.transaction('rw', [db.accounts, db.settings], async () => {
    const accounts = await db.accounts.toArray();
    await db.accounts.bulkPut(
      accounts.map((account) => ({ ...account, searchWords: searchWordsOf(account) })),
    );
    await db.settings.put({ key: 'search', version: SEARCH_WORDS_VERSION });
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
