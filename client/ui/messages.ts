/**
 * Every word the app shows, in each language, in one place (client/ui/i18n/); error codes from
 * the domain and the hub, flag reasons and payment standings are mapped to the user's words
 * here and nowhere else.
 */
import { isErrorCode } from '../../shared/errors.ts';
import type { BodyFault } from '../../shared/facts.ts';
import type { FlagReason } from '../../shared/protocol.ts';
import type { PaymentStanding } from '../../shared/rules/payment.ts';
import * as en from './i18n/en.ts';

export const languages = ['en', 'zh', 'sw'] as const;
export type Language = (typeof languages)[number];

/** Each language's name in itself, for the switch. */
export const languageNames: Readonly<Record<Language, string>> = {
  en: 'English',
  zh: '中文',
  sw: 'Kiswahili',
};

export function isLanguage(value: string | null): value is Language {
  return (languages as readonly (string | null)[]).includes(value);
}
export type MessageKey = en.WordKey;

type Dictionary = typeof en;

/**
 * English is always here (and stands in for a word until another language has loaded); the
 * others load when chosen (`loadLanguage`), so the app starts on one dictionary, not three.
 */
const dictionaries: Partial<Record<Language, Dictionary>> = { en };

const loaders: Record<Exclude<Language, 'en'>, () => Promise<Dictionary>> = {
  zh: () => import('./i18n/zh.ts'),
  sw: () => import('./i18n/sw.ts'),
};

/** Loads a language's words (from the service worker's cache when offline); once each. */
export async function loadLanguage(language: Language): Promise<void> {
  if (language === 'en' || dictionaries[language]) return;
  dictionaries[language] = await loaders[language]();
}

function dictionary(language: Language): Dictionary {
  return dictionaries[language] ?? en;
}

export function translate(language: Language, key: MessageKey): string {
  return dictionary(language).words[key];
}

/** The user's words for an error code; an unknown code falls back to a generic message. */
export function errorText(language: Language, code: string): string {
  const errors = dictionary(language).errors;
  return isErrorCode(code) ? errors[code] : errors.unknown;
}

/** Why a record is held for review, in words. */
export function flagText(language: Language, reason: FlagReason): string {
  return dictionary(language).flags[reason];
}

/** What is wrong with a record the hub could not read, in words: the field and the problem. */
export function faultText(language: Language, fault: BodyFault): string {
  return `${fault.field} ${dictionary(language).faults[fault.problem]}`;
}

export function standingText(language: Language, standing: PaymentStanding): string {
  return dictionary(language).standings[standing];
}
