/**
 * Goal: the rules of a prepaid top-up hold for any meter, lease and amount (issue 13, item 2):
 * a purchase never costs more than the money and is whole meter units; the tokens a tablet makes
 * are at its lease's counts, carry exactly the energy, load on the meter (played by the decoder)
 * in order, and pass the hub's check; the lease holds exactly `tokensLeft` more tokens; a token
 * altered in one digit, or at a count not leased or already sold, is caught by the hub's rule.
 *
 * Method: fast-check over random keys, starting codes, leases, amounts and earlier purchases;
 * the demo tariff (tiers by month) prices them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoTariff } from '../../hub/demo/tariff.ts';
import { minor } from '../../shared/money.ts';
import { decodeOpenPaygoToken, type OpenPaygoDeviceState } from '../../shared/openpaygo/index.ts';
import { topUpFlag, type TopUpContext } from '../../shared/rules/topup.ts';
import {
  LEASE_COUNTS,
  MAX_TOKEN_VALUE,
  makeTokens,
  purchaseFor,
  splitValue,
  tokensLeft,
  type TokenLease,
} from '../../shared/topup.ts';

const hex = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));

/** Counts up to 2,000: a token is found by walking the meter's chain from 0 (a real meter's count
 * grows by two a token, so years of top-ups stay below it). */
const leases = fc
  .record({
    secretKeyHex: hex,
    startingCode: fc.integer({ min: 0, max: 999_999_999 }),
    unitWh: fc.constantFrom(100, 250, 1000),
    fromCount: fc.integer({ min: 2, max: 2_000 }),
  })
  .map(({ fromCount, ...meter }): TokenLease => ({
    accountId: 'acc',
    meter: { ...meter, restrictedDigitSet: false },
    fromCount,
    toCount: fromCount + LEASE_COUNTS,
  }));

function contextFor(lease: TokenLease, used: ReadonlySet<number> = new Set()): TopUpContext {
  return {
    meter: lease.meter,
    leased: (count) => count >= lease.fromCount && count < lease.toCount,
    used: (count) => used.has(count),
    versions: [demoTariff],
    tariffId: demoTariff.id,
    bought: { monthWh: 0, yearWh: 0 },
  };
}

describe('prepaid top-ups', () => {
  it('a purchase costs at most its money, in whole meter units, and its tokens load on the meter and pass the hub', () => {
    fc.assert(
      fc.property(
        leases,
        fc.integer({ min: 1_000, max: 2_000_000 }),
        fc.integer({ min: 0, max: 500_000 }),
        (lease, amount, monthWh) => {
          const bought = { monthWh: monthWh - (monthWh % 100), yearWh: 0 };
          const purchase = purchaseFor({
            versions: [demoTariff],
            tariffId: demoTariff.id,
            amountMinor: minor(amount),
            saleDate: '2026-11-19',
            bought,
            unitWh: lease.meter.unitWh,
          });
          if (!purchase.ok) {
            expect(purchase.error).toBe('amount-buys-no-energy');
            return;
          }
          const { energyWh, costMinor, creditMinor } = purchase.value;
          expect(costMinor).toBeLessThanOrEqual(amount);
          expect(costMinor + creditMinor).toBe(amount);
          expect(energyWh % lease.meter.unitWh).toBe(0);
          const tokens = makeTokens(lease, lease.fromCount - 1, energyWh);
          if (!tokens.ok) {
            expect(['lease-used-up', 'too-many-tokens']).toContain(tokens.error);
            return;
          }
          const topUp = {
            system: 'openpaygo' as const,
            tariffId: demoTariff.id,
            tariffVersion: 1,
            energyWh,
            costMinor,
            tokens: tokens.value,
          };
          expect(
            topUpFlag(
              topUp,
              { amountMinor: amount, saleDate: '2026-11-19' },
              {
                ...contextFor(lease),
                bought,
              },
            ),
          ).toBeUndefined();
          let state: OpenPaygoDeviceState = { lastCount: lease.fromCount - 1, usedCounts: [] };
          let units = 0;
          for (const token of tokens.value) {
            expect(token.count).toBeGreaterThanOrEqual(lease.fromCount);
            expect(token.count).toBeLessThan(lease.toCount);
            const loaded = decodeOpenPaygoToken({
              device: lease.meter,
              state,
              token: token.digits,
            });
            expect(loaded.ok).toBe(true);
            if (!loaded.ok || loaded.value.command.kind !== 'add-time') return;
            units += loaded.value.command.value;
            state = loaded.value.state;
          }
          expect(units * lease.meter.unitWh).toBe(energyWh);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a lease holds exactly tokensLeft more tokens after any count used in it', () => {
    fc.assert(
      fc.property(leases, fc.integer({ min: -1, max: LEASE_COUNTS }), (lease, offset) => {
        const last = lease.fromCount + offset;
        const left = tokensLeft(lease, last);
        let count = last;
        for (let i = 0; i < left; i++) {
          const one = makeTokens(lease, count, lease.meter.unitWh);
          expect(one.ok).toBe(true);
          if (!one.ok) return;
          count = one.value[0]?.count ?? count;
        }
        expect(makeTokens(lease, count, lease.meter.unitWh)).toEqual({
          ok: false,
          error: 'lease-used-up',
        });
      }),
      { numRuns: 100 },
    );
  });

  it('splits any value into tokens one can carry, adding up to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), (units) => {
        const values = splitValue(units);
        expect(values.reduce((a, b) => a + b, 0)).toBe(units);
        expect(values.every((v) => v > 0 && v <= MAX_TOKEN_VALUE)).toBe(true);
      }),
    );
  });

  it('the hub catches a digit altered, a count not leased or already sold, and a price not the tariff’s', () => {
    fc.assert(
      fc.property(leases, fc.nat(8), (lease, digitAt) => {
        const purchase = purchaseFor({
          versions: [demoTariff],
          tariffId: demoTariff.id,
          amountMinor: minor(50_000),
          saleDate: '2026-11-19',
          bought: { monthWh: 0, yearWh: 0 },
          unitWh: lease.meter.unitWh,
        });
        if (!purchase.ok) throw new Error(purchase.error);
        const tokens = makeTokens(lease, lease.fromCount - 1, purchase.value.energyWh);
        if (!tokens.ok) throw new Error(tokens.error);
        const topUp = {
          system: 'openpaygo' as const,
          tariffId: demoTariff.id,
          tariffVersion: 1,
          energyWh: purchase.value.energyWh,
          costMinor: purchase.value.costMinor,
          tokens: tokens.value,
        };
        const sale = { amountMinor: 50_000, saleDate: '2026-11-19' };
        const first = tokens.value[0];
        if (!first) throw new Error('no token');
        const digit = Number(first.digits[digitAt]);
        const altered = `${first.digits.slice(0, digitAt)}${(digit + 1) % 10}${first.digits.slice(digitAt + 1)}`;
        expect(
          topUpFlag(
            { ...topUp, tokens: [{ ...first, digits: altered }, ...tokens.value.slice(1)] },
            sale,
            contextFor(lease),
          ),
        ).toBe('token-mismatch');
        expect(topUpFlag(topUp, sale, { ...contextFor(lease), leased: () => false })).toBe(
          'token-not-leased',
        );
        expect(topUpFlag(topUp, sale, contextFor(lease, new Set([first.count])))).toBe(
          'token-count-reused',
        );
        expect(
          topUpFlag({ ...topUp, costMinor: minor(topUp.costMinor + 1) }, sale, contextFor(lease)),
        ).toBe('top-up-differs');
        expect(topUpFlag(topUp, sale, { ...contextFor(lease), meter: undefined })).toBe(
          'not-prepaid',
        );
      }),
      { numRuns: 40 },
    );
  });
});
