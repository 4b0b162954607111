/**
 * STS tokens on the tablet: an STS top-up is recorded with no token (docs/prepaid-tokens.md,
 * "STS"); the hub vends it when the payment reaches it. The token then comes with the
 * account's next pulled snapshot, or, online, straight from the hub by the payment's fact id.
 */
import { stsVendAnswerSchema, type StsVend, type StsVendAnswer } from '../../shared/protocol.ts';
import type { Result } from '../../shared/result.ts';
import { callHub, type FetchLike, type HubFailure } from '../api.ts';
import type { StoredAccount } from './database.ts';

/** The token the hub vended for a payment, as the account's last snapshot holds it. */
export function vendInSnapshot(
  account: StoredAccount | undefined,
  factId: string,
): StsVend | undefined {
  return account?.prepaid?.stsVends?.find((vend) => vend.factId === factId);
}

/** Asks the hub for the token of a stored STS top-up (the same token however often asked). */
export async function askStsToken(
  call: { baseUrl: string; token: string; fetch?: FetchLike | undefined },
  factId: string,
): Promise<Result<StsVendAnswer, HubFailure>> {
  return callHub(
    call.baseUrl,
    {
      method: 'POST',
      path: '/api/prepaid/sts/vends',
      token: call.token,
      body: { factId },
      timeoutMs: 8_000,
    },
    stsVendAnswerSchema,
    call.fetch,
  );
}
