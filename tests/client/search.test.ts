/**
 * Goal: search finds a customer the way an agent types (issue 13, item 7): by account number,
 * meter number, name and phone; with case, accents, punctuation and spacing ignored; with a
 * small slip in a name forgiven, but never a digit in a number; a Chinese name by its
 * characters and its pinyin; and offers the customers opened last.
 *
 * Method: properties of the pure rule (client/db/search-words.ts), including that the index's
 * keys always find a name typed with one slip (the candidates come from the index, so a key
 * missing there is a customer never found); then the device's real code on fake-indexeddb,
 * synced from the hub in-process with the demo route, its records sealed.
 */
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  noteRecent,
  RECENT_KEPT,
  recentAccounts,
  refreshSearchWords,
  searchAccounts,
} from '../../client/db/accounts.ts';
import {
  answer,
  fold,
  NEAR_FROM,
  nearKeys,
  nearly,
  PAIR,
  pairKeyOf,
  prepareSearch,
  queryWords,
  SEARCH_WORDS_VERSION,
  searchWordsOf,
} from '../../client/db/search-words.ts';
import { TOKEN_PREFIX } from '../../client/db/vault.ts';

const wordsOfName = (name: string) => name.toLowerCase().split(/\s+/);
import { syncedRig, type Rig } from './device-hub.ts';

const letters = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz');
const nameWord = fc
  .array(letters, { minLength: NEAR_FROM + 1, maxLength: 12 })
  .map((l) => l.join(''));

/** The index's keys of a record's words, as the vault makes them (without the keyed hash). */
function indexKeys(words: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const word of words) {
    if (word.startsWith('~') || word.startsWith(PAIR)) keys.add(word);
    else
      for (let n = 1; n <= Math.min(TOKEN_PREFIX, word.length); n += 1) keys.add(word.slice(0, n));
  }
  return keys;
}

/** The keys a typed word's near search reads, as searchAccounts makes them. */
function nearLookups(typed: string): string[] {
  const head = typed.slice(0, NEAR_FROM);
  return [head, ...nearKeys(head)];
}

/** One slip: a letter changed, dropped, added, or two swapped. */
const slipped = (word: string) =>
  fc
    .tuple(
      fc.nat({ max: word.length - 1 }),
      letters,
      fc.constantFrom('change', 'drop', 'add', 'swap'),
    )
    .map(([at, letter, how]) => {
      if (how === 'change') return word.slice(0, at) + letter + word.slice(at + 1);
      if (how === 'drop') return word.slice(0, at) + word.slice(at + 1);
      if (how === 'add') return word.slice(0, at) + letter + word.slice(at);
      const next = Math.min(at + 1, word.length - 1);
      return word.slice(0, at) + (word[next] ?? '') + (word[at] ?? '') + word.slice(next + 1);
    });

const customer = (name: string) => ({
  name,
  accountNumber: 'GT-10109',
  meterNumber: '54100863',
  phone: '+254712345678',
});

describe('the rule', () => {
  it('folds case, accents and punctuation away, and folding twice changes nothing', () => {
    expect(fold('Ngũgĩ')).toBe('ngugi');
    expect(fold('GT-10109')).toBe('gt10109');
    expect(fold("O'Neil")).toBe('oneil');
    fc.assert(fc.property(fc.string(), (text) => fold(fold(text)) === fold(text)));
  });

  it('finds a name from the start of any of its words, as typed in any case or with accents', () => {
    fc.assert(
      fc.property(
        fc.array(nameWord, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.nat(),
        (words, w, n) => {
          const words_ = searchWordsOf(customer(words.join(' ')));
          const word = words[w % words.length] ?? '';
          const typed = word.slice(0, 1 + (n % word.length)).toUpperCase();
          return answer(queryWords(typed), words_) === 'exact';
        },
      ),
    );
    const words = searchWordsOf(customer('Ngũgĩ Kamau'));
    expect(answer(queryWords('ngugi'), words)).toBe('exact');
    expect(answer(queryWords('NGŨGĨ KAM'), words)).toBe('exact');
    expect(answer(queryWords('ngugikamau'), words)).toBe('exact');
  });

  it('finds a name with one slip, and the index holds a key the search reads for it', () => {
    fc.assert(
      fc.property(
        nameWord.chain((word) => fc.tuple(fc.constant(word), slipped(word))),
        ([word, typed]) => {
          fc.pre(typed.length >= NEAR_FROM && typed !== word);
          const words = searchWordsOf(customer(`${word} Otieno`));
          const found = answer(queryWords(typed), words);
          const keys = indexKeys(words);
          return found !== undefined && nearLookups(typed).some((key) => keys.has(key));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives every record two typed words find the pair key they are looked up by', () => {
    // Few letters, so that typed words start several words of a name, or each other.
    const few = fc.constantFrom(...'abk');
    const word = fc.array(few, { minLength: 1, maxLength: 7 }).map((l) => l.join(''));
    let pairs = 0;
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 2, maxLength: 3 }),
        fc.constantFrom('GT-10109', 'AB-1', 'KB7'),
        (names, picks, accountNumber) => {
          const words = searchWordsOf({ ...customer(names.join(' ')), accountNumber });
          // Typed: starts of the record's own words (letters only), in any number.
          const own = words.filter((held) => /^[a-z]/.test(held));
          const typed = picks.map(([at, length]) => {
            const held = own[at % own.length] ?? 'a';
            return held.slice(0, 1 + (length % held.length)).replace(/\d.*/, '') || 'a';
          });
          const key = pairKeyOf(typed);
          if (key === undefined || answer(typed, words) !== 'exact') return true;
          pairs += 1;
          return indexKeys(words).has(key);
        },
      ),
      { numRuns: 3000 },
    );
    // The property was tried, not passed by default.
    expect(pairs).toBeGreaterThan(300);
    expect(pairKeyOf(['atieno', 'k'])).toBe(`${PAIR}katie`);
    // A word that starts the other could be found in one word of a name: no pair key serves.
    expect(pairKeyOf(['kamau', 'ka'])).toBeUndefined();
    expect(pairKeyOf(['gt', '10109'])).toBeUndefined();
  });

  it('forgives two slips only from eight letters, and none in a word under four', () => {
    expect(nearly('wnajiku', 'wanjiku')).toBe(true);
    expect(nearly('wnajkiu', 'wanjiku')).toBe(false);
    expect(nearly('odhiabmoo', 'odhiambo')).toBe(true);
    expect(nearly('aum', 'auma')).toBe(false);
    expect(answer(queryWords('ama'), searchWordsOf(customer('Auma Were')))).toBeUndefined();
  });

  it('never forgives a digit: a number one digit off is another customer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10_000, max: 99_999 }),
        fc.integer({ min: 1, max: 9 }),
        (number, step) => {
          const other = String(number).slice(0, 4) + String(((number % 10) + step) % 10);
          const words = searchWordsOf({ ...customer('Auma Were'), accountNumber: `GT-${number}` });
          return answer(queryWords(other), words) === undefined || other === String(number);
        },
      ),
    );
  });

  it('reads a number typed with spaces and signs as one number; a phone in any of its forms', () => {
    const words = searchWordsOf(customer('Auma Were'));
    expect(queryWords('+254 712 345 678')).toEqual(['254712345678']);
    for (const typed of ['0712 345', '712345678', '+254712', 'GT 10109', 'gt-1010', '54100863'])
      expect(answer(queryWords(typed), words), typed).toBe('exact');
    expect(answer(queryWords('0812345678'), words)).toBeUndefined();
  });

  it('finds a Chinese name by any of its characters on, and by pinyin in full or by initials', async () => {
    await prepareSearch(['王小明']);
    const words = searchWordsOf(customer('王小明'));
    for (const typed of [
      '王',
      '王小明',
      '小明',
      '明',
      'wxm',
      'wangxiaoming',
      'wang',
      'xiaoming',
      'xm',
      'WXM',
    ])
      expect(answer(queryWords(typed), words), typed).toBe('exact');
    expect(answer(queryWords('李'), words)).toBeUndefined();
    expect(answer(queryWords('wangxiaomnig'), words)).toBe('near');
  });
});

describe('on the device', () => {
  let rig: Rig;
  beforeAll(async () => {
    await prepareSearch(['王']);
  });
  beforeEach(async () => {
    rig = await syncedRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  async function names(query: string) {
    const { found } = await searchAccounts(rig.db, query);
    return found.map(({ account, near }) => `${account.name}${near ? ' ~' : ''}`);
  }

  it('finds the route’s customers by what the agent types, exact ones first', async () => {
    expect(await names('ngugi')).toEqual(['Ngũgĩ Kamau']);
    expect(await names('wambui')).toEqual(['Wambũi Njoroge']);
    expect(await names('wxm')).toEqual(['王小明']);
    expect(await names('小明')).toEqual(['王小明']);
    expect(await names('chen jing')).toEqual(['陈静怡']);
    expect(await names('静怡')).toEqual(['陈静怡']);
    expect(await names('GT 10121')).toEqual(['王小明']);
    // A slip: only near matches, each marked so.
    const slip = await names('Ngugu Kamau');
    expect(slip).toEqual(['Ngũgĩ Kamau ~']);
    // Every result of a typed name holds it, exactly or with a slip; none is a number's near.
    expect(await names('GT-10122')).toEqual([]);
  });

  it('counts two words from the index, or says at most how many when one matches too many', async () => {
    const all = await rig.db.accounts.toArray();
    const both = (query: string) =>
      all.filter((account) => answer(queryWords(query), account.searchWords) === 'exact').length;
    const narrow = await searchAccounts(rig.db, 'a o', { limit: 5 });
    expect(narrow.found).toHaveLength(5);
    expect(narrow.counted).toBe('exactly');
    expect(narrow.matches).toBe(both('a o'));
    // Every exact match, then the close ones ("Ochieng" is a slip from "achieng"), all counted.
    const few = await searchAccounts(rig.db, 'achieng o', { limit: 200 });
    const exact = few.found.filter((one) => !one.near);
    expect(exact.map(({ account }) => account.id).sort()).toEqual(
      all
        .filter((account) => answer(queryWords('achieng o'), account.searchWords) === 'exact')
        .map((account) => account.id)
        .sort(),
    );
    expect(exact.length).toBe(both('achieng o'));
    expect(few.found.length).toBeGreaterThan(exact.length);
    expect(few.matches).toBe(few.found.length);
  });

  it('pages through words held by many, by a pair key where one serves, missing none', async () => {
    const all = await rig.db.accounts.toArray();
    const exactIds = (query: string) =>
      all
        .filter((account) => answer(queryWords(query), account.searchWords) === 'exact')
        .map((account) => account.id)
        .sort();
    // Queries as agents type them: a whole first word and a letter or two of another, from the
    // route's own names, plus words that start each other (no pair key) and a name with a number.
    const names = all.slice(0, 12).map((account) => wordsOfName(account.name));
    const queries = [
      ...names.filter((words) => words.length > 1).map(([a, b]) => `${a} ${b?.slice(0, 1)}`),
      ...names.filter((words) => words.length > 1).map(([a, b]) => `${b?.slice(0, 2)} ${a}`),
      'a o',
      'o a',
      'kamau ka',
      'a gt',
    ];
    let paired = 0;
    for (const query of queries) {
      if (pairKeyOf(queryWords(query)) !== undefined) paired += 1;
      const wanted = exactIds(query);
      // Three ids listed at a time: every word of these is held by "many".
      for (const limit of [2, 200]) {
        const got = await searchAccounts(rig.db, query, { limit, listedAtOnce: 3 });
        const exact = got.found.filter((one) => !one.near).map((one) => one.account.id);
        expect(exact.length, query).toBe(Math.min(limit, wanted.length));
        expect(
          exact.every((id) => wanted.includes(id)),
          query,
        ).toBe(true);
        // Counted: exactly, or at most, every exact match (and close ones when there is room).
        if (got.counted === 'at-most')
          expect(got.matches, query).toBeGreaterThanOrEqual(wanted.length);
        else if (exact.length < limit)
          expect(got.matches, query).toBeGreaterThanOrEqual(got.found.length);
        else expect(got.matches, query).toBe(wanted.length);
      }
    }
    expect(paired).toBeGreaterThan(10);
  });

  it('says "at least" of one word held by more than it lists, and counts it exactly below that', async () => {
    const all = await rig.db.accounts.toArray();
    const holding = (word: string) =>
      all.filter((account) => answer([word], account.searchWords) === 'exact').length;
    const word = 'a';
    expect(holding(word)).toBeGreaterThan(5);
    const many = await searchAccounts(rig.db, word, { limit: 2, listedAtOnce: 5 });
    expect(many.found).toHaveLength(2);
    expect(many.counted).toBe('at-least');
    expect(many.matches).toBe(5);
    // A word held by fewer than the bound is counted exactly, from the same list.
    const name = wordsOfName(all[0]?.name ?? '')[0] ?? '';
    const few = await searchAccounts(rig.db, name, { limit: 1, listedAtOnce: 400 });
    expect(holding(name)).toBeLessThanOrEqual(400);
    expect(few.counted).toBe('exactly');
    expect(few.matches).toBe(holding(name));
  });

  it('counts every match, and a page of near ones only when the exact ones leave room', async () => {
    const all = await rig.db.accounts.toArray();
    const withA = all.filter(
      (account) => answer(queryWords('a'), account.searchWords) === 'exact',
    ).length;
    const { found, matches } = await searchAccounts(rig.db, 'a', { limit: 20 });
    expect(found).toHaveLength(20);
    expect(matches).toBe(withA);
    const word = 'otieno';
    const exact = all.filter((account) => answer([word], account.searchWords) === 'exact').length;
    const near = all.filter((account) => answer(['oteino'], account.searchWords) === 'near').length;
    expect(exact).toBeGreaterThan(0);
    const typo = await searchAccounts(rig.db, 'oteino', { limit: 200 });
    expect(typo.matches).toBe(near);
    expect(typo.found.every((one) => one.near)).toBe(true);
    expect(typo.found).toHaveLength(near);
    expect(near).toBeGreaterThanOrEqual(exact);
  });

  it('offers the customers opened last, the latest first, as many as it keeps', async () => {
    const ids = (await rig.db.accounts.orderBy('accountNumber').primaryKeys()).slice(
      0,
      RECENT_KEPT + 2,
    );
    for (const id of ids) await noteRecent(rig.db, id);
    await noteRecent(rig.db, ids[2] ?? '');
    const recent = (await recentAccounts(rig.db)).map((account) => account.id);
    expect(recent).toHaveLength(RECENT_KEPT);
    expect(recent[0]).toBe(ids[2]);
    expect(recent.slice(1)).toEqual(
      [...ids]
        .reverse()
        .filter((id) => id !== ids[2])
        .slice(0, RECENT_KEPT - 1),
    );
  });

  it('gives accounts held under the old rule the new words once, at the next sync', async () => {
    // As a tablet updated in the field holds them: lower case split at spaces, no record.
    const held = await rig.db.accounts.toArray();
    await rig.db.accounts.bulkPut(
      held.map((account) => ({ ...account, searchWords: account.name.toLowerCase().split(/\s+/) })),
    );
    await rig.db.settings.delete('search');
    expect(await names('ngugi')).toEqual([]);
    await refreshSearchWords(rig.db);
    expect(await names('ngugi')).toEqual(['Ngũgĩ Kamau']);
    expect(await rig.db.settings.get('search')).toEqual({
      key: 'search',
      version: SEARCH_WORDS_VERSION,
      pinyin: true,
    });
    // Words made before the pinyin dictionary was here get it at the next round that has it.
    await rig.db.accounts.bulkPut(
      held.map((account) => ({ ...account, searchWords: account.name.toLowerCase().split(/\s+/) })),
    );
    await rig.db.settings.put({ key: 'search', version: SEARCH_WORDS_VERSION, pinyin: false });
    expect(await names('wxm')).toEqual([]);
    await refreshSearchWords(rig.db);
    expect(await names('wxm')).toEqual(['王小明']);
    // Current now: a round reads nothing more.
    await rig.db.accounts.bulkPut(
      held.map((account) => ({ ...account, searchWords: account.name.toLowerCase().split(/\s+/) })),
    );
    await refreshSearchWords(rig.db);
    expect(await names('wxm')).toEqual([]);
  });

  it('gives a big route new words a batch at a time, going on from where a round stopped', async () => {
    const held = await rig.db.accounts.orderBy(':id').toArray();
    const mark = held[9]?.id ?? '';
    // A round cut short after ten accounts: those have their new words (a sentinel here, to see
    // they are not made again), the rest the old rule's.
    const old = (account: (typeof held)[number]) => account.name.toLowerCase().split(/\s+/);
    await rig.db.accounts.bulkPut(
      held.map((account, i) => ({ ...account, searchWords: i <= 9 ? ['sentinel'] : old(account) })),
    );
    const target = { version: SEARCH_WORDS_VERSION, pinyin: true };
    await rig.db.settings.put({
      key: 'search',
      version: 3,
      pinyin: true,
      refreshing: { ...target, after: mark },
    });
    // Meanwhile two words are found without pair keys, which not every account has yet.
    const all = await rig.db.accounts.toArray();
    const [first, second] = (held[20]?.name ?? '').toLowerCase().split(/\s+/);
    const query = `${first} ${second?.slice(0, 1)}`;
    const wanted = all.filter((a) => answer(queryWords(query), a.searchWords) === 'exact').length;
    const during = await searchAccounts(rig.db, query, { limit: 200, listedAtOnce: 3 });
    expect(during.found.filter((one) => !one.near)).toHaveLength(wanted);
    await refreshSearchWords(rig.db, 7);
    const now = await rig.db.accounts.orderBy(':id').toArray();
    expect(now.slice(0, 10).every((account) => account.searchWords.join() === 'sentinel')).toBe(
      true,
    );
    expect(now.slice(10).every((a) => a.searchWords.join() === searchWordsOf(a).join())).toBe(true);
    expect(await rig.db.settings.get('search')).toEqual({ key: 'search', ...target });
    await rig.db.accounts.bulkPut(held);
  });
});
