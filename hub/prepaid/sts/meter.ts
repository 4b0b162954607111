/**
 * An STS meter played in software, for tests and the demo's checks: it holds its decoder key,
 * reads a token as a real meter does (decrypt, check the CRC), and takes each token identifier
 * once, as IEC 62055-41 asks of a meter (a TID seen before is refused as used).
 *
 * Guarantees: credit only grows by tokens it never took before; a refusal changes nothing.
 */
import { err, ok, type Result } from '../../../shared/result.ts';
import { stsAmountValue } from '../../../shared/sts-amount.ts';
import { decodeToken, type TokenDecodeError } from './token.ts';

export type MeterRefusal = TokenDecodeError | 'already-used';

export class StsMeter {
  private readonly used = new Set<number>();
  /** Credit on the meter, in tenths of a kWh. */
  creditDeciKwh = 0;

  constructor(private readonly decoderKey: bigint) {}

  enter(digits: string): Result<{ addedDeciKwh: number; tid: number }, MeterRefusal> {
    const read = decodeToken(this.decoderKey, digits);
    if (!read.ok) return read;
    if (this.used.has(read.value.tid)) return err('already-used');
    this.used.add(read.value.tid);
    const addedDeciKwh = stsAmountValue(read.value.amountCode);
    this.creditDeciKwh += addedDeciKwh;
    return ok({ addedDeciKwh, tid: read.value.tid });
  }
}
