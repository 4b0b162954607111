/** What a village agent's counter took today on this device: customers served, and the money. */
import { type CurrencyCode, type MinorUnits } from '../../shared/money.ts';
import { voidedOwn } from '../db/facts.ts';
import { useApp, useText } from './context.ts';
import { fill, money } from './format.ts';
import { useLiveQuery } from './live.ts';

/** What the counter took today on this device: customers served and the money, by currency. */
export function CounterToday() {
  const app = useApp();
  const { t } = useText();
  const today = useLiveQuery(async () => {
    const since = new Date();
    since.setHours(0, 0, 0, 0);
    const from = since.toISOString();
    // Today's facts, sent or not (the index runs by state and time), voids taken off.
    const facts = (
      await Promise.all(
        (['pending', 'acked'] as const).map((status) =>
          app.db.facts
            .where('[status+fact.recordedAt]')
            .between([status, from], [status, '\uffff'])
            .toArray(),
        ),
      )
    ).flat();
    const voided = voidedOwn(facts);
    const payments = facts.filter((stored) => stored.kind === 'payment' && !voided.has(stored.id));
    const customers = new Set<string>();
    const totals = new Map<CurrencyCode, number>();
    for (const stored of payments) {
      if (stored.fact.kind !== 'payment') continue;
      customers.add(stored.fact.body.accountId);
      const { currency, amountMinor } = stored.fact.body;
      totals.set(currency, (totals.get(currency) ?? 0) + amountMinor);
    }
    return { customers: customers.size, totals: [...totals] };
  }, []);
  if (!today) return null;
  return (
    <p class="counter-today" data-testid="counter-today">
      {fill(t('counterToday'), { count: String(today.customers) })}
      {today.totals.map(([currency, total]) => (
        <strong key={currency}> · {money(total as MinorUnits, currency)}</strong>
      ))}
    </p>
  );
}
