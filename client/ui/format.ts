/** Formatting at the screen's edge: money from minor units, times in the device's zone. */
import { formatMoney, type CurrencyCode, type MinorUnits } from '../../shared/money.ts';
import type { Language } from './messages.ts';

export function money(amount: MinorUnits, currency: CurrencyCode): string {
  return formatMoney(amount, currency);
}

export function dateTime(iso: string, language: Language): string {
  return new Date(iso).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}
