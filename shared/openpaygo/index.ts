/**
 * OpenPAYGO Token v2.3 in pure TypeScript: making tokens for pay-as-you-go devices and
 * checking them as a device would. Guarantees: tokens match the reference implementation
 * (EnAccess/OpenPAYGO-python) bit for bit, which the official test vectors check; nothing
 * here does IO or reads a clock. See docs/prepaid-tokens.md for how Gridtally uses it.
 */
export {
  generateOpenPaygoToken,
  nextCount,
  type OpenPaygoCommand,
  type OpenPaygoCommandKind,
  type OpenPaygoDevice,
  type OpenPaygoDeviceError,
  type OpenPaygoEncodeError,
  type OpenPaygoToken,
  type OpenPaygoTokenRequest,
} from './encode.ts';
export {
  decodeOpenPaygoToken,
  MAX_TOKEN_JUMP,
  MAX_TOKEN_JUMP_COUNTER_SYNC,
  MAX_UNUSED_OLDER_TOKENS,
  type OpenPaygoDecoded,
  type OpenPaygoDecodeError,
  type OpenPaygoDecodeRequest,
  type OpenPaygoDeviceState,
} from './decode.ts';
export { COUNTER_SYNC_VALUE, DISABLE_PAYG_VALUE, FORMAT_RULES, type TokenFormat } from './chain.ts';
