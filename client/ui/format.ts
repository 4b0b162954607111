/** Formatting at the screen's edge: money from minor units, times in the device's zone. */
import { formatMoney, type CurrencyCode, type MinorUnits } from '../../shared/money.ts';
import { addDays } from '../../shared/days.ts';
import { translate, type Language, type MessageKey } from './messages.ts';

/** The locale numbers, dates and currency are written in for each language. */
export function localeOf(language: Language): string {
  return language === 'zh' ? 'zh-CN' : language === 'sw' ? 'sw-KE' : 'en-GB';
}

/**
 * An amount with its currency, held together: the space after the currency code does not break,
 * so a narrow screen never shows "KES" on one line and the figure on the next.
 */
export function money(amount: MinorUnits, currency: CurrencyCode): string {
  return formatMoney(amount, currency).replace(/ /g, '\u00a0');
}

export function dateTime(iso: string, language: Language): string {
  return new Date(iso).toLocaleString(localeOf(language), {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** Energy in Wh as kWh with one decimal, in the language's digits, separators and unit word. */
export function kwh(energyWh: number, language: Language): string {
  const number = new Intl.NumberFormat(localeOf(language), {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(Math.floor(energyWh / 100) / 10);
  return `${number}\u00a0${translate(language, 'kwhUnit')}`;
}

/** Whole kWh (a meter's register, a bill's use) with the language's unit word. */
export function wholeKwh(value: number, language: Language): string {
  return `${new Intl.NumberFormat(localeOf(language)).format(value)}\u00a0${translate(language, 'kwhUnit')}`;
}

/**
 * A calendar day (`YYYY-MM-DD`, as bills and readings hold it) as the language writes it, with
 * the year when asked: "1 Sept", "9月1日", "1 Sep 2026".
 */
export function day(date: string, language: Language, withYear = false): string {
  return new Intl.DateTimeFormat(localeOf(language), {
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

/**
 * A bill's period as a person reads it: its first day to its last (the period's `to` is the
 * day after its last, as the billing code counts it), "1 Sept – 30 Sept"; a line may break
 * between the two days, never inside one.
 */
export function billPeriod(period: { from: string; to: string }, language: Language): string {
  const together = (text: string) => text.replace(/ /g, '\u00a0');
  return `${together(day(period.from, language))} – ${together(day(addDays(period.to, -1), language))}`;
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
