/**
 * Goal: the hybrid logical clock never goes backwards on a node whatever its wall clock does,
 * moves past every stamp it receives unless that stamp is further ahead than the allowed
 * drift, and writes stamps so that plain string order is stamp order.
 *
 * Method: property tests with fast-check over arbitrary sequences of wall times (jumping
 * back and forth), arbitrary remote stamps and drifts, and arbitrary pairs of stamps, many of
 * them sharing a wall time or counter so that the tie-breaks are exercised.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../shared/assert.ts';
import {
  compareHlc,
  formatHlc,
  hlcReceive,
  hlcStart,
  hlcTick,
  MAX_COUNTER,
  parseHlc,
  type Hlc,
} from '../../shared/clock.ts';

const BASE_MS = Date.UTC(2026, 10, 20, 9, 0);
const wallArb = fc.integer({ min: BASE_MS - 60_000, max: BASE_MS + 60_000 });
const nodeArb = fc.constantFrom('tablet-a', 'tablet-b', 'pos-7', 'hub');

/** A stamp a real node could hold: its wall time near the others', its counter modest. */
const stampArb = fc.record({
  wallMs: wallArb,
  counter: fc.integer({ min: 0, max: 500 }),
  node: nodeArb,
});

function sign(value: number): number {
  return value < 0 ? -1 : value > 0 ? 1 : 0;
}

/** (wall, counter) strictly greater: the node is only a tie-break between equal pairs. */
function strictlyAfter(a: Hlc, b: Hlc): boolean {
  return a.wallMs > b.wallMs || (a.wallMs === b.wallMs && a.counter > b.counter);
}

describe('local events', () => {
  test('each tick is later than the one before, whatever the wall clock does', () => {
    fc.assert(
      fc.property(
        nodeArb,
        wallArb,
        fc.array(wallArb, { minLength: 1, maxLength: 200 }),
        (node, start, walls) => {
          let clock = hlcStart(node, start);
          for (const wallMs of walls) {
            const next = hlcTick(clock, wallMs);
            expect(strictlyAfter(next, clock)).toBe(true);
            expect(compareHlc(next, clock)).toBe(1);
            expect(next.wallMs).toBeGreaterThanOrEqual(wallMs);
            expect(next.node).toBe(node);
            clock = next;
          }
        },
      ),
    );
  });

  test('a tick at a later wall time takes that time and restarts the counter', () => {
    expect(hlcTick({ wallMs: BASE_MS, counter: 41, node: 'tablet-a' }, BASE_MS + 7)).toEqual({
      wallMs: BASE_MS + 7,
      counter: 0,
      node: 'tablet-a',
    });
  });

  test('a tick at an earlier wall time keeps the clock’s time and counts on', () => {
    expect(hlcTick({ wallMs: BASE_MS, counter: 41, node: 'tablet-a' }, BASE_MS - 3_000)).toEqual({
      wallMs: BASE_MS,
      counter: 42,
      node: 'tablet-a',
    });
  });

  test('running out of counter is a programmer error, not a silent wrap', () => {
    expect(() =>
      hlcTick({ wallMs: BASE_MS, counter: MAX_COUNTER, node: 'pos-7' }, BASE_MS),
    ).toThrow(AssertionError);
  });
});

describe('receiving a stamp', () => {
  const driftArb = fc.integer({ min: 0, max: 30_000 });

  test('the merged clock is later than the local one, always', () => {
    fc.assert(
      fc.property(stampArb, stampArb, wallArb, driftArb, (local, remote, wallMs, drift) => {
        const { clock } = hlcReceive(local, remote, wallMs, drift);
        expect(strictlyAfter(clock, local)).toBe(true);
        expect(clock.node).toBe(local.node);
        expect(clock.wallMs).toBeGreaterThanOrEqual(wallMs);
      }),
    );
  });

  test('a remote stamp within the drift is passed and not reported as skewed', () => {
    fc.assert(
      fc.property(stampArb, stampArb, wallArb, driftArb, (local, remote, wallMs, drift) => {
        fc.pre(remote.wallMs - wallMs <= drift);
        const outcome = hlcReceive(local, remote, wallMs, drift);
        expect(outcome.skewed).toBe(false);
        expect(strictlyAfter(outcome.clock, remote)).toBe(true);
        expect(compareHlc(outcome.clock, remote)).toBe(1);
      }),
    );
  });

  test('a remote stamp further ahead than the drift is reported and its time is not adopted', () => {
    fc.assert(
      fc.property(
        stampArb,
        fc.integer({ min: 1, max: 10 ** 9 }),
        wallArb,
        driftArb,
        nodeArb,
        (local, ahead, wallMs, drift, node) => {
          const remote: Hlc = { wallMs: wallMs + drift + ahead, counter: 3, node };
          const outcome = hlcReceive(local, remote, wallMs, drift);
          expect(outcome.skewed).toBe(true);
          expect(outcome.clock).toEqual(hlcTick(local, wallMs));
          expect(outcome.clock.wallMs).toBe(Math.max(local.wallMs, wallMs));
        },
      ),
    );
  });

  test('a remote stamp exactly at the drift limit is still adopted', () => {
    const outcome = hlcReceive(
      { wallMs: BASE_MS, counter: 2, node: 'tablet-a' },
      { wallMs: BASE_MS + 5_000, counter: 9, node: 'hub' },
      BASE_MS,
      5_000,
    );
    expect(outcome).toEqual({
      clock: { wallMs: BASE_MS + 5_000, counter: 10, node: 'tablet-a' },
      skewed: false,
    });
  });

  test('a node that keeps receiving and ticking never goes backwards', () => {
    const eventArb = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), wallMs: wallArb }),
      fc.record({ kind: fc.constant('receive' as const), wallMs: wallArb, remote: stampArb }),
    );
    fc.assert(
      fc.property(
        wallArb,
        fc.array(eventArb, { minLength: 1, maxLength: 100 }),
        (start, events) => {
          let clock = hlcStart('tablet-b', start);
          for (const event of events) {
            const next =
              event.kind === 'tick'
                ? hlcTick(clock, event.wallMs)
                : hlcReceive(clock, event.remote, event.wallMs, 10_000).clock;
            expect(compareHlc(next, clock)).toBe(1);
            clock = next;
          }
        },
      ),
    );
  });
});

describe('writing stamps', () => {
  const anyStampArb = fc.record({
    wallMs: fc.oneof(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 999_999_999_999_999 }),
    ),
    counter: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_COUNTER })),
    node: fc.oneof(
      fc.constantFrom('a', 'ab', 'b', 'B', 'a-b', 'é'),
      fc.string({ minLength: 1, maxLength: 12 }),
    ),
  });

  test('string order of written stamps is the same as compareHlc order', () => {
    fc.assert(
      fc.property(anyStampArb, anyStampArb, (a, b) => {
        const left = formatHlc(a);
        const right = formatHlc(b);
        const stringOrder = left < right ? -1 : left > right ? 1 : 0;
        expect(stringOrder).toBe(sign(compareHlc(a, b)));
      }),
      { numRuns: 2000 },
    );
  });

  test('sorting written stamps as strings sorts the stamps', () => {
    fc.assert(
      fc.property(fc.array(anyStampArb, { maxLength: 30 }), (stamps) => {
        const byString = [...stamps].sort((a, b) =>
          formatHlc(a) < formatHlc(b) ? -1 : formatHlc(a) > formatHlc(b) ? 1 : 0,
        );
        const byClock = [...stamps].sort(compareHlc);
        expect(byString.map(formatHlc)).toEqual(byClock.map(formatHlc));
      }),
    );
  });

  test('a written stamp reads back as the same stamp', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999_999_999_999 }),
        fc.integer({ min: 0, max: MAX_COUNTER }),
        fc.uuid(),
        (wallMs, counter, node) => {
          const clock = { wallMs, counter, node };
          expect(parseHlc(formatHlc(clock))).toEqual(clock);
        },
      ),
    );
  });

  test.each([
    '',
    'not a stamp',
    '12345-0000-node',
    '001795073460000-00g0-node',
    '001795073460000-0000-',
  ])('%j does not read as a stamp', (text) => {
    expect(parseHlc(text)).toBeUndefined();
  });

  test('the written form is fixed-width before the node', () => {
    expect(formatHlc({ wallMs: 1_795_073_460_000, counter: 0x2a, node: 'tablet-a' })).toBe(
      '001795073460000-002a-tablet-a',
    );
  });
});
