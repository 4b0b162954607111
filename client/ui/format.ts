/** Formatting at the screen's edge: money from minor units, times in the device's zone. */
import { formatMoney, type CurrencyCode, type MinorUnits } from '../../shared/money.ts';
import type { Language, MessageKey } from './messages.ts';

/** The locale numbers, dates and currency are written in for each language. */
export function localeOf(language: Language): string {
  return language === 'zh' ? 'zh-CN' : language === 'sw' ? 'sw-KE' : 'en-GB';
}

export function money(amount: MinorUnits, currency: CurrencyCode): string {
  return formatMoney(amount, currency);
}

export function dateTime(iso: string, language: Language): string {
  return new Date(iso).toLocaleString(localeOf(language), {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** Energy in Wh as kWh with one decimal, in the language's digits and separators. */
export function kwh(energyWh: number, language: Language): string {
  const number = new Intl.NumberFormat(localeOf(language), {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(Math.floor(energyWh / 100) / 10);
  return `${number} kWh`;
}

/** A message with `{name}` places filled in. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** How long ago `iso` was, in words: "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ago(iso: string, nowMs: number, t: (key: MessageKey) => string): string {
  const minutes = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 60_000));
  if (minutes < 1) return t('justNow');
  if (minutes < 60) return `${minutes} ${t('minutesOld')}`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} ${t('hoursOld')}`;
  return `${Math.round(minutes / 1440)} ${t('daysOld')}`;
}
