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
import * as zh from './i18n/zh.ts';
import * as sw from './i18n/sw.ts';

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

const dictionaries: Record<Language, typeof en> = { en, zh, sw };

export function translate(language: Language, key: MessageKey): string {
  return dictionaries[language].words[key];
}

/** The user's words for an error code; an unknown code falls back to a generic message. */
export function errorText(language: Language, code: string): string {
  const errors = dictionaries[language].errors;
  return isErrorCode(code) ? errors[code] : errors.unknown;
}

/** Why a record is held for review, in words. */
export function flagText(language: Language, reason: FlagReason): string {
  return dictionaries[language].flags[reason];
}

/** What is wrong with a record the hub could not read, in words: the field and the problem. */
export function faultText(language: Language, fault: BodyFault): string {
  return `${fault.field} ${dictionaries[language].faults[fault.problem]}`;
}

export function standingText(language: Language, standing: PaymentStanding): string {
  return dictionaries[language].standings[standing];
}
