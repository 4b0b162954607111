/**
 * The hub's software STS vending module: a StsVendingService (shared/prepaid-tokens.ts) that
 * makes tokens itself, with the vending key from the hub's configuration (HUB_STS_VENDING_KEY)
 * or, for the demo, from its own key table. It plays the part a utility's vending server and
 * secure module play in a real deployment; an adapter to one would replace it behind the same
 * interface, and record each response in `sts_vends` the same way.
 *
 * Guarantees, each in one transaction:
 * - a request id is vended once: the same request again gets the same tokens (`replayed`), and
 *   the same id with another meter or energy is `request-id-reused`;
 * - a meter's token identifiers only rise (the next is after both the clock's minute and the
 *   last issued), so the meter never refuses a token as used; the store holds (meter, TID)
 *   unique besides;
 * - the meter's identity in the request must be the module's record of it, or nothing is vended;
 * - the account's snapshot changes with the vend, so the next pull carries its tokens.
 */
import { randomInt } from 'node:crypto';
import type {
  StsToken,
  StsVendError,
  StsVendingService,
  StsVendRequest,
  StsVendResponse,
} from '../../../shared/prepaid-tokens.ts';
import { err, ok, type Result } from '../../../shared/result.ts';
import { STS_MAX_DECI_KWH, stsAmountCode, stsRepresentable } from '../../../shared/sts-amount.ts';
import type { StsVendsTable } from '../../store/schema.ts';
import { nextCounter, type Store } from '../../store/store.ts';
import { decoderKeyDkga02, identityError } from './keys.ts';
import { encodeCreditToken, tidAt, type StsBaseDate } from './token.ts';

/** A vending key as configured: 16 hexadecimal digits (64 bits, DES). */
export const VENDING_KEY_PATTERN = /^[0-9a-fA-F]{16}$/;

export interface SoftwareVendingOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** The deployment's vending key; absent: the module's key table (the demo's). */
  readonly vendingKeyHex?: string | undefined;
  /** The 4 random bits of each token; a cryptographic source unless a test pins them. */
  readonly random?: () => number;
}

type Trx = Parameters<Parameters<Store['transaction']>[0]>[0];

export class SoftwareStsVending implements StsVendingService {
  constructor(private readonly options: SoftwareVendingOptions) {}

  async vend(request: StsVendRequest): Promise<Result<StsVendResponse, StsVendError>> {
    const wrong = identityError(request.meter);
    if (wrong) return err(wrong);
    if (request.credit.basis !== 'energy') return err('vending-service-refused');
    const asked = request.credit.energyDeciKwh;
    if (!Number.isSafeInteger(asked) || asked <= 0) return err('credit-must-be-positive');
    if (asked > STS_MAX_DECI_KWH) return err('credit-too-large');
    const { store } = this.options;
    return store.transaction((trx) => this.vendIn(trx, request, asked));
  }

  private async vendIn(
    trx: Trx,
    request: StsVendRequest,
    asked: number,
  ): Promise<Result<StsVendResponse, StsVendError>> {
    // The meter's row first, locked on PostgreSQL: two vends of one meter take turns, and a
    // request repeated while its first try is still writing finds it written.
    const meter = await trx
      .selectFrom('sts_meters')
      .selectAll()
      .where('meter_number', '=', request.meter.meterNumber)
      .$if(this.options.store.engine === 'postgres', (query) => query.forUpdate())
      .executeTakeFirst();
    const before = await trx
      .selectFrom('sts_vends')
      .selectAll()
      .where('request_id', '=', request.requestId)
      .executeTakeFirst();
    if (before) {
      const same =
        before.meter_number === request.meter.meterNumber &&
        Number(before.requested_deci_kwh) === asked;
      return same ? ok(responseOf(before, true)) : err('request-id-reused');
    }
    if (!meter) return err('meter-not-found');
    if (
      meter.supply_group_code !== request.meter.supplyGroupCode ||
      Number(meter.key_revision) !== request.meter.keyRevisionNumber ||
      meter.tariff_index !== request.meter.tariffIndex
    )
      return err('meter-details-mismatch');
    if (Number(meter.blocked) === 1) return err('meter-blocked');
    const now = this.options.now();
    const minute = tidAt(now, Number(meter.base_date) as StsBaseDate);
    const tid = minute === undefined ? undefined : Math.max(minute, Number(meter.last_tid) + 1);
    if (tid === undefined || tid >= 2 ** 24) return err('meter-key-expired');
    const vendingKey = await this.vendingKey(trx, meter.supply_group_code, meter.key_revision);
    if (!vendingKey) return err('vending-service-refused');
    const energy = stsRepresentable(asked);
    const decoderKey = decoderKeyDkga02(vendingKey, request.meter);
    const digits = encodeCreditToken(decoderKey, {
      subclass: 0,
      random: this.options.random?.() ?? randomInt(16),
      tid,
      amountCode: stsAmountCode(energy) ?? 0,
    });
    const tokens: StsToken[] = [{ digits, kind: 'credit-electricity' }];
    const row: StsVendsTable = {
      request_id: request.requestId,
      account_id: meter.account_id,
      meter_number: meter.meter_number,
      requested_deci_kwh: asked,
      energy_deci_kwh: energy,
      tid,
      tokens: JSON.stringify(tokens),
      vend_reference: `${meter.meter_number}-${tid}`,
      issued_at: now.toISOString(),
    };
    await trx.insertInto('sts_vends').values(row).execute();
    await trx
      .updateTable('sts_meters')
      .set({ last_tid: tid })
      .where('account_id', '=', meter.account_id)
      .execute();
    await trx
      .updateTable('accounts')
      .set({ change_seq: await nextCounter(trx, 'change') })
      .where('id', '=', meter.account_id)
      .execute();
    return ok(responseOf(row, false));
  }

  private async vendingKey(
    trx: Trx,
    supplyGroupCode: string,
    keyRevision: number,
  ): Promise<Uint8Array | undefined> {
    const configured = this.options.vendingKeyHex;
    const hex =
      configured ??
      (
        await trx
          .selectFrom('sts_vending_keys')
          .select('vending_key')
          .where('supply_group_code', '=', supplyGroupCode)
          .where('key_revision', '=', Number(keyRevision))
          .executeTakeFirst()
      )?.vending_key;
    return hex && VENDING_KEY_PATTERN.test(hex)
      ? Uint8Array.from(Buffer.from(hex, 'hex'))
      : undefined;
  }
}

function responseOf(row: StsVendsTable, replayed: boolean): StsVendResponse {
  return {
    requestId: row.request_id,
    vendReference: row.vend_reference,
    tokens: JSON.parse(row.tokens) as StsToken[],
    energyDeciKwh: Number(row.energy_deci_kwh),
    replayed,
    issuedAt: row.issued_at,
  };
}

/** The vending service a request's hub uses: the one given, or the software module. */
export function stsVendingOf(deps: {
  readonly store: Store;
  readonly now: () => Date;
  readonly stsVendingKeyHex?: string;
  readonly stsVending?: StsVendingService;
}): StsVendingService {
  return (
    deps.stsVending ??
    new SoftwareStsVending({
      store: deps.store,
      now: deps.now,
      vendingKeyHex: deps.stsVendingKeyHex,
    })
  );
}
