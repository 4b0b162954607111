/**
 * What the hub checks of a prepaid top-up, decided in one place: the meter is prepaid, every
 * token was made at a count leased to the device and used by no other sale, each token is the
 * one the meter's key makes for its count and value, the energy is what the tokens carry, and
 * the price is the tariff's. The money counts whatever is found (it was paid); the energy is
 * charged only when the tokens check out, since a token the meter refuses sold nothing.
 */
import { generateOpenPaygoToken } from '../openpaygo/index.ts';
import type { TopUp } from '../facts.ts';
import type { FlagReason } from '../protocol.ts';
import type { Tariff } from '../tariff/schema.ts';
import { costOfEnergy, MAX_TOKEN_VALUE, type BoughtBefore, type OpenPaygoMeter } from '../topup.ts';

export interface TopUpContext {
  /** The account's prepaid meter as the hub holds it; undefined when the account is not prepaid. */
  readonly meter: OpenPaygoMeter | undefined;
  /** Whether a count of the meter was leased to the fact's device. */
  readonly leased: (count: number) => boolean;
  /** Whether a count of the meter was already used by another sale. */
  readonly used: (count: number) => boolean;
  readonly versions: readonly Tariff[];
  readonly tariffId: string;
  readonly bought: BoughtBefore;
}

export function topUpFlag(
  topUp: TopUp,
  sale: { readonly amountMinor: number; readonly saleDate: string },
  context: TopUpContext,
): FlagReason | undefined {
  const { meter } = context;
  if (!meter) return 'not-prepaid';
  if (!topUp.tokens.every((token) => context.leased(token.count))) return 'token-not-leased';
  if (topUp.tokens.some((token) => context.used(token.count))) return 'token-count-reused';
  if (!tokensMatch(topUp, meter)) return 'token-mismatch';
  const priced = costOfEnergy({
    versions: context.versions,
    tariffId: context.tariffId,
    energyWh: topUp.energyWh,
    saleDate: sale.saleDate,
    bought: context.bought,
  });
  if (
    priced === undefined ||
    priced.costMinor !== topUp.costMinor ||
    topUp.costMinor > sale.amountMinor ||
    topUp.tariffId !== context.tariffId
  )
    return 'top-up-differs';
  return undefined;
}

/** Whether a top-up under this flag sold its energy (the account is charged for it). */
export function topUpSells(flag: FlagReason | undefined): boolean {
  return flag === undefined || flag === 'top-up-differs';
}

/** Each token is the meter's own Add Time token for its count and value; together they carry the energy. */
function tokensMatch(topUp: TopUp, meter: OpenPaygoMeter): boolean {
  let units = 0;
  for (const token of topUp.tokens) {
    if (token.value > MAX_TOKEN_VALUE || token.count % 2 !== 0) return false;
    const made = generateOpenPaygoToken({
      device: {
        secretKeyHex: meter.secretKeyHex,
        startingCode: meter.startingCode,
        restrictedDigitSet: meter.restrictedDigitSet,
      },
      lastCount: token.count - 1,
      command: { kind: 'add-time', value: token.value },
      extended: false,
    });
    if (!made.ok || made.value.count !== token.count || made.value.token !== token.digits)
      return false;
    units += token.value;
  }
  return units * meter.unitWh === topUp.energyWh;
}
