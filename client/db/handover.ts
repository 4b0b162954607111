/**
 * The day's cash on the tablet: what its facts since the last handover took, by method, and
 * the cash they put in the agent's hands (shared/rules/handover.ts, the hub's own rule); and the
 * handover itself, recorded after a blind count, covering exactly those facts.
 */
import type { HandoverBody, KindAndBody, VarianceReason, VoidBody } from '../../shared/facts.ts';
import { minor, type CurrencyCode } from '../../shared/money.ts';
import {
  cashOf,
  dayTotals,
  DEFAULT_HANDOVER_TOLERANCE_MINOR,
  handoverFlag,
  type CashFact,
  type MethodTotal,
  type OwnPayment,
} from '../../shared/rules/handover.ts';
import { ok, type Result } from '../../shared/result.ts';
import type { User } from '../../shared/api.ts';
import { readSetting, type GridtallyDatabase, type StoredFact } from './database.ts';
import { appendFacts, type AppendError, type DeviceDeps } from './facts.ts';

export interface DayCash {
  readonly currency: CurrencyCode;
  /** This device's facts since its last handover start at this seq. */
  readonly fromSeq: number;
  readonly methods: readonly MethodTotal[];
  readonly expectedCashMinor: number;
  readonly last: { readonly at: string; readonly countedMinor: number } | undefined;
}

/** The device's own payment a void names, among the facts it holds. */
function ownPaymentIn(own: readonly StoredFact[]): (body: VoidBody) => OwnPayment | undefined {
  return (body) => {
    const found = own.find(
      (stored) =>
        stored.fact.kind === 'payment' &&
        (body.paymentId !== undefined
          ? stored.id === body.paymentId
          : stored.fact.body.receiptNumber === body.receiptNumber),
    );
    return found?.fact.kind === 'payment'
      ? { method: found.fact.body.method, amountMinor: found.fact.body.amountMinor }
      : undefined;
  };
}

/** The device's payments it still holds, to find what its voids take back. */
async function ownPayments(db: GridtallyDatabase): Promise<StoredFact[]> {
  return db.facts.filter((stored) => stored.kind === 'payment').toArray();
}

export async function dayCash(db: GridtallyDatabase, currency: CurrencyCode): Promise<DayCash> {
  const last = await readSetting(db, 'handover');
  const fromSeq = (last?.throughSeq ?? 0) + 1;
  const facts = await db.facts.where('seq').aboveOrEqual(fromSeq).toArray();
  const lookup = ownPaymentIn(await ownPayments(db));
  return { currency, fromSeq, ...totalsOf(facts, lookup, currency), last };
}

/** Payments by method (voids of this tablet's payments taken off), and the cash expected. */
function totalsOf(
  facts: readonly StoredFact[],
  lookup: (body: VoidBody) => OwnPayment | undefined,
  currency: CurrencyCode,
) {
  const money: KindAndBody[] = [];
  const byMethod: CashFact[] = [];
  for (const stored of facts) {
    const fact = stored.fact;
    if (fact.kind === 'payment' && fact.body.currency === currency) {
      money.push({ kind: 'payment', body: fact.body });
      byMethod.push({
        kind: 'payment',
        method: fact.body.method,
        amountMinor: fact.body.amountMinor,
      });
    } else if (fact.kind === 'void') {
      const own = lookup(fact.body);
      if (!own) continue;
      money.push({ kind: 'void', body: fact.body });
      byMethod.push({ kind: 'void', method: own.method, amountMinor: own.amountMinor });
    }
  }
  return { methods: dayTotals(byMethod), expectedCashMinor: cashOf(money, lookup) };
}

export type HandoverError =
  | 'count-total-mismatch'
  | 'handover-out-of-order'
  | 'handover-expected-mismatch'
  | 'variance-unexplained';

export interface HandoverInput {
  readonly currency: CurrencyCode;
  readonly counted: readonly { readonly valueMinor: number; readonly count: number }[];
  readonly varianceReason?: VarianceReason;
  readonly note?: string;
  readonly agent: User;
}

/**
 * Hands over the cash of every fact since the last handover: what was expected is worked out
 * inside the transaction that records it, from the facts themselves, so a payment taken
 * meanwhile is either in this handover or in the next, never in both or neither.
 */
export async function recordHandover(
  db: GridtallyDatabase,
  input: HandoverInput,
  deps: DeviceDeps,
): Promise<Result<StoredFact, HandoverError | AppendError>> {
  const written = await appendFacts<HandoverError>(db, input.agent, deps, async (context) => {
    // Read inside the transaction: every fact the device holds comes before this one.
    const totals = await dayCash(db, input.currency);
    const { fromSeq } = totals;
    const throughSeq = context.firstSeq - 1;
    const counted = input.counted.filter((line) => line.count > 0);
    const body: HandoverBody = {
      currency: input.currency,
      fromSeq,
      throughSeq,
      byMethod: totals.methods.map((m) => ({ ...m, amountMinor: minor(m.amountMinor) })),
      expectedMinor: minor(totals.expectedCashMinor),
      counted: counted.map((line) => ({ valueMinor: line.valueMinor, count: line.count })),
      countedMinor: minor(counted.reduce((sum, line) => sum + line.valueMinor * line.count, 0)),
      ...(input.varianceReason ? { varianceReason: input.varianceReason } : {}),
      ...(input.note?.trim() ? { note: input.note.trim() } : {}),
    };
    const flag = handoverFlag(
      { body },
      {
        provenance: undefined,
        expectedCashMinor: totals.expectedCashMinor,
        toleranceMinor: DEFAULT_HANDOVER_TOLERANCE_MINOR,
        previousThroughSeq: fromSeq - 1,
      },
    );
    if (flag !== undefined) return flag as HandoverError;
    await db.settings.put({
      key: 'handover',
      throughSeq,
      at: new Date(context.nowMs).toISOString(),
      countedMinor: body.countedMinor,
    });
    return [
      {
        id: context.newId(),
        fact: { kind: 'handover', body },
        accountId: '',
        amountMinor: minor(0),
        balanceDeltaMinor: 0,
      },
    ];
  });
  return written.ok ? ok(written.value[0] as StoredFact) : written;
}
