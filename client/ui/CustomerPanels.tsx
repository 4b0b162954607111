/**
 * The customer in full, below the payment form: use of energy (a year by month, the first
 * tier's outlook, a prepaid meter's days of credit), the budget with the bill foreseen, advice
 * from the customer's own figures, payments from every channel with a reprint of each, and
 * bills paid and open with their lines. Read from the details the hub gave when the screen
 * last opened online (client/db/details.ts) and from what the tablet holds, so it shows
 * offline too. Loaded only when a customer screen opens: the app starts without it.
 */
import { lineLabelIn } from '../../shared/tariff/line-names.ts';
import { useState } from 'preact/hooks';
import type { HistoryBill, HistoryPayment } from '../../shared/account-detail.ts';
import type { Bill } from '../../shared/billing.ts';
import {
  minor,
  parseAmount,
  subtract,
  type CurrencyCode,
  type MinorUnits,
} from '../../shared/money.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import {
  adviceFor,
  firstTier,
  creditOutlook,
  dailyRate,
  daysBetween,
  foreseenBill,
  monthsBefore,
  monthStart,
  periodsOfReadings,
  tierOutlook,
  usageByMonth,
  versionOn,
  type Advice,
  type MonthUsage,
} from '../../shared/usage.ts';
import { billsWithOwn, type AccountView } from '../db/accounts.ts';
import { pendingEffects } from '../../shared/protocol.ts';
import type { StoredFact } from '../db/database.ts';
import type { StoredDetail } from '../db/details.ts';
import { browserDeps, recordBudget } from '../db/facts.ts';
import { topUpOf } from '../db/prepaid.ts';
import { tariffVersionsOf } from '../db/pricing.ts';
import { useApp, useRevoked, useText } from './context.ts';
import { billPeriod, dateTime, day as dayText, fill, localeOf, money, wholeKwh } from './format.ts';
import { useLiveQuery } from './live.ts';
import type { Language, MessageKey } from './messages.ts';
import { methodName } from './payment-method.ts';
import { TokenBox } from './ReceiptScreen.tsx';

type T = (key: MessageKey) => string;

function number(value: number, language: Language, digits = 0): string {
  return new Intl.NumberFormat(localeOf(language), {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(value);
}

function monthName(month: string, language: Language, style: 'short' | 'long'): string {
  return new Intl.DateTimeFormat(localeOf(language), {
    month: style,
    ...(style === 'long' ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(new Date(`${month}-01T00:00:00Z`));
}

/** The tablet's local date of an instant (now by default), as the customer reads dates. */
function localDay(iso?: string): string {
  const at = iso === undefined ? new Date() : new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

const today = () => localDay();

export function CustomerPanels({
  view,
  detail,
}: {
  view: AccountView;
  detail: StoredDetail | undefined;
}) {
  const app = useApp();
  const versions = useLiveQuery(
    () => tariffVersionsOf(app.db, view.account.tariffId),
    [view.account.tariffId],
  );
  return (
    <>
      <UsagePanel view={view} detail={detail} versions={versions ?? []} />
      <HistoryPanel view={view} detail={detail} />
      <BillsPanel view={view} detail={detail} />
    </>
  );
}

// --- use of energy, budget, advice ---------------------------------------------------------

interface UsageFacts {
  readonly months: MonthUsage[];
  readonly rate: number | null;
  readonly tariff: Tariff | undefined;
}

function usageFacts(
  view: AccountView,
  detail: StoredDetail | undefined,
  versions: readonly Tariff[],
  day: string,
): UsageFacts {
  const { account } = view;
  const readings = detail?.detail.readings.length ? detail.detail.readings : account.recentReadings;
  const periods = detail?.detail.bills.length
    ? detail.detail.bills.map((bill) => ({ period: bill.period, kwh: bill.kwh }))
    : periodsOfReadings(readings);
  return {
    months: usageByMonth(periods, monthsBefore(day, 12)),
    rate: dailyRate(readings),
    tariff: versionOn(versions, account.tariffId, day),
  };
}

function UsagePanel({
  view,
  detail,
  versions,
}: {
  view: AccountView;
  detail: StoredDetail | undefined;
  versions: readonly Tariff[];
}) {
  const app = useApp();
  const { t } = useText();
  const day = today();
  const { months, rate, tariff } = usageFacts(view, detail, versions, day);
  const { account } = view;
  const prepaid = account.prepaid !== undefined;
  return (
    <section class="card usage" data-testid="usage-panel">
      <h3>{t('useOfEnergy')}</h3>
      <UsageChart months={months} tariff={tariff} />
      {rate !== null && (
        <p class="muted" data-testid="recent-use">
          {fill(t('recentUse'), { kwh: number(rate, app.language, 1) })}
        </p>
      )}
      {tariff && (
        <TierLine
          tariff={tariff}
          rate={rate}
          day={day}
          usedKwh={usedAgainstTier(view, tariff, months, rate, day)}
          prepaid={prepaid}
        />
      )}
      {prepaid && <CreditLine view={view} detail={detail} rate={rate} own={view.own} day={day} />}
      <BudgetBox view={view} versions={versions} rate={rate} day={day} detail={detail} />
      {tariff && (
        <AdviceList
          advice={adviceFor({ months, tariff, today: day })}
          currency={account.currency}
        />
      )}
    </section>
  );
}

/**
 * kWh counted against the first tier so far in its period. Prepaid: energy bought this month
 * (or year), the hub's and this tablet's pending. Postpaid: a monthly tier counts the bill's
 * period, so use since the last reading at the recent rate; a yearly one adds this year's months.
 */
function usedAgainstTier(
  view: AccountView,
  tariff: Tariff,
  months: readonly MonthUsage[],
  rate: number | null,
  day: string,
): number | null {
  const yearly = firstTier(tariff)?.period === 'year';
  const { account } = view;
  if (account.prepaid) {
    const within = (date: string) => date.slice(0, yearly ? 4 : 7) === day.slice(0, yearly ? 4 : 7);
    const hub = account.prepaid.soldByMonth
      .filter((m) => within(`${m.month}-01`))
      .reduce((sum, m) => sum + m.energyWh, 0);
    const pending = pendingEffects(account, view.own).reduce((sum, stored) => {
      const topUp = topUpOf(stored);
      return topUp && within(localDay(stored.fact.recordedAt)) ? sum + topUp.energyWh : sum;
    }, 0);
    return (hub + pending) / 1000;
  }
  if (rate === null || !account.lastReading) return null;
  const sinceReading = rate * Math.max(0, daysBetween(account.lastReading.readOn, day));
  if (!yearly) return sinceReading;
  const year = day.slice(0, 4);
  const readOn = account.lastReading.readOn;
  const billedThisYear = months
    .filter((m) => m.month.startsWith(year) && `${m.month}-01` < readOn)
    .reduce((sum, m) => sum + (m.kwh ?? 0), 0);
  return billedThisYear + sinceReading;
}

/** Twelve bars, one a month, the first tier's edge as a line; unknown months drawn hollow. */
function UsageChart({ months, tariff }: { months: MonthUsage[]; tariff: Tariff | undefined }) {
  const app = useApp();
  const { t } = useText();
  const tier = tariff?.energy.find((c) => c.kind === 'blocks');
  const edge = tier?.kind === 'blocks' && tier.period === 'month' ? tier.blocks[0]?.upToKwh : null;
  const top = Math.max(1, edge ?? 0, ...months.map((m) => m.kwh ?? 0)) * 1.1;
  const width = 320;
  const height = 150;
  const base = 130;
  const slot = width / months.length;
  const y = (kwh: number) => base - (kwh / top) * (base - 10);
  const described = months
    .map((m) => `${monthName(m.month, app.language, 'short')} ${m.kwh ?? t('noData')}`)
    .join(', ');
  return (
    <figure class="usage-chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${t('usageChart')}: ${described}`}
        data-testid="usage-chart"
      >
        {months.map((m, i) => {
          const x = i * slot + 3;
          const w = slot - 6;
          if (m.kwh === null)
            return (
              <rect
                key={m.month}
                x={x}
                y={base - 12}
                width={w}
                height={12}
                class="bar unknown"
                data-testid="usage-bar-unknown"
              />
            );
          return (
            <g key={m.month}>
              <rect
                x={x}
                y={y(m.kwh)}
                width={w}
                height={base - y(m.kwh)}
                class={edge !== null && edge !== undefined && m.kwh > edge ? 'bar over' : 'bar'}
                data-testid="usage-bar"
                data-kwh={m.kwh}
              />
              <text x={x + w / 2} y={y(m.kwh) - 2} class="bar-value">
                {m.kwh}
              </text>
            </g>
          );
        })}
        {edge !== null && edge !== undefined && (
          <line x1={0} x2={width} y1={y(edge)} y2={y(edge)} class="tier-edge" />
        )}
        {months.map((m, i) => (
          <text key={m.month} x={i * slot + slot / 2} y={height - 4} class="month-label">
            {monthName(m.month, app.language, 'short')}
          </text>
        ))}
      </svg>
      {/* The tier's words below the chart, not over its bars where they could not be read. */}
      {edge !== null && edge !== undefined && (
        <p class="tier-label" data-testid="tier-label">
          <svg viewBox="0 0 24 6" width="24" height="6" aria-hidden="true">
            <line x1={0} x2={24} y1={3} y2={3} class="tier-edge" />
          </svg>{' '}
          {t('firstTier')}: {edge} {t('kwhUnit')}
        </p>
      )}
      <figcaption class="muted">{t('usageChart')}</figcaption>
    </figure>
  );
}

function TierLine({
  tariff,
  rate,
  day,
  usedKwh,
  prepaid,
}: {
  tariff: Tariff;
  rate: number | null;
  day: string;
  usedKwh: number | null;
  prepaid: boolean;
}) {
  const app = useApp();
  const { t } = useText();
  if (usedKwh === null) return null;
  const outlook = tierOutlook({
    tariff,
    usedKwh,
    ratePerDay: rate,
    today: day,
    periodEnds: monthStart(day, 1),
  });
  if (!outlook) return null;
  if (outlook.leftKwh === 0)
    return (
      <p data-testid="tier-outlook">
        {fill(t('firstTierUsed'), { tier: number(outlook.firstTierKwh, app.language) })}
      </p>
    );
  // A prepaid meter's tiers count the energy bought in the month, not the use between readings.
  const which =
    outlook.period === 'year' ? 'firstTierYear' : prepaid ? 'firstTierBought' : 'firstTierMonth';
  const left = fill(t(which), {
    left: number(outlook.leftKwh, app.language),
  });
  return (
    <p data-testid="tier-outlook">
      <strong>{left}</strong>
      {outlook.reachedOn &&
        !prepaid &&
        ` · ${fill(t('firstTierReached'), { date: dayText(outlook.reachedOn, app.language) })}`}
    </p>
  );
}

function CreditLine({
  view,
  detail,
  rate,
  own,
  day,
}: {
  view: AccountView;
  detail: StoredDetail | undefined;
  rate: number | null;
  own: readonly StoredFact[];
  day: string;
}) {
  const app = useApp();
  const { t } = useText();
  // The hub's purchases as of the snapshot they came with, and this tablet's top-ups that
  // snapshot does not include yet (the same rule as the balance).
  const snapshot = detail?.detail.account ?? view.account;
  const hubPurchases =
    detail?.detail.purchases ??
    (view.account.prepaid?.soldByMonth ?? []).map((m) => ({
      on: `${m.month}-01`,
      energyWh: m.energyWh,
    }));
  const mine = pendingEffects(snapshot, own).flatMap((stored) => {
    const topUp = topUpOf(stored);
    return topUp && !view.voided.has(stored.id)
      ? [{ on: localDay(stored.fact.recordedAt), energyWh: topUp.energyWh }]
      : [];
  });
  const outlook = creditOutlook([...hubPurchases, ...mine], rate, day);
  if (!outlook) return null;
  return (
    <p data-testid="credit-days" class={outlook.days < 3 ? 'warn' : undefined}>
      {outlook.days === 0
        ? t('creditEmpty')
        : fill(t('creditDays'), {
            kwh: `${number(outlook.creditKwh, app.language, 1)} ${t('kwhUnit')}`,
            days: number(outlook.days, app.language),
            date: dayText(outlook.runsOutOn, app.language),
          })}
    </p>
  );
}

function BudgetBox({
  view,
  versions,
  rate,
  day,
  detail,
}: {
  view: AccountView;
  versions: readonly Tariff[];
  rate: number | null;
  day: string;
  detail: StoredDetail | undefined;
}) {
  const app = useApp();
  const { t, errorOf } = useText();
  const { account, budgetMinor } = view;
  const [text, setText] = useState('');
  const [note, setNote] = useState<string | undefined>();
  const revoked = useRevoked();
  const prepaid = account.prepaid !== undefined;
  const foreseen = prepaid
    ? undefined
    : foreseenBill({ versions, tariffId: account.tariffId, ratePerDay: rate, today: day });
  const spent = prepaid ? spentOnTopUpsThisMonth(view, detail, day) : undefined;
  const against = foreseen?.amountMinor ?? spent;
  const save = async (event: Event) => {
    event.preventDefault();
    const amount = parseAmount(text, account.currency);
    if (!amount.ok) return setNote(errorOf(amount.error));
    if (!app.session) return setNote(errorOf('not-signed-in'));
    const result = await recordBudget(
      app.db,
      { accountId: account.id, monthlyMinor: amount.value, agent: app.session.user },
      browserDeps,
    );
    if (!result.ok) return setNote(errorOf(result.error));
    setText('');
    setNote(t('budgetSaved'));
    void app.requestSync();
  };
  return (
    <div class="budget" data-testid="budget">
      <h4>{t('budget')}</h4>
      {foreseen && (
        <p data-testid="foreseen-bill">
          {fill(t('foreseenBill'), {
            amount: money(foreseen.amountMinor, account.currency),
            kwh: number(foreseen.kwh, app.language),
            month: monthName(foreseen.period.from.slice(0, 7), app.language, 'long'),
          })}
        </p>
      )}
      {spent !== undefined && spent > 0 && (
        <p>{fill(t('spentThisMonth'), { amount: money(spent, account.currency) })}</p>
      )}
      <p
        data-testid="budget-state"
        class={
          budgetMinor > 0 && against !== undefined && against > budgetMinor ? 'warn' : undefined
        }
      >
        {budgetMinor <= 0
          ? t('budgetNone')
          : against === undefined
            ? fill(t('budgetIs'), { amount: money(budgetMinor, account.currency) })
            : against > budgetMinor
              ? fill(t('overBudget'), {
                  budget: money(budgetMinor, account.currency),
                  over: money(subtract(against, budgetMinor), account.currency),
                })
              : fill(t('withinBudget'), { budget: money(budgetMinor, account.currency) })}
      </p>
      {/* A revoked device records nothing: the banner at the top says why. */}
      {!revoked && (
        <>
          <form class="budget-form" onSubmit={(event) => void save(event)}>
            <label>
              {fill(t('budgetAmount'), { currency: account.currency })}
              <input
                name="budget"
                inputMode="decimal"
                autoComplete="off"
                value={text}
                onInput={(event) => setText(event.currentTarget.value)}
                aria-describedby="budget-hint"
              />
            </label>
            <button type="submit" disabled={text.trim() === ''}>
              {t('budgetSave')}
            </button>
          </form>
          <p id="budget-hint" class="muted">
            {note ?? t('budgetHint')}
          </p>
        </>
      )}
    </div>
  );
}

/** What a prepaid customer spent on energy this month: from the hub's history and this tablet. */
function spentOnTopUpsThisMonth(
  view: AccountView,
  detail: StoredDetail | undefined,
  day: string,
): MinorUnits {
  const month = day.slice(0, 7);
  const seen = new Set<string>();
  let spent = 0;
  for (const payment of detail?.detail.payments ?? []) {
    seen.add(payment.factId);
    if (payment.state !== 'voided' && payment.topUp && localDay(payment.takenAt).startsWith(month))
      spent += payment.topUp.costMinor;
  }
  for (const stored of view.payments) {
    const topUp = topUpOf(stored);
    if (topUp && !seen.has(stored.id) && !view.voided.has(stored.id))
      if (localDay(stored.fact.recordedAt).startsWith(month)) spent += topUp.costMinor;
  }
  return minor(spent);
}

function AdviceList({ advice, currency }: { advice: Advice[]; currency: CurrencyCode }) {
  const app = useApp();
  const { t } = useText();
  return (
    <div class="advice" data-testid="advice">
      <h4>{t('advice')}</h4>
      {advice.length === 0 ? (
        <p class="muted">{t('noAdvice')}</p>
      ) : (
        <ul>
          {advice.map((item) => (
            <li key={item.kind} data-testid={`advice-${item.kind}`}>
              <AdviceText item={item} t={t} language={app.language} currency={currency} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AdviceText({
  item,
  t,
  language,
  currency,
}: {
  item: Advice;
  t: T;
  language: Language;
  currency: CurrencyCode;
}) {
  const m = (amount: MinorUnits) => money(amount, currency);
  switch (item.kind) {
    case 'above-first-tier':
      return (
        <>
          {fill(t('advice.above-first-tier'), {
            usual: number(item.usualKwh, language),
            over: number(item.usualKwh - item.firstTierKwh, language),
            tier: number(item.firstTierKwh, language),
            above: m(item.priceAboveMinor),
            below: m(item.priceInTierMinor),
            cut: number(item.cutKwh, language),
            perDay: number(item.cutKwh / 30, language, 1),
            save: m(item.saveMinor),
          })}
        </>
      );
    case 'within-first-tier':
      return (
        <>
          {fill(t('advice.within-first-tier'), {
            usual: number(item.usualKwh, language),
            tier: number(item.firstTierKwh, language),
            above: m(item.priceAboveMinor),
          })}
        </>
      );
    case 'each-kwh':
      return (
        <>{fill(t('advice.each-kwh'), { price: m(item.priceMinor), save: m(item.saveMinor) })}</>
      );
    case 'peak-month':
      return (
        <>
          {fill(t('advice.peak-month'), {
            month: monthName(item.month, language, 'long'),
            kwh: number(item.kwh, language),
            percent: number(item.percent, language),
            usual: number(item.usualKwh, language),
            extra: m(item.extraMinor),
          })}
        </>
      );
    case 'rising':
      return (
        <>
          {fill(t('advice.rising'), {
            recent: number(item.recentKwh, language),
            earlier: number(item.earlierKwh, language),
            percent: number(item.percent, language),
          })}
        </>
      );
  }
}

// --- payments from every channel -----------------------------------------------------------

/** One line of the history: the hub's record, or this tablet's not yet in it. */
interface HistoryLine {
  readonly factId: string;
  readonly receiptNumber: string;
  readonly amountMinor: MinorUnits;
  readonly takenAt: string;
  readonly method: HistoryPayment['method'];
  readonly who: string;
  readonly state: HistoryPayment['state'] | 'unsynced';
  /** This tablet's own fact, reprinted from the tablet's record. */
  readonly seq: number | undefined;
}

function historyLines(
  view: AccountView,
  detail: StoredDetail | undefined,
  deviceId: string | undefined,
  t: T,
): HistoryLine[] {
  const own = new Map(view.payments.map((stored) => [stored.id, stored]));
  const lines: HistoryLine[] = (detail?.detail.payments ?? []).map((p) => ({
    factId: p.factId,
    receiptNumber: p.receiptNumber,
    amountMinor: p.amountMinor,
    takenAt: p.takenAt,
    method: p.method,
    who: `${p.agentName} · ${p.deviceId === deviceId ? t('thisTablet') : t('otherTablet')}`,
    // A void this tablet made and the hub has not seen yet counts already here.
    state: view.voided.has(p.factId) ? 'voided' : p.state,
    seq: own.get(p.factId)?.seq,
  }));
  const listed = new Set(lines.map((line) => line.factId));
  for (const stored of view.payments) {
    if (listed.has(stored.id) || stored.fact.kind !== 'payment') continue;
    const body = stored.fact.body;
    lines.push({
      factId: stored.id,
      receiptNumber: body.receiptNumber,
      amountMinor: body.amountMinor,
      takenAt: stored.fact.recordedAt,
      method: body.method,
      who: t('thisTablet'),
      state: view.voided.has(stored.id)
        ? 'voided'
        : stored.status === 'pending'
          ? 'unsynced'
          : stored.outcome === 'flagged' || stored.outcome === 'duplicate'
            ? 'flagged'
            : 'counted',
      seq: stored.seq,
    });
  }
  return lines.sort((a, b) => (a.takenAt < b.takenAt ? 1 : a.takenAt > b.takenAt ? -1 : 0));
}

function HistoryPanel({ view, detail }: { view: AccountView; detail: StoredDetail | undefined }) {
  const app = useApp();
  const { t } = useText();
  const device = useLiveQuery(() => app.db.settings.get('device'), []);
  const deviceId = device?.key === 'device' ? device.deviceId : undefined;
  const lines = historyLines(view, detail, deviceId, t);
  const currency = view.account.currency;
  return (
    <section class="card" data-testid="payment-history">
      <h3>{t('paymentHistory')}</h3>
      <p class="muted" data-testid="history-source">
        {detail
          ? fill(t('historyFrom'), { time: dateTime(detail.fetchedAt, app.language) })
          : t('historyNotHere')}
      </p>
      {lines.length === 0 ? (
        <p class="muted">{t('noPayments')}</p>
      ) : (
        <ul class="history">
          {lines.map((line) => (
            <li key={line.factId} data-testid="history-payment" class={`state-${line.state}`}>
              <div class="history-main">
                <strong>{money(line.amountMinor, currency)}</strong>
                <span>{methodName({ method: line.method }, t)}</span>
                <span class={`pill ${line.state}`}>{t(`state.${line.state}`)}</span>
              </div>
              <div class="muted">
                {dateTime(line.takenAt, app.language)} · {line.receiptNumber} · {line.who}
              </div>
              <button
                type="button"
                class="link"
                data-testid="reprint"
                onClick={() =>
                  app.go(
                    line.seq !== undefined
                      ? { name: 'receipt', seq: line.seq }
                      : { name: 'copy', accountId: view.account.id, factId: line.factId },
                  )
                }
              >
                {t('reprint')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// --- bills paid and open -------------------------------------------------------------------

function BillsPanel({ view, detail }: { view: AccountView; detail: StoredDetail | undefined }) {
  const app = useApp();
  const { t } = useText();
  const currency = view.account.currency;
  // The hub's bills with this tablet's payments and printed bills it does not include yet.
  const bills: readonly (Bill & { lines?: HistoryBill['lines'] })[] = detail
    ? [...billsWithOwn(detail.detail.bills, detail.detail.account, view.own, view.voided)].sort(
        (a, b) => (a.period.from < b.period.from ? 1 : a.period.from > b.period.from ? -1 : 0),
      )
    : view.openBills;
  return (
    <section class="card" data-testid="all-bills">
      <h3>{t('allBills')}</h3>
      {bills.length === 0 ? (
        <p class="muted">{t('noOpenBills')}</p>
      ) : (
        <ul class="bill-list">
          {bills.map((bill) => {
            const paid = bill.paidMinor >= bill.amountMinor;
            return (
              <li key={bill.id} data-testid="history-bill">
                <details>
                  <summary>
                    <span>{billPeriod(bill.period, app.language)}</span>
                    <span class="num">{wholeKwh(bill.kwh, app.language)}</span>
                    <strong class="num">{money(bill.amountMinor, currency)}</strong>
                    <span class={`pill ${paid ? 'counted' : 'unsynced'}`}>
                      {paid ? t('billPaid') : t('billOpen')}
                    </span>
                  </summary>
                  {bill.lines ? (
                    <table class="lines">
                      <tbody>
                        {bill.lines.map((line) => (
                          <tr key={line.id}>
                            <td>
                              {lineLabelIn(line, app.language)}
                              {line.kwh ? ` · ${line.kwh}\u00a0${t('kwhUnit')}` : ''}
                            </td>
                            <td class="num">{money(line.amountMinor, currency)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : null}
                  {!paid && (
                    <p class="muted">
                      {t('left')}: {money(minor(bill.amountMinor - bill.paidMinor), currency)} ·{' '}
                      {t('due')} {dayText(bill.dueOn, app.language)}
                    </p>
                  )}
                </details>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

// --- a copy of a receipt from another channel ----------------------------------------------

export function ReceiptCopyScreen({ accountId, factId }: { accountId: string; factId: string }) {
  const app = useApp();
  const { t } = useText();
  const data = useLiveQuery(async () => {
    const stored = await app.db.details.get(accountId);
    const account = await app.db.accounts.get(accountId);
    return { payment: stored?.detail.payments.find((p) => p.factId === factId), account };
  }, [accountId, factId]);
  if (!data) return <main class="screen" />;
  const { payment, account } = data;
  if (!payment || !account)
    return (
      <main class="screen receipt">
        <p class="muted" data-testid="copy-missing">
          {t('historyNotHere')}
        </p>
        <button type="button" onClick={() => app.go({ name: 'account', accountId })}>
          {t('back')}
        </button>
      </main>
    );
  return (
    <main class="screen receipt">
      <section class="card receipt-card" data-testid="receipt-copy">
        <h2>
          {t('receiptCopy')} <span class="copy-mark">{t('copyMark')}</span>
        </h2>
        <dl class="facts">
          <dt>{t('receiptNumber')}</dt>
          <dd data-testid="copy-receipt-number">{payment.receiptNumber}</dd>
          <dt>{t('customer')}</dt>
          <dd>{account.name}</dd>
          <dt>{t('accountNumber')}</dt>
          <dd>{account.accountNumber}</dd>
          <dt>{t('method')}</dt>
          <dd>{methodName({ method: payment.method }, t)}</dd>
          {payment.reference && (
            <>
              <dt>{t('reference')}</dt>
              <dd>{payment.reference}</dd>
            </>
          )}
          <dt>{t('amountPaid')}</dt>
          <dd data-testid="copy-amount">{money(payment.amountMinor, account.currency)}</dd>
          <dt>{t('takenBy')}</dt>
          <dd>{payment.agentName}</dd>
          <dt>{t('takenAt')}</dt>
          <dd>{dateTime(payment.takenAt, app.language)}</dd>
          <dt>{t('status')}</dt>
          <dd>{t(`state.${payment.state}`)}</dd>
        </dl>
        {payment.topUp && <TokenBox tokens={payment.topUp.tokens} />}
      </section>
      <div class="actions no-print">
        <button type="button" onClick={() => window.print()} data-testid="print-again">
          {t('printAgain')}
        </button>
        <button
          type="button"
          class="primary"
          onClick={() => app.go({ name: 'account', accountId })}
        >
          {t('back')}
        </button>
      </div>
    </main>
  );
}
