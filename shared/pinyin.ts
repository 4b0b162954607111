/**
 * How search romanizes a Chinese name, on the tablet (client/db/search-words.ts, the dictionary
 * loaded lazily there) and on the hub (hub/accounts/search-text.ts) alike: toneless pinyin,
 * surnames read as surnames, each syllable folded; a name is found by its syllables in full
 * ("wangxiaoming") and by their initials ("wxm").
 */
import type { pinyin as pinyinOf } from 'pinyin-pro';
import { fold } from './text.ts';

export type PinyinFunction = typeof pinyinOf;

/** The folded pinyin syllables of `text`'s Chinese characters (none for other text). */
export function syllablesOf(pinyin: PinyinFunction, text: string): string[] {
  return pinyin(text, { toneType: 'none', type: 'array', surname: 'head', nonZh: 'removed' }).map(
    (syllable) => fold(syllable),
  );
}

/** The words syllables are typed as: in full, and by initials; none without syllables. */
export function pinyinWords(syllables: readonly string[]): string[] {
  if (syllables.length === 0) return [];
  return [syllables.join(''), syllables.map((syllable) => syllable[0] ?? '').join('')];
}
