/**
 * The words a customer is found by, and how a typed query is read against them: one rule for
 * both sides, so that what is stored and what is typed fold the same way.
 *
 * - Case, accents and punctuation are ignored: "Ngũgĩ", "ngugi" and "NGUGI" are one word, and
 *   "GT-10109", "gt10109" and "GT 10109" find the same account.
 * - Spacing: a name is also found with its words run together ("maryanne"), and a Chinese name
 *   (written without spaces) from any of its characters on ("小明" finds 王小明).
 * - Chinese names are also found by their pinyin, in full or by initials ("wangxiaoming",
 *   "wxm"), once the pinyin dictionary is loaded (`loadPinyin`: a chunk of its own, which the
 *   sync worker loads at its start and the page only for a Chinese name it opens).
 * - Phones: by their digits from the start, in international form or national form with or
 *   without its leading 0 ("254712…", "0712…", "712…").
 * - Small typos in a name: one letter wrong, missing, extra or two letters swapped (two such
 *   slips in a word of eight letters or more). The index finds candidates by "deletion keys" of
 *   each name word's first four letters (a typo there still shares one), and `nearly` decides.
 * - Two words typed ("atieno k"), each held by thousands on a big route, are looked up by a
 *   "pair key": the first letter of one word and the first four of another of the same name, so
 *   the few records holding both are found without reading thousands.
 */

import { pinyinWords, syllablesOf } from '../../shared/pinyin.ts';
import { fold } from '../../shared/text.ts';

export { fold };

/**
 * The rule's version: accounts held under an older one get new words at the next unlock. 1 was
 * lower case split at spaces; 2 folds accents and punctuation, adds tails and pinyin of Chinese
 * names, national phone forms and deletion keys; 3 tokens of ten letters, not six; 4 pair keys.
 */
export const SEARCH_WORDS_VERSION = 4;

/** The folded words of a text, split at spaces and punctuation. */
export function wordsOf(text: string): string[] {
  return text
    .split(/[\s\p{P}\p{S}]+/u)
    .map(fold)
    .filter((word) => word.length > 0);
}

/**
 * The words of a query. One that is only digits once spaces and signs go ("+254 712 345 678",
 * "0712-345-678") is one number, not four words.
 */
export function queryWords(query: string): string[] {
  const squeezed = fold(query);
  if (/^\d+$/.test(squeezed)) return [squeezed];
  return wordsOf(query);
}

const HAN = /\p{Script=Han}/u;
/** Marks a deletion key among the words, which never start so (folding keeps letters only). */
export const NEAR = '~';
/** A name word shorter than this is matched exactly: one slip in three letters is another name. */
export const NEAR_FROM = 4;
/** Marks a pair key among the words (see `pairKeysOf`). */
export const PAIR = '+';
/** The letters of a word a pair key holds: a word typed shorter is not looked up by pairs. */
export const PAIR_HEAD = 4;

type Romanize = (text: string) => string[];
let romanize: Romanize | undefined;

/** Whether any of these names is written in Chinese characters. */
export function anyHan(names: Iterable<string>): boolean {
  for (const name of names) if (HAN.test(name)) return true;
  return false;
}

/** Whether Chinese names get their pinyin words now. */
export function pinyinLoaded(): boolean {
  return romanize !== undefined;
}

/** Loads the pinyin dictionary (a lazy chunk of its own) and uses it from now on. */
export async function loadPinyin(): Promise<void> {
  if (romanize) return;
  const { pinyin } = await import('pinyin-pro');
  romanize = (text) => syllablesOf(pinyin, text);
}

/**
 * Loads the pinyin dictionary if these names need it, on the page (a customer opened online).
 * Never in a sync round: the sync worker loads it before its first round (client/sync/worker.ts),
 * since a round must not wait on anything but the database between its steps (several devices'
 * rounds in one thread, as in the fault tests, lost their transactions to such a wait).
 */
export async function prepareSearch(names: Iterable<string>): Promise<void> {
  if (romanize || !anyHan(names)) return;
  await loadPinyin();
}

/** A word of letters, not Chinese characters (they are matched exactly, or by their pinyin). */
function isNameWord(word: string): boolean {
  return /^\p{L}+$/u.test(word) && !HAN.test(word);
}

/** The keys under which a name word is found with a slip in its first four letters. */
export function nearKeys(word: string): string[] {
  const letters = [...word];
  if (letters.length < NEAR_FROM || !isNameWord(word)) return [];
  const head = letters.slice(0, NEAR_FROM);
  const keys = new Set<string>();
  for (let skip = 0; skip < head.length; skip += 1)
    keys.add(NEAR + head.filter((_, at) => at !== skip).join(''));
  return [...keys];
}

/** The words of a Chinese name word: each tail of it, and their pinyin in full and initials. */
function hanWords(word: string): string[] {
  const characters = [...word];
  const words: string[] = [];
  for (let from = 0; from < characters.length; from += 1) {
    const tail = characters.slice(from).join('');
    words.push(tail);
    words.push(...pinyinWords(romanize?.(tail) ?? []));
  }
  return words;
}

/** The digits a phone is typed by: international, and national with and without its 0. */
function phoneWords(phone: string): string[] {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 9) return [digits];
  const national = digits.slice(-9);
  return [digits, national, `0${national}`];
}

/** A word a typed word of letters can start: it starts with a letter that is not Chinese. */
function startsWithLetter(word: string): boolean {
  const first = [...word][0] ?? '';
  return /\p{L}/u.test(first) && !HAN.test(first);
}

/**
 * The pair keys of a record's words that start with a letter (names, their parts run together,
 * pinyin, an account number's prefix): for every two different ones, the first letter of one
 * and the first PAIR_HEAD characters of the other. Two typed words of letters neither of which
 * starts the other can only be found in two different words of a record, so a record found by
 * both holds the pair key `pairKeyOf` makes of them.
 */
function pairKeysOf(words: readonly string[]): string[] {
  const letters = [...new Set(words.filter(startsWithLetter))];
  const keys = new Set<string>();
  for (const head of letters)
    for (const other of letters)
      if (other !== head) keys.add(PAIR + [...other][0] + [...head].slice(0, PAIR_HEAD).join(''));
  return [...keys];
}

/**
 * The pair key that every record answering `typed` holds, if there is one: two typed letter
 * words, one of PAIR_HEAD letters or more (the longest), and another that neither starts it nor
 * starts with it.
 */
export function pairKeyOf(typed: readonly string[]): string | undefined {
  const letters = typed.filter(isNameWord);
  const head = letters
    .filter((word) => [...word].length >= PAIR_HEAD)
    .reduce<string | undefined>(
      (best, word) => (best && [...best].length >= [...word].length ? best : word),
      undefined,
    );
  if (head === undefined) return undefined;
  const other = letters.find((word) => !head.startsWith(word) && !word.startsWith(head));
  if (other === undefined) return undefined;
  return PAIR + [...other][0] + [...head].slice(0, PAIR_HEAD).join('');
}

export interface Searchable {
  readonly name: string;
  readonly accountNumber: string;
  readonly meterNumber: string;
  readonly phone: string;
}

/** Every word an account is found by, with the deletion keys of its name words. */
export function searchWordsOf(account: Searchable): string[] {
  const nameWords = wordsOf(account.name);
  const words: string[] = [];
  for (const word of nameWords) {
    words.push(word);
    if (HAN.test(word)) words.push(...hanWords(word));
  }
  // Run together, and each hyphenated or apostrophised part whole ("Mary-Anne" → "maryanne").
  for (const part of account.name.split(/\s+/)) words.push(fold(part));
  if (nameWords.length > 1) words.push(nameWords.join(''));
  if (romanize && nameWords.length > 1 && HAN.test(account.name))
    words.push(romanize(account.name).join(''));
  const keys = words.flatMap(nearKeys);
  words.push(
    fold(account.accountNumber),
    account.accountNumber.replace(/\D/g, ''),
    fold(account.meterNumber),
    ...phoneWords(account.phone),
  );
  const held = words.filter((word) => word.length > 0);
  return [...new Set([...held, ...keys, ...pairKeysOf(held)])];
}

/**
 * Whether `typed` is within a slip or two of the start of `word` (an optimal string alignment
 * distance to some prefix of it): one slip for words of four to seven letters, two from eight.
 */
export function nearly(typed: string, word: string): boolean {
  const a = [...typed];
  const b = [...word];
  if (a.length < NEAR_FROM) return false;
  const most = a.length >= 8 ? 2 : 1;
  // Three rows of the table of slips between a[0..i) and b[0..j): this, the one before, and
  // the one before that (for a swap).
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] ?? Infinity) + 1,
        (current[j - 1] ?? Infinity) + 1,
        (previous[j - 1] ?? Infinity) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (before[j - 2] ?? Infinity) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  // The best prefix of `word`: a typed word may stop anywhere in it.
  return Math.min(...previous) <= most;
}

/** How a stored record's words answer the typed ones: every typed word must be found. */
export function answer(
  typed: readonly string[],
  words: readonly string[],
): 'exact' | 'near' | undefined {
  let near = false;
  for (const word of typed) {
    if (words.some((candidate) => candidate.startsWith(word))) continue;
    // Numbers are never near: one digit off is another customer's account, meter or phone.
    if (!isNameWord(word)) return undefined;
    if (!words.some((candidate) => isNameWord(candidate) && nearly(word, candidate)))
      return undefined;
    near = true;
  }
  return near ? 'near' : 'exact';
}
