/**
 * Checking an OpenPAYGO Token the way a device does (EnAccess/OpenPAYGO-python,
 * openpaygo/token_decode.py). We issue tokens rather than accept them, so this serves to verify
 * what we issue and to simulate a device in tests. Guarantees: a token made by the encoder for
 * a device decodes, for that device, to the same command and count; decoding is pure, and the
 * device's new state is returned, never written in place.
 *
 * How a device decides. It reads the value from the token's last digits, then walks its chain
 * for that value from count 0 up to its last count plus 64 (plus 100 when the value is the
 * Counter Sync code) looking for the token. The count it is found at gives its kind: even is
 * Add Time; odd is Set Time, or Disable PAYG for 998, or Counter Sync for 999. A token found
 * above the last count is accepted. So is an Add Time token fewer than 16 counts below it that
 * was not used yet (unordered entry), and a Counter Sync token fewer than 64 below it.
 * Anything else found on the chain is already used; a token found nowhere is invalid.
 *
 * Deviations from the reference, each closing a gap in it, none changing a token:
 * - Extended tokens are read like standard ones: 998 and 999 at odd counts are Disable PAYG
 *   and Counter Sync, as the reference's own tests expect (issue EnAccess/OpenPAYGO-python#24;
 *   its decoder says Set Time). The encoder refuses the extended Set Time values that clash.
 * - Used counts are always kept. The reference stops tracking them when it starts with an
 *   empty list, which lets an older Add Time token be entered again and again.
 * - The last count counts as used, and accepting an older Add Time token does not lower the
 *   last count (the reference sets the count to the token's, reopening newer tokens).
 * - Spaces in the typed token are ignored, and the commands carry no value for Disable PAYG
 *   and Counter Sync (issue EnAccess/OpenPAYGO-python#25). There is no value divider.
 */
import { err, ok, type Result } from '../result.ts';
import {
  baseOf,
  COUNTER_SYNC_VALUE,
  decodeBase,
  DISABLE_PAYG_VALUE,
  FORMAT_RULES,
  fromRestrictedDigits,
  nextCode,
  withBase,
  type TokenFormat,
} from './chain.ts';
import {
  resolveDevice,
  type OpenPaygoCommand,
  type OpenPaygoDevice,
  type OpenPaygoDeviceError,
} from './encode.ts';

/** The reference's recommended limits (token_decode.py). */
export const MAX_TOKEN_JUMP = 64;
export const MAX_TOKEN_JUMP_COUNTER_SYNC = 100;
export const MAX_UNUSED_OLDER_TOKENS = 16;

/** What a device remembers between tokens. A new device is at count 1 with nothing used. */
export interface OpenPaygoDeviceState {
  readonly lastCount: number;
  /** Counts within the unordered-entry window that must not be accepted again, ascending. */
  readonly usedCounts: readonly number[];
}

export interface OpenPaygoDecodeRequest {
  readonly device: OpenPaygoDevice;
  readonly state: OpenPaygoDeviceState;
  /** As typed by the person: digits, spaces allowed. */
  readonly token: string;
}

export interface OpenPaygoDecoded {
  readonly command: OpenPaygoCommand;
  readonly format: TokenFormat;
  /** The count the token was made at. */
  readonly tokenCount: number;
  /** The device's state after applying the token. */
  readonly state: OpenPaygoDeviceState;
}

export type OpenPaygoDecodeError =
  OpenPaygoDeviceError | 'token-malformed' | 'token-invalid' | 'token-already-used';

interface ParsedToken {
  readonly code: number;
  readonly format: TokenFormat;
}

/** Tells the format from the length, as the reference does: up to 9 (15) digits is standard. */
export function parseToken(typed: string, restrictedDigitSet: boolean): ParsedToken | undefined {
  const digits = typed.replace(/\s+/g, '');
  const pattern = restrictedDigitSet ? /^[1-4]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return undefined;
  // A restricted-digit-set token has one digit per two bits of the code.
  const lengthOf = (format: TokenFormat) =>
    restrictedDigitSet ? FORMAT_RULES[format].bits / 2 : FORMAT_RULES[format].digits;
  if (digits.length > lengthOf('extended')) return undefined;
  const format: TokenFormat = digits.length <= lengthOf('standard') ? 'standard' : 'extended';
  const code = restrictedDigitSet ? fromRestrictedDigits(digits) : Number(digits);
  return { code, format };
}

export function commandAt(count: number, value: number): OpenPaygoCommand {
  if (count % 2 === 0) return { kind: 'add-time', value };
  if (value === COUNTER_SYNC_VALUE) return { kind: 'counter-sync' };
  if (value === DISABLE_PAYG_VALUE) return { kind: 'disable-payg' };
  return { kind: 'set-time', value };
}

function isAcceptable(
  count: number,
  command: OpenPaygoCommand,
  state: OpenPaygoDeviceState,
): boolean {
  if (command.kind === 'counter-sync') return count > state.lastCount - MAX_TOKEN_JUMP;
  if (count > state.lastCount) return true;
  return (
    command.kind === 'add-time' &&
    count > state.lastCount - MAX_UNUSED_OLDER_TOKENS &&
    count !== state.lastCount &&
    !state.usedCounts.includes(count)
  );
}

/** The state after accepting a token at `count`. */
export function stateAfter(
  state: OpenPaygoDeviceState,
  count: number,
  command: OpenPaygoCommand,
): OpenPaygoDeviceState {
  const lastCount = command.kind === 'counter-sync' ? count : Math.max(state.lastCount, count);
  const bottom = Math.max(0, lastCount - MAX_UNUSED_OLDER_TOKENS);
  const inWindow = (used: number) => used >= bottom && used <= lastCount;
  // Any other command closes the window: older Add Time tokens must not undo a Set Time,
  // a Disable PAYG or a resynchronised count.
  const usedCounts =
    command.kind === 'add-time'
      ? [...new Set([...state.usedCounts, count])].filter(inWindow).sort((a, b) => a - b)
      : Array.from({ length: lastCount - bottom + 1 }, (_, offset) => bottom + offset);
  return { lastCount, usedCounts };
}

export function decodeOpenPaygoToken(
  request: OpenPaygoDecodeRequest,
): Result<OpenPaygoDecoded, OpenPaygoDecodeError> {
  const resolved = resolveDevice(request.device);
  if (!resolved.ok) return resolved;
  const { key, startingCode } = resolved.value;
  const parsed = parseToken(request.token, request.device.restrictedDigitSet);
  if (!parsed) return err('token-malformed');
  const { code, format } = parsed;
  const tokenBase = baseOf(code, format);
  const value = decodeBase(startingCode, tokenBase, format);
  const jump = value === COUNTER_SYNC_VALUE ? MAX_TOKEN_JUMP_COUNTER_SYNC : MAX_TOKEN_JUMP;
  let chainCode = withBase(startingCode, tokenBase, format);
  let foundUsed = false;
  for (let count = 0; count <= request.state.lastCount + jump; count += 1) {
    if (withBase(chainCode, tokenBase, format) === code) {
      const command = commandAt(count, value);
      if (isAcceptable(count, command, request.state)) {
        const state = stateAfter(request.state, count, command);
        return ok({ command, format, tokenCount: count, state });
      }
      foundUsed = true;
    }
    chainCode = nextCode(chainCode, key, format);
  }
  return err(foundUsed ? 'token-already-used' : 'token-invalid');
}
