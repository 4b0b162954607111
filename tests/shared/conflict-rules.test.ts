/**
 * Goal: the conflict rules for voids, contact edits, meter readings and spot bills decide the
 * same way whatever order facts reach the hub in, never lose or double money, and give the
 * named outcome for each kind of mistake; a spot bill printed at the door is the tariff
 * engine's bill for the kWh its readings show.
 *
 * Method: fast-check properties over inputs shaped like the hub's: arrival order sets change
 * numbers, a device only sees changes that arrived before it edits, its own facts go up in
 * sequence and its clock is a hybrid clock that may run days slow or fast. Small replays of
 * the hub (hold and release voids, flag readings as they arrive) check outcomes over whole
 * histories; independent models in plain arithmetic check single answers.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { demoTariff } from '../../hub/demo/tariff.ts';
import { formatHlc, hlcStart, hlcTick, type Hlc } from '../../shared/clock.ts';
import {
  CLOCK_AHEAD_TOLERANCE_MS,
  concurrent,
  concurrentEdits,
  contactWinner,
  effectiveStamp,
  READING_TOLERANCE_KWH,
  READING_WINDOW_DAYS,
  readingFlag,
  releaseOrder,
  spotBillCheck,
  supersedes,
  voidDecision,
  type ContactEdit,
  type PaymentState,
  type ReadingFlag,
  type ReadingSeen,
  type VoidFlag,
  type VoidRequest,
} from '../../shared/conflicts.ts';
import { minor } from '../../shared/money.ts';
import type { Result } from '../../shared/result.ts';
import { draftSpotBill, type SpotBillInput } from '../../shared/spot-bill.ts';
import { computeBill } from '../../shared/tariff/engine.ts';

const T0 = Date.UTC(2026, 10, 20, 9, 0);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The value of a result that must have one; the error, if not, fails the test by name. */
function valueOf<T, E>(result: Result<T, E>): T {
  if (!result.ok) throw new Error(`expected a value, got ${JSON.stringify(result.error)}`);
  return result.value;
}

/** The same array in an order fast-check picks. */
function permutationOf<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

// ---------------------------------------------------------------------------------------------
// Voids

const PAYMENT_ID = 'pay-0417';
const accountIdArb = fc.constantFrom('acc-0001', 'acc-0002', 'acc-0003');
const amountArb = fc.integer({ min: 1, max: 5_000_000 });
const paymentArb: fc.Arbitrary<PaymentState> = fc.record({
  factId: fc.constant(PAYMENT_ID),
  accountId: accountIdArb,
  amountMinor: amountArb,
  applied: fc.boolean(),
  voidedBy: fc.option(fc.constantFrom('void-0021', 'void-0022'), { nil: undefined }),
});

/** A void of the payment: on its account and for its amount unless told otherwise. */
function voidOf(
  payment: PaymentState,
  factId: string,
  mistake: 'none' | 'other-account' | 'other-amount' = 'none',
): VoidRequest {
  return {
    factId,
    paymentId: payment.factId,
    accountId: mistake === 'other-account' ? `${payment.accountId}-x` : payment.accountId,
    amountMinor: mistake === 'other-amount' ? payment.amountMinor + 1 : payment.amountMinor,
  };
}

interface HeldVoid extends VoidRequest {
  readonly hlc: string;
}

type Decided = { kind: 'apply'; reverseMinor: number } | { kind: 'flag'; reason: VoidFlag };

/**
 * The hub in small: voids arriving before the payment are held; when it arrives they are
 * released in releaseOrder; an applied void marks the payment voided.
 */
function replayVoids(
  payment: PaymentState,
  voids: readonly HeldVoid[],
  paymentArrivesAt: number,
): Map<string, Decided> {
  let state: PaymentState | undefined;
  const held: HeldVoid[] = [];
  const decided = new Map<string, Decided>();
  const decide = (request: HeldVoid): void => {
    const decision = voidDecision(request, state);
    if (decision.kind === 'hold') {
      held.push(request);
      return;
    }
    if (decision.kind === 'apply' && state) state = { ...state, voidedBy: request.factId };
    decided.set(request.factId, decision);
  };
  voids.forEach((request, index) => {
    if (index === paymentArrivesAt) {
      state = payment;
      releaseOrder(held.splice(0)).forEach(decide);
    }
    decide(request);
  });
  if (paymentArrivesAt >= voids.length) {
    state = payment;
    releaseOrder(held.splice(0)).forEach(decide);
  }
  return decided;
}

const heldVoidsArb = fc
  .uniqueArray(
    fc.record({
      factId: fc.integer({ min: 1, max: 9_999 }).map((n) => `void-${String(n).padStart(4, '0')}`),
      wallMs: fc.integer({ min: 0, max: 3 }).map((n) => T0 + n * MINUTE_MS),
      counter: fc.integer({ min: 0, max: 2 }),
      node: fc.constantFrom('dev-a', 'dev-b'),
    }),
    { minLength: 1, maxLength: 7, selector: (v) => v.factId },
  )
  .map((specs) =>
    specs.map((spec) => ({
      factId: spec.factId,
      hlc: formatHlc({ wallMs: spec.wallMs, counter: spec.counter, node: spec.node }),
    })),
  );

describe('voids', () => {
  test('a void whose payment has not arrived is held, whatever it says', () => {
    fc.assert(
      fc.property(paymentArb, fc.string(), accountIdArb, amountArb, (payment, id, account, amt) => {
        const request = { factId: id, paymentId: payment.factId, accountId: account };
        expect(voidDecision({ ...request, amountMinor: amt }, undefined)).toEqual({
          kind: 'hold',
        });
      }),
    );
  });

  test('a void naming another account than its payment’s is flagged void-account-mismatch', () => {
    fc.assert(
      fc.property(paymentArb, fc.boolean(), (payment, alsoWrongAmount) => {
        const request = voidOf(payment, 'void-0031', 'other-account');
        const amountMinor = alsoWrongAmount ? request.amountMinor + 7 : request.amountMinor;
        expect(voidDecision({ ...request, amountMinor }, payment)).toEqual({
          kind: 'flag',
          reason: 'void-account-mismatch',
        });
      }),
    );
  });

  test('a void on the right account for another amount is flagged void-amount-mismatch', () => {
    fc.assert(
      fc.property(paymentArb, fc.integer({ min: -1_000, max: 1_000 }), (payment, offMinor) => {
        fc.pre(offMinor !== 0);
        const request = voidOf(payment, 'void-0032');
        const amountMinor = request.amountMinor + offMinor;
        expect(voidDecision({ ...request, amountMinor }, payment)).toEqual({
          kind: 'flag',
          reason: 'void-amount-mismatch',
        });
      }),
    );
  });

  test('a second matching void of a payment another void already reversed is flagged already-voided', () => {
    fc.assert(
      fc.property(paymentArb, (payment) => {
        const voided = { ...payment, voidedBy: 'void-0041' };
        expect(voidDecision(voidOf(voided, 'void-0042'), voided)).toEqual({
          kind: 'flag',
          reason: 'already-voided',
        });
      }),
    );
  });

  test('a matching void reverses the payment’s amount if the payment was applied, and nothing if not', () => {
    fc.assert(
      fc.property(paymentArb, (payment) => {
        const fresh = { ...payment, voidedBy: undefined };
        const decision = voidDecision(voidOf(fresh, 'void-0051'), fresh);
        expect(decision).toEqual({
          kind: 'apply',
          reverseMinor: payment.applied ? payment.amountMinor : 0,
        });
      }),
    );
  });

  test('a void decided again after it applied itself is still applied, with the same reversal', () => {
    fc.assert(
      fc.property(paymentArb, (payment) => {
        const fresh = { ...payment, voidedBy: undefined };
        const request = voidOf(fresh, 'void-0061');
        const first = voidDecision(request, fresh);
        expect(first.kind).toBe('apply');
        expect(voidDecision(request, { ...fresh, voidedBy: request.factId })).toEqual(first);
      }),
    );
  });

  test('held voids are released in one order, by clock stamp then id, whatever order they were held in', () => {
    fc.assert(
      fc.property(
        heldVoidsArb.chain((voids) => fc.tuple(fc.constant(voids), permutationOf(voids))),
        ([voids, shuffled]) => {
          const released = releaseOrder(shuffled);
          expect(released).toEqual(releaseOrder(voids));
          expect([...released].sort((a, b) => (a.factId < b.factId ? -1 : 1))).toEqual(
            [...voids].sort((a, b) => (a.factId < b.factId ? -1 : 1)),
          );
          released.slice(1).forEach((later, index) => {
            const earlier = released[index];
            const key = (v: typeof later) => [v.hlc, v.factId].join(' ');
            expect(earlier && key(earlier) < key(later)).toBe(true);
          });
        },
      ),
    );
  });

  test('of several voids of one payment, however they and the payment arrive, exactly one reverses it', () => {
    const mistakeArb = fc.constantFrom('none', 'none', 'other-account', 'other-amount');
    fc.assert(
      fc.property(
        paymentArb.map((p) => ({ ...p, voidedBy: undefined })),
        heldVoidsArb.chain((voids) =>
          fc.tuple(
            permutationOf(voids),
            fc.array(mistakeArb, { minLength: voids.length, maxLength: voids.length }),
          ),
        ),
        fc.nat(8),
        (payment, [voids, mistakes], paymentArrivesAt) => {
          const requests = voids.map((v, i) => ({
            ...voidOf(payment, v.factId, mistakes[i]),
            hlc: v.hlc,
          }));
          const decided = [...replayVoids(payment, requests, paymentArrivesAt).values()];
          const matching = mistakes.filter((m) => m === 'none').length;
          const applied = decided.filter((d) => d.kind === 'apply');
          expect(decided).toHaveLength(requests.length);
          expect(applied).toHaveLength(Math.min(1, matching));
          const reversed = applied.reduce((total, d) => total + d.reverseMinor, 0);
          expect(reversed).toBe(matching > 0 && payment.applied ? payment.amountMinor : 0);
        },
      ),
    );
  });

  test('when every void arrives before its payment, the same one applies whatever their order', () => {
    fc.assert(
      fc.property(
        paymentArb.map((p) => ({ ...p, voidedBy: undefined })),
        heldVoidsArb.chain((voids) => fc.tuple(permutationOf(voids), permutationOf(voids))),
        (payment, [oneOrder, otherOrder]) => {
          const applied = (order: typeof oneOrder) =>
            [
              ...replayVoids(
                payment,
                order.map((v) => ({ ...voidOf(payment, v.factId), hlc: v.hlc })),
                order.length,
              ),
            ]
              .filter(([, d]) => d.kind === 'apply')
              .map(([id]) => id);
          expect(applied(oneOrder)).toHaveLength(1);
          expect(applied(oneOrder)).toEqual(applied(otherOrder));
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Contact edits

const DEVICES = ['dev-a', 'dev-b', 'dev-c', 'dev-d'] as const;
const VALUES = ['+254711000001', '+254722000002', '+254733000003'] as const;

interface EditPlan {
  readonly deviceId: string;
  readonly field: string;
  readonly value: string;
  /** Picks which change, of those the device could have pulled by then, it edited from. */
  readonly sawPick: number;
  /** Facts of other kinds the device recorded since its last edit. */
  readonly seqGap: number;
  /** How long before it reached the hub the edit was made. */
  readonly madeBeforeMs: number;
  readonly idTag: number;
}

const clockOffsetArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -2 * MINUTE_MS, max: 2 * MINUTE_MS }),
  fc.integer({ min: -7 * DAY_MS, max: 7 * DAY_MS }),
);

function planArb(fieldArb: fc.Arbitrary<string>): fc.Arbitrary<EditPlan> {
  return fc.record({
    deviceId: fc.constantFrom(...DEVICES),
    field: fieldArb,
    value: fc.constantFrom(...VALUES),
    sawPick: fc.nat(),
    seqGap: fc.nat(3),
    madeBeforeMs: fc.integer({ min: 0, max: 3 * DAY_MS }),
    idTag: fc.nat(0xffff),
  });
}

/**
 * Edits as the hub stores them: the i-th to arrive gets change i + 1 and is received ten
 * minutes after the one before; it was made from a snapshot no older than its device's last
 * one and no newer than the hub's latest change; its device's sequence and hybrid clock go up;
 * each device's wall clock is off by its own offset.
 */
function hubHistory(plans: readonly EditPlan[], offsetsMs: readonly number[]): ContactEdit[] {
  const devices = new Map<string, { seq: number; base: number; clock: Hlc }>();
  return plans.map((plan, index) => {
    const before = devices.get(plan.deviceId);
    const receivedAtMs = T0 + index * 10 * MINUTE_MS;
    const offsetMs = offsetsMs[DEVICES.findIndex((d) => d === plan.deviceId)] ?? 0;
    const wallMs = receivedAtMs - plan.madeBeforeMs + offsetMs;
    const clock = before ? hlcTick(before.clock, wallMs) : hlcStart(plan.deviceId, wallMs);
    const lowest = before?.base ?? 0;
    const baseChangeSeq = lowest + (plan.sawPick % (index - lowest + 1));
    const deviceSeq = (before?.seq ?? 0) + 1 + plan.seqGap;
    devices.set(plan.deviceId, { seq: deviceSeq, base: baseChangeSeq, clock });
    return {
      factId: `edit-${plan.idTag.toString(16).padStart(4, '0')}-${index}`,
      deviceId: plan.deviceId,
      deviceSeq,
      field: plan.field,
      value: plan.value,
      hlc: formatHlc(clock),
      baseChangeSeq,
      changeSeq: index + 1,
      receivedAtMs,
    };
  });
}

function historyArb(
  fieldArb: fc.Arbitrary<string> = fc.constant('phone'),
): fc.Arbitrary<ContactEdit[]> {
  return fc
    .tuple(
      fc.array(planArb(fieldArb), { minLength: 1, maxLength: 8 }),
      fc.array(clockOffsetArb, { minLength: DEVICES.length, maxLength: DEVICES.length }),
    )
    .map(([plans, offsets]) => hubHistory(plans, offsets));
}

/** Concurrent edits written out with their raw clock readings, for the model below. */
interface RawEdit {
  readonly edit: ContactEdit;
  readonly wallMs: number;
  readonly counter: number;
  readonly node: string;
}

const concurrentEditsArb: fc.Arbitrary<RawEdit[]> = fc
  .array(
    fc.record({
      receivedAtMs: fc.integer({ min: 0, max: 3 }).map((n) => T0 + n * MINUTE_MS),
      wallMs: fc.constantFrom(
        T0 - 7 * DAY_MS,
        T0 - MINUTE_MS,
        T0,
        T0 + MINUTE_MS,
        T0 + CLOCK_AHEAD_TOLERANCE_MS,
        T0 + CLOCK_AHEAD_TOLERANCE_MS + 2 * MINUTE_MS,
        T0 + 30 * DAY_MS,
      ),
      counter: fc.nat(2),
      node: fc.constantFrom('node-1', 'node-2'),
      idTag: fc.nat(0xffff),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((specs) =>
    specs.map((spec, index) => ({
      wallMs: spec.wallMs,
      counter: spec.counter,
      node: spec.node,
      edit: {
        factId: `edit-${spec.idTag.toString(16).padStart(4, '0')}-${index}`,
        deviceId: `dev-${index}`,
        deviceSeq: 1,
        field: 'phone',
        value: VALUES[index % VALUES.length] ?? '',
        hlc: formatHlc({ wallMs: spec.wallMs, counter: spec.counter, node: spec.node }),
        baseChangeSeq: 0,
        changeSeq: index + 1,
        receivedAtMs: spec.receivedAtMs,
      },
    })),
  );

/** The clock rule in plain terms: wall time capped at receipt plus tolerance, counter, node, id. */
function modelLatest(edits: readonly RawEdit[]): string | undefined {
  const key = (raw: RawEdit) =>
    [
      String(Math.min(raw.wallMs, raw.edit.receivedAtMs + CLOCK_AHEAD_TOLERANCE_MS)).padStart(16),
      String(raw.counter).padStart(6),
      raw.node,
      raw.edit.factId,
    ].join(' ');
  return [...edits].sort((a, b) => (key(a) < key(b) ? -1 : 1)).at(-1)?.edit.factId;
}

describe('contact edits', () => {
  test('the same set of edits has the same winner whatever order they are handed over in', () => {
    fc.assert(
      fc.property(
        historyArb().chain((edits) => fc.tuple(fc.constant(edits), permutationOf(edits))),
        ([edits, shuffled]) => {
          expect(contactWinner(shuffled)?.factId).toBe(contactWinner(edits)?.factId);
        },
      ),
    );
  });

  test('an edit made after seeing every other edit wins, even from a device whose clock is a week slow', () => {
    fc.assert(
      fc.property(
        historyArb(),
        fc.constantFrom(...DEVICES, 'dev-late'),
        fc.oneof(fc.constant(-7 * DAY_MS), fc.integer({ min: -30 * DAY_MS, max: 30 * DAY_MS })),
        (edits, deviceId, clockOffsetMs) => {
          const receivedAtMs = T0 + edits.length * 10 * MINUTE_MS;
          const ownSeqs = edits.filter((e) => e.deviceId === deviceId).map((e) => e.deviceSeq);
          const last: ContactEdit = {
            factId: 'edit-0000-last',
            deviceId,
            deviceSeq: Math.max(0, ...ownSeqs) + 1,
            field: 'phone',
            value: '+254744000004',
            hlc: formatHlc({ wallMs: receivedAtMs + clockOffsetMs, counter: 0, node: deviceId }),
            baseChangeSeq: edits.length,
            changeSeq: edits.length + 1,
            receivedAtMs,
          };
          expect(edits.every((other) => supersedes(last, other))).toBe(true);
          expect(contactWinner([...edits, last])?.factId).toBe(last.factId);
        },
      ),
    );
  });

  test('among edits that did not see each other, the latest stamp (capped at receipt plus tolerance) wins, then the highest id', () => {
    fc.assert(
      fc.property(concurrentEditsArb, (raw) => {
        const edits = raw.map((r) => r.edit);
        expect(contactWinner(edits)?.factId).toBe(modelLatest(raw));
      }),
    );
  });

  test('a stamp far ahead of its receipt loses to a later stamp and beats one at its receipt plus tolerance only by the tie-break', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 * DAY_MS }),
        fc.constantFrom(-1, 0, 1),
        fc.nat(2),
        fc.nat(2),
        fc.constantFrom('edit-a', 'edit-b'),
        (aheadByMs, deltaMs, aheadCounter, otherCounter, aheadId) => {
          const ceilingMs = T0 + CLOCK_AHEAD_TOLERANCE_MS;
          const edit = (factId: string, wallMs: number, counter: number, receivedAtMs: number) => ({
            factId,
            deviceId: factId,
            deviceSeq: 1,
            field: 'phone',
            value: factId,
            hlc: formatHlc({ wallMs, counter, node: 'node-1' }),
            baseChangeSeq: 0,
            changeSeq: factId === aheadId ? 1 : 2,
            receivedAtMs,
          });
          const otherId = aheadId === 'edit-a' ? 'edit-b' : 'edit-a';
          const ahead = edit(aheadId, ceilingMs + aheadByMs, aheadCounter, T0);
          const other = edit(otherId, ceilingMs + deltaMs, otherCounter, ceilingMs + deltaMs);
          expect(effectiveStamp(ahead)?.wallMs).toBe(ceilingMs);
          const aheadWinsTie =
            aheadCounter !== otherCounter ? aheadCounter > otherCounter : aheadId > otherId;
          const expected = deltaMs > 0 || (deltaMs === 0 && !aheadWinsTie) ? otherId : aheadId;
          expect(contactWinner([ahead, other])?.factId).toBe(expected);
        },
      ),
    );
  });

  test('no edit supersedes itself, and no two edits supersede each other', () => {
    fc.assert(
      fc.property(historyArb(), (edits) => {
        for (const a of edits) {
          expect(supersedes(a, a)).toBe(false);
          expect(concurrent(a, a)).toBe(false);
          for (const b of edits) expect(supersedes(a, b) && supersedes(b, a)).toBe(false);
        }
      }),
    );
  });

  test('edits are concurrent exactly when they come from two devices and neither was made from a snapshot holding the other', () => {
    fc.assert(
      fc.property(historyArb(), (edits) => {
        for (const a of edits)
          for (const b of edits) {
            const sawEachOther = a.baseChangeSeq >= b.changeSeq || b.baseChangeSeq >= a.changeSeq;
            const expected = a.factId !== b.factId && a.deviceId !== b.deviceId && !sawEachOther;
            expect(concurrent(a, b)).toBe(expected);
          }
      }),
    );
  });

  test('concurrentEdits names only concurrent edits of the same field with another value, never the arriving edit itself', () => {
    fc.assert(
      fc.property(historyArb(fc.constantFrom('phone', 'address')), (edits) => {
        for (const arriving of edits) {
          const found = concurrentEdits(arriving, edits);
          const expected = edits.filter(
            (other) =>
              other.field === arriving.field &&
              other.value !== arriving.value &&
              concurrent(arriving, other),
          );
          expect(found.map((e) => e.factId)).toEqual(expected.map((e) => e.factId));
          expect(found.some((e) => e.factId === arriving.factId)).toBe(false);
          expect(found.some((e) => e.value === arriving.value)).toBe(false);
        }
      }),
    );
  });

  // Found by this file: an unreadable stamp fell back to fact-id order and made the order
  // circular. Facts' stamps are now checked at the schema too, but the rule must stay total.
  test('the winner does not depend on order even when a device sent a stamp that is not a clock stamp', () => {
    const edit = (factId: string, hlc: string): ContactEdit => ({
      factId,
      deviceId: `dev-${factId}`,
      deviceSeq: 1,
      field: 'phone',
      value: factId,
      hlc,
      baseChangeSeq: 0,
      changeSeq: 1,
      receivedAtMs: T0,
    });
    const stampArb = fc.oneof(
      fc.integer({ min: 0, max: 3 }).map((n) => formatHlc(hlcStart('node-1', T0 + n))),
      fc.constant('not-a-stamp'),
    );
    const editsArb = fc
      .uniqueArray(fc.tuple(fc.stringMatching(/^f-[a-z]$/), stampArb), {
        minLength: 1,
        maxLength: 5,
        selector: ([id]) => id,
      })
      .map((specs) => specs.map(([id, hlc]) => edit(id, hlc)));
    // The smallest case: no stamp, T0 + 1 and T0 + 2 order as f-z < f-a < f-m < f-z.
    const unstamped = edit('f-m', 'not-a-stamp');
    const earlier = edit('f-z', formatHlc(hlcStart('node-1', T0 + 1)));
    const later = edit('f-a', formatHlc(hlcStart('node-1', T0 + 2)));
    fc.assert(
      fc.property(
        editsArb.chain((edits) => fc.tuple(fc.constant(edits), permutationOf(edits))),
        ([edits, shuffled]) => {
          expect(contactWinner(shuffled)?.factId).toBe(contactWinner(edits)?.factId);
        },
      ),
      {
        examples: [
          [
            [
              [unstamped, earlier, later],
              [earlier, later, unstamped],
            ],
          ],
        ],
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Meter readings

const DAY0 = '2026-03-02';

interface ReadingSpec {
  readonly id: string;
  readonly readOn: string;
  readonly registerKwh: number;
}

/**
 * The hub in small: readings arrive in order after the seeded history, each gets the next
 * change number, and a flag on the arriving reading or on held ones sticks.
 */
function replayReadings(
  history: readonly ReadingSeen[],
  arrivals: readonly ReadingSpec[],
): { flags: Map<string, ReadingFlag | undefined>; flagged: Set<string> } {
  const held = history.map((r) => ({ ...r }));
  const flags = new Map<string, ReadingFlag | undefined>();
  const flagged = new Set(held.filter((r) => r.flagged).map((r) => r.id));
  for (const spec of arrivals) {
    const changeSeq = held.length + 1;
    const others = held.map((r) => ({ ...r, flagged: flagged.has(r.id) }));
    const verdict = readingFlag({ ...spec, changeSeq, flagged: false }, others);
    flags.set(spec.id, verdict.flag);
    if (verdict.flag) flagged.add(spec.id);
    verdict.heldToFlag.forEach((id) => flagged.add(id));
    held.push({ ...spec, changeSeq, flagged: false });
  }
  return { flags, flagged };
}

/** A meter read at steady daily use: at least two readings, days apart, all before the window. */
const steadyHistoryArb = fc
  .record({
    startKwh: fc.integer({ min: 100, max: 50_000 }),
    kwhPerDay: fc.integer({ min: 1, max: 40 }),
    gapsDays: fc.array(fc.integer({ min: 1, max: 35 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ startKwh, kwhPerDay, gapsDays }) => {
    let day = 0;
    const readings: ReadingSeen[] = [
      { id: 'hist-0', readOn: DAY0, registerKwh: startKwh, changeSeq: 1, flagged: false },
    ];
    gapsDays.forEach((gap, index) => {
      day += gap;
      readings.push({
        id: `hist-${index + 1}`,
        readOn: addDays(DAY0, day),
        registerKwh: startKwh + kwhPerDay * day,
        changeSeq: index + 2,
        flagged: false,
      });
    });
    return { readings, kwhPerDay, lastDay: day, lastKwh: startKwh + kwhPerDay * day };
  });

describe('meter readings', () => {
  test('a reading is flagged reading-went-backwards exactly when it is below the last unflagged reading more than the window earlier', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            day: fc.nat(60),
            registerKwh: fc.integer({ min: 1, max: 99_999 }),
            flagged: fc.boolean(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 61 + READING_WINDOW_DAYS, max: 120 }),
        fc.oneof(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -500, max: 500 })),
        (specs, arrivingDay, fromLastKwh) => {
          const others = specs.map((s, i) => ({
            id: `r-${i}`,
            readOn: addDays(DAY0, s.day),
            registerKwh: s.registerKwh,
            changeSeq: i + 1,
            flagged: s.flagged,
          }));
          const anchors = specs
            .map((s, i) => ({ ...s, changeSeq: i + 1 }))
            .filter((s) => !s.flagged);
          fc.pre(anchors.length > 0);
          const last = anchors.reduce((a, b) =>
            b.day > a.day || (b.day === a.day && b.changeSeq > a.changeSeq) ? b : a,
          );
          const registerKwh = Math.max(0, last.registerKwh + fromLastKwh);
          const verdict = readingFlag(
            {
              id: 'arriving',
              readOn: addDays(DAY0, arrivingDay),
              registerKwh,
              changeSeq: others.length + 1,
              flagged: false,
            },
            others,
          );
          expect(verdict.flag === 'reading-went-backwards').toBe(registerKwh < last.registerKwh);
        },
      ),
    );
  });

  test('readings within the tolerance of each other never flag each other, whatever order they arrive in', () => {
    fc.assert(
      fc.property(
        fc.option(steadyHistoryArb, { nil: undefined }),
        fc.array(
          fc.record({
            day: fc.nat(READING_WINDOW_DAYS),
            halfKwh: fc.nat(READING_TOLERANCE_KWH * 2),
          }),
          { minLength: 2, maxLength: 5 },
        ),
        fc.integer({ min: 0, max: 3_000 }),
        (history, cluster, aboveKwh) => {
          const firstDay = (history?.lastDay ?? 0) + READING_WINDOW_DAYS + 1;
          const arrivals = cluster.map((c, i) => ({
            id: `c-${i}`,
            readOn: addDays(DAY0, firstDay + c.day),
            registerKwh: (history?.lastKwh ?? 0) + aboveKwh + c.halfKwh / 2,
          }));
          const { flagged } = replayReadings(history?.readings ?? [], arrivals);
          expect([...flagged]).toEqual([]);
        },
      ),
    );
  });

  test('of two disagreeing readings on one day after a steady history, the one far from the trend is flagged, whichever arrives first', () => {
    fc.assert(
      fc.property(
        steadyHistoryArb,
        fc.integer({ min: READING_WINDOW_DAYS + 1, max: 40 }),
        fc.integer({ min: -1, max: 1 }),
        fc.integer({ min: READING_TOLERANCE_KWH + 3, max: 5_000 }),
        fc.constantFrom(-1, 1),
        fc.boolean(),
        (history, daysOn, goodOffKwh, badOffKwh, badSide, badFirst) => {
          const readOn = addDays(DAY0, history.lastDay + daysOn);
          const trendKwh = history.lastKwh + history.kwhPerDay * daysOn;
          fc.pre(trendKwh + badSide * badOffKwh >= 0);
          const good = { id: 'good', readOn, registerKwh: trendKwh + goodOffKwh };
          const bad = { id: 'bad', readOn, registerKwh: trendKwh + badSide * badOffKwh };
          const { flagged } = replayReadings(
            history.readings,
            badFirst ? [bad, good] : [good, bad],
          );
          expect([...flagged]).toEqual(['bad']);
        },
      ),
    );
  });

  test('with no history the first reading to arrive is kept, and a later one that disagrees with it is flagged competing-reading', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ day: fc.nat(READING_WINDOW_DAYS), registerKwh: fc.nat(12) }), {
          minLength: 2,
          maxLength: 5,
        }),
        (specs) => {
          const arrivals = specs.map((s, i) => ({
            id: `r-${i}`,
            readOn: addDays(DAY0, s.day),
            registerKwh: 4_000 + s.registerKwh,
          }));
          const { flags, flagged } = replayReadings([], arrivals);
          const [first, ...later] = arrivals;
          expect(first && flagged.has(first.id)).toBe(false);
          for (const reading of later)
            if (first && Math.abs(reading.registerKwh - first.registerKwh) > READING_TOLERANCE_KWH)
              expect(flags.get(reading.id)).toBe('competing-reading');
        },
      ),
    );
  });
  // Found by this file: the arriving reading was compared only with the held readings it
  // disagreed with, so one that agreed with the kept reading could still be flagged.
  test('with no history, a later reading within the tolerance of the first to arrive is not flagged', () => {
    const noHistoryArb = fc.array(
      fc.record({ day: fc.nat(READING_WINDOW_DAYS), registerKwh: fc.nat(12) }),
      { minLength: 2, maxLength: 5 },
    );
    // The smallest case: 4 100 kept, 4 102 agrees with it, 4 098 agrees with it too.
    const minimal = [4_100, 4_102, 4_098].map((kwh) => ({ day: 0, registerKwh: kwh - 4_000 }));
    fc.assert(
      fc.property(noHistoryArb, (specs) => {
        const arrivals = specs.map((s, i) => ({
          id: `r-${i}`,
          readOn: addDays(DAY0, s.day),
          registerKwh: 4_000 + s.registerKwh,
        }));
        const { flagged } = replayReadings([], arrivals);
        const [first, ...later] = arrivals;
        for (const reading of later)
          if (first && Math.abs(reading.registerKwh - first.registerKwh) <= READING_TOLERANCE_KWH)
            expect(flagged.has(reading.id)).toBe(false);
      }),
      { examples: [[minimal]] },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Spot bills

const versionArb = fc.integer({ min: 1, max: 6 });
const billAmountArb = fc.integer({ min: -2_000_000, max: 20_000_000 });

describe('spot bill check at the hub', () => {
  test('the difference is the hub’s amount less the printed one, with no flag when they are equal', () => {
    fc.assert(
      fc.property(billAmountArb, billAmountArb, versionArb, versionArb, (p, h, pv, hv) => {
        const check = spotBillCheck(
          { amountMinor: p, tariffVersion: pv },
          { amountMinor: h, latestVersion: hv },
        );
        expect(check.differenceMinor).toBe(h - p);
        expect(check.flag === undefined).toBe(h === p);
        const same = spotBillCheck(
          { amountMinor: p, tariffVersion: pv },
          { amountMinor: p, latestVersion: hv },
        );
        expect(same).toEqual({ differenceMinor: 0 });
      }),
    );
  });

  test('a bill that differs is stale-tariff when printed with an older version than the hub’s latest, bill-differs otherwise', () => {
    fc.assert(
      fc.property(
        billAmountArb,
        fc.integer({ min: 1, max: 50_000 }),
        versionArb,
        versionArb,
        (p, off, pv, hv) => {
          const check = spotBillCheck(
            { amountMinor: p, tariffVersion: pv },
            { amountMinor: p + off, latestVersion: hv },
          );
          expect(check.flag).toBe(pv < hv ? 'stale-tariff' : 'bill-differs');
        },
      ),
    );
  });

  test('a bill the hub cannot recompute is flagged tariff-not-found and carries nothing', () => {
    fc.assert(
      fc.property(billAmountArb, versionArb, (p, pv) => {
        expect(spotBillCheck({ amountMinor: p, tariffVersion: pv }, undefined)).toEqual({
          flag: 'tariff-not-found',
          differenceMinor: 0,
        });
      }),
    );
  });
});

const REGISTER_KWH = 1_000_000;

/** A period after the demo tariff took effect, a previous register and the kWh used since. */
const spotCaseArb = fc
  .record({
    fromDay: fc.integer({ min: 31, max: 1_000 }),
    days: fc.integer({ min: 1, max: 62 }),
    previousKwh: fc.integer({ min: 0, max: REGISTER_KWH - 1 }),
    usedKwh: fc.integer({ min: 0, max: 5_000 }),
    carried: fc.uniqueArray(
      fc.record({
        sourceId: fc.stringMatching(/^spot-[0-9a-f]{4}$/),
        amountMinor: fc.integer({ min: -80_000, max: 80_000 }).map(minor),
      }),
      { maxLength: 3, selector: (c) => c.sourceId },
    ),
  })
  .map((c) => {
    const from = addDays(demoTariff.effectiveFrom, c.fromDay);
    const input: SpotBillInput = {
      account: { tariffId: demoTariff.id, carried: c.carried },
      previous: { readOn: from, registerKwh: c.previousKwh },
      reading: {
        readOn: addDays(from, c.days),
        registerKwh: (c.previousKwh + c.usedKwh) % REGISTER_KWH,
      },
      versions: [demoTariff],
    };
    return { input, usedKwh: c.usedKwh, period: { from, to: addDays(from, c.days) } };
  });

describe('spot bill drafted on the device', () => {
  test('its total is its amount plus every carried difference', () => {
    fc.assert(
      fc.property(spotCaseArb, ({ input }) => {
        const draft = valueOf(draftSpotBill(input));
        const carried = input.account.carried.reduce((total, c) => total + c.amountMinor, 0);
        expect(draft.totalMinor).toBe(draft.amountMinor + carried);
        expect(draft.carried).toEqual(input.account.carried);
      }),
    );
  });

  test('it bills the kWh the register moved, rolled over or not, exactly as the tariff engine does', () => {
    fc.assert(
      fc.property(spotCaseArb, ({ input, usedKwh, period }) => {
        const engine = valueOf(computeBill(demoTariff, { period, kwh: usedKwh }));
        expect(valueOf(draftSpotBill(input))).toMatchObject({
          period,
          kwh: usedKwh,
          tariffId: demoTariff.id,
          tariffVersion: demoTariff.version,
          amountMinor: engine.totalMinor,
          lines: engine.lines,
        });
      }),
    );
  });

  test('a 6-digit register read 999990 then 000015 bills 25 kWh', () => {
    const period = { from: '2026-10-01', to: '2026-11-01' };
    const draft = draftSpotBill({
      account: { tariffId: demoTariff.id, carried: [] },
      previous: { readOn: period.from, registerKwh: 999_990 },
      reading: { readOn: period.to, registerKwh: 15 },
      versions: [demoTariff],
    });
    expect(valueOf(draft).kwh).toBe(25);
    expect(valueOf(draft).amountMinor).toBe(
      valueOf(computeBill(demoTariff, { period, kwh: 25 })).totalMinor,
    );
  });

  test('tariff versions that take effect on or after the period’s end change nothing', () => {
    fc.assert(
      fc.property(spotCaseArb, fc.nat(400), ({ input, period }, laterDays) => {
        const later = { ...demoTariff, version: 2, effectiveFrom: addDays(period.to, laterDays) };
        expect(draftSpotBill({ ...input, versions: [later, demoTariff] })).toEqual(
          draftSpotBill(input),
        );
      }),
    );
  });

  test('without a previous reading there is no spot bill: no-previous-reading', () => {
    fc.assert(
      fc.property(spotCaseArb, ({ input }) => {
        expect(draftSpotBill({ ...input, previous: null })).toEqual({
          ok: false,
          error: 'no-previous-reading',
        });
      }),
    );
  });

  test('a reading dated on or before the previous one is refused: reading-not-after-previous', () => {
    fc.assert(
      fc.property(spotCaseArb, fc.nat(90), ({ input, period }, earlierDays) => {
        const reading = { ...input.reading, readOn: addDays(period.from, -earlierDays) };
        expect(draftSpotBill({ ...input, reading })).toEqual({
          ok: false,
          error: 'reading-not-after-previous',
        });
      }),
    );
  });

  test('a device holding no version of the account’s tariff in effect for the period refuses: no-tariff-on-device', () => {
    fc.assert(
      fc.property(spotCaseArb, fc.nat(400), ({ input, period }, laterDays) => {
        const otherTariff = { ...input, account: { ...input.account, tariffId: 'other-tariff' } };
        const later = { ...demoTariff, effectiveFrom: addDays(period.to, laterDays) };
        const noVersions = { ...input, versions: [] };
        for (const case_ of [otherTariff, { ...input, versions: [later] }, noVersions])
          expect(draftSpotBill(case_)).toEqual({ ok: false, error: 'no-tariff-on-device' });
      }),
    );
  });

  test('a reading lower than the previous by less than half the register went backwards, not round', () => {
    fc.assert(
      fc.property(
        spotCaseArb,
        fc.integer({ min: 1, max: REGISTER_KWH / 2 - 1 }),
        ({ input }, dropKwh) => {
          const previousKwh = input.previous?.registerKwh ?? 0;
          fc.pre(previousKwh >= dropKwh);
          const reading = { ...input.reading, registerKwh: previousKwh - dropKwh };
          expect(draftSpotBill({ ...input, reading })).toEqual({
            ok: false,
            error: 'reading-went-backwards',
          });
        },
      ),
    );
  });
});
