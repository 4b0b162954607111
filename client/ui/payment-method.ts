/**
 * What a payment says about how it was paid, in words: one list of label and value for every
 * place that shows a payment (the receipt, the review list), so they never disagree.
 */
import type { PaymentBody } from '../../shared/facts.ts';
import type { MessageKey } from './messages.ts';
import { money } from './format.ts';

export type Line = readonly [label: string, value: string];

export function methodName(
  body: Pick<PaymentBody, 'method'>,
  t: (key: MessageKey) => string,
): string {
  return t(`method.${body.method}`);
}

/** The method's own lines, after the amount: what was handed over, or what names the payment. */
export function methodLines(body: PaymentBody, t: (key: MessageKey) => string): Line[] {
  switch (body.method) {
    case 'cash':
      return [
        [t('tendered'), money(body.tenderedMinor, body.currency)],
        [t('change'), money(body.changeMinor, body.currency)],
      ];
    case 'mobile-money':
      return [
        [t('mobileProvider'), t(`provider.${body.provider}`)],
        [t('txReference'), body.reference],
        [t('payerPhone'), body.payerPhone],
      ];
    case 'card':
      return [
        [t('cardBrand'), `${t(`brand.${body.brand}`)} •••• ${body.last4}`],
        [t('approvalCode'), body.approvalCode],
      ];
    case 'bank-transfer':
      return [[t('txReference'), body.reference]];
  }
}
