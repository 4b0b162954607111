/**
 * What the hub checks of a prepaid top-up, decided in one place: the meter is prepaid, every
 * token was made at a count leased to the device and used by no other sale, each token is the
 * one the meter's key makes for its count and value, the energy is what the tokens carry, and
 * the price is the tariff's. The money counts whatever is found (it was paid); the energy is
 * charged only when the tokens check out, since a token the meter refuses sold nothing.
 */
import { generateOpenPaygoToken } from '../openpaygo/index.ts';
import type { AnyTopUp, StsTopUp, TopUp } from '../facts.ts';
import type { FlagReason } from '../protocol.ts';
import type { Tariff } from '../tariff/schema.ts';
import { stsAmountCode } from '../sts-amount.ts';
import { costOfEnergy, MAX_TOKEN_VALUE, type BoughtBefore, type OpenPaygoMeter } from '../topup.ts';

/** STS meters count energy in tenths of a kWh. */
export const STS_UNIT_WH = 100;

export interface TopUpContext {
  /** The account's OpenPAYGO meter as the hub holds it; undefined when it has none. */
  readonly meter: OpenPaygoMeter | undefined;
  /** The account's STS meter number; undefined when it has no STS meter. */
  readonly stsMeterNumber?: string | undefined;
  /** Whether a count of the meter was leased to the fact's device. */
  readonly leased: (count: number) => boolean;
  /** Whether a count of the meter was already used by another sale. */
  readonly used: (count: number) => boolean;
  readonly versions: readonly Tariff[];
  readonly tariffId: string;
  readonly bought: BoughtBefore;
}

export function topUpFlag(
  topUp: AnyTopUp,
  sale: { readonly amountMinor: number; readonly saleDate: string },
  context: TopUpContext,
): FlagReason | undefined {
  const tokensFlag =
    topUp.system === 'sts' ? stsTopUpFlag(topUp, context) : openPaygoTokensFlag(topUp, context);
  if (tokensFlag) return tokensFlag;
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

function openPaygoTokensFlag(topUp: TopUp, context: TopUpContext): FlagReason | undefined {
  const { meter } = context;
  if (!meter) return 'not-prepaid';
  if (!topUp.tokens.every((token) => context.leased(token.count))) return 'token-not-leased';
  if (topUp.tokens.some((token) => context.used(token.count))) return 'token-count-reused';
  if (!tokensMatch(topUp, meter)) return 'token-mismatch';
  return undefined;
}

/**
 * An STS top-up has no token yet: the hub vends one for it. It must name the account's STS
 * meter, and its energy must be whole tenths of a kWh that one token carries exactly.
 */
function stsTopUpFlag(topUp: StsTopUp, context: TopUpContext): FlagReason | undefined {
  if (context.stsMeterNumber === undefined) return 'not-prepaid';
  if (
    topUp.meterNumber !== context.stsMeterNumber ||
    topUp.energyWh % STS_UNIT_WH !== 0 ||
    stsAmountCode(topUp.energyWh / STS_UNIT_WH) === undefined
  )
    return 'token-mismatch';
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
