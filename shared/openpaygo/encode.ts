/**
 * Making an OpenPAYGO Token on the server side, with the semantics of the reference encoder
 * (EnAccess/OpenPAYGO-python, openpaygo/token_encode.py, `generate_token`). Guarantees: for the
 * same device key, starting code, last count, command and format options, the token and the
 * new count are exactly the reference's; every expected refusal is a named code, never a throw.
 *
 * The count. Each device has a count: the count of the last token made for it (a new device
 * starts at 1, as in the reference). Even counts carry Add Time tokens and odd counts carry
 * Set Time, Disable PAYG and Counter Sync, so a device can tell them apart: the next count is
 * the next number of the right parity, one or two above the last. The caller stores the new
 * count with the token in the same transaction, so a retry re-issues the same token rather
 * than burning another count. Making the token at count N costs N hashes.
 *
 * The value. Add Time adds to the device's credit and Set Time replaces it; the value is a raw
 * whole number in the device's own unit (typically days). Standard tokens carry 0 to 995;
 * 996 and 997 are unused and 998 and 999 are the codes of Disable PAYG and Counter Sync.
 * Extended tokens (12 digits, not part of the standard) carry 0 to 999,999.
 *
 * Deviations from the reference, all refusals of inputs it would have taken silently:
 * - No `value_divider`: the reference multiplies by it in floating point and rounds half to
 *   even. Callers convert to the raw integer themselves, with integer arithmetic.
 * - A value must be a whole number from 0: the reference would encode a negative one.
 * - An extended Set Time of 998 or 999 is refused as `value-reserved`: a device decodes that
 *   token as Disable PAYG or Counter Sync (reference issue EnAccess/OpenPAYGO-python#24).
 * - A starting code of 0 is used as given: the reference treats 0 as "derive it from the key".
 */
import { assert, assertNever } from '../assert.ts';
import { err, ok, type Result } from '../result.ts';
import {
  codeAtCount,
  COUNTER_SYNC_VALUE,
  DISABLE_PAYG_VALUE,
  FORMAT_RULES,
  formatToken,
  MAX_STARTING_CODE,
  parseSecretKey,
  startingCodeOfKey,
  type SecretKey,
  type TokenFormat,
} from './chain.ts';

/** What a token tells the device to do. */
export type OpenPaygoCommand =
  | { readonly kind: 'add-time'; readonly value: number }
  | { readonly kind: 'set-time'; readonly value: number }
  | { readonly kind: 'disable-payg' }
  | { readonly kind: 'counter-sync' };

export type OpenPaygoCommandKind = OpenPaygoCommand['kind'];

/** The settings a device was made with; they must match its firmware. */
export interface OpenPaygoDevice {
  /** 32 hexadecimal characters. */
  readonly secretKeyHex: string;
  /** 9 digits; when absent it is derived from the key, as devices do. */
  readonly startingCode?: number;
  /** Tokens typed with the keys 1 to 4 only (15 or 20 digits long). */
  readonly restrictedDigitSet: boolean;
}

export interface OpenPaygoTokenRequest {
  readonly device: OpenPaygoDevice;
  /** The count of the last token made for this device. */
  readonly lastCount: number;
  readonly command: OpenPaygoCommand;
  /** 12-digit tokens with values up to 999,999, outside the standard. */
  readonly extended: boolean;
}

export interface OpenPaygoToken {
  /** Zero-padded: 9 or 12 digits, or 15 or 20 in the restricted digit set. */
  readonly token: string;
  /** The count of this token: store it as the device's new last count. */
  readonly count: number;
}

export type OpenPaygoDeviceError = 'secret-key-malformed' | 'starting-code-out-of-range';

export type OpenPaygoEncodeError =
  OpenPaygoDeviceError | 'value-must-be-a-whole-number' | 'value-too-high' | 'value-reserved';

export interface ResolvedDevice {
  readonly key: SecretKey;
  readonly startingCode: number;
}

/** Parses the key and settles the starting code, as both encoder and decoder need. */
export function resolveDevice(
  device: OpenPaygoDevice,
): Result<ResolvedDevice, OpenPaygoDeviceError> {
  const key = parseSecretKey(device.secretKeyHex);
  if (!key.ok) return key;
  const startingCode = device.startingCode ?? startingCodeOfKey(key.value);
  if (!Number.isSafeInteger(startingCode) || startingCode < 0 || startingCode > MAX_STARTING_CODE) {
    return err('starting-code-out-of-range');
  }
  return ok({ key: key.value, startingCode });
}

/** The next count of the parity the command needs: even for Add Time, odd for the rest. */
export function nextCount(lastCount: number, kind: OpenPaygoCommandKind): number {
  const wantsOdd = kind !== 'add-time';
  const lastIsOdd = lastCount % 2 === 1;
  return lastCount + (lastIsOdd === wantsOdd ? 2 : 1);
}

/** The raw number the token carries for a command, or why the command cannot be sent. */
export function rawValueOf(
  command: OpenPaygoCommand,
  format: TokenFormat,
): Result<number, 'value-must-be-a-whole-number' | 'value-too-high' | 'value-reserved'> {
  switch (command.kind) {
    case 'disable-payg':
      return ok(DISABLE_PAYG_VALUE);
    case 'counter-sync':
      return ok(COUNTER_SYNC_VALUE);
    case 'add-time':
    case 'set-time': {
      const { value } = command;
      if (!Number.isSafeInteger(value) || value < 0) return err('value-must-be-a-whole-number');
      if (value > FORMAT_RULES[format].maxActivationValue) return err('value-too-high');
      const reserved = value === DISABLE_PAYG_VALUE || value === COUNTER_SYNC_VALUE;
      if (command.kind === 'set-time' && reserved) return err('value-reserved');
      return ok(value);
    }
    default:
      return assertNever(command, 'unknown OpenPAYGO command');
  }
}

export function generateOpenPaygoToken(
  request: OpenPaygoTokenRequest,
): Result<OpenPaygoToken, OpenPaygoEncodeError> {
  const { device, lastCount, command, extended } = request;
  assert(
    Number.isSafeInteger(lastCount) && lastCount >= 0,
    'a device count is a non-negative integer',
  );
  const format: TokenFormat = extended ? 'extended' : 'standard';
  const resolved = resolveDevice(device);
  if (!resolved.ok) return resolved;
  const value = rawValueOf(command, format);
  if (!value.ok) return value;
  const count = nextCount(lastCount, command.kind);
  const code = codeAtCount({ ...resolved.value, format, value: value.value, count });
  return ok({ token: formatToken(code, format, device.restrictedDigitSet), count });
}
