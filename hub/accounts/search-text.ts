/**
 * A customer's name as the hub's search reads it (the accounts' `name_search` column): folded
 * as the tablet folds what is typed (no case, accents or punctuation: "Ngũgĩ Kamau" is found by
 * "ngugi"), and a Chinese name also by its pinyin, in full and by initials ("wangxiaoming",
 * "wxm"), as the tablet finds it (shared/pinyin.ts). Written wherever a name is.
 */
import { pinyin } from 'pinyin-pro';
import { pinyinWords, syllablesOf } from '../../shared/pinyin.ts';
import { fold } from '../../shared/text.ts';

const HAN = /\p{Script=Han}/u;

export function nameSearchText(name: string): string {
  const parts = [fold(name)];
  if (HAN.test(name)) parts.push(...pinyinWords(syllablesOf(pinyin, name)));
  // A space between parts: folded text has none, so no match runs across two of them.
  return parts.join(' ');
}
