/**
 * Leases of token counts (shared/topup.ts): the hub decides, per prepaid meter, which one device
 * may make its next tokens and at which counts, so that two devices never make two different
 * tokens at one count. One transaction per request; every grant is kept in `token_leases` (the
 * ingest checks each token's count against them) and the request is written to the audit log,
 * since a lease hands the device the meter's key.
 *
 * - No device holds the meter's lease: the asking device gets the next LEASE_COUNTS counts after
 *   the highest sold and the last lease's end.
 * - The asking device holds it: the same lease, or the next one once the hub has seen every
 *   token of it sold.
 * - Another device holds it: refused (`held-elsewhere`) unless the request says `take`: the lease
 *   moves to the asking device, after the old lease's end, so the old holder's unsynced tokens
 *   keep their counts.
 */
import { LEASE_COUNTS, tokensLeft } from '../../shared/topup.ts';
import type { LeaseRefusal, LeaseRequest, LeaseResponse } from '../../shared/protocol.ts';
import { appendAudit } from '../store/audit.ts';
import type { Store } from '../store/store.ts';
import { chunks } from '../store/store.ts';

export async function grantLeases(
  store: Store,
  request: LeaseRequest,
  /** The routes the agent serves (hub/auth/scope.ts, `agentRoutes`). */
  routeIds: readonly string[],
  actor: string,
  now: Date,
): Promise<LeaseResponse> {
  const ids = [...new Set(request.accountIds)];
  return store.transaction(async (trx) => {
    const answer: LeaseResponse = { leases: [], refused: [] };
    const refuse = (accountId: string, reason: LeaseRefusal) =>
      answer.refused.push({ accountId, reason });
    let granted = 0;
    for (const part of chunks(ids)) {
      const routes = new Map(
        (
          await trx
            .selectFrom('accounts')
            .select(['id', 'route_id'])
            .where('id', 'in', part)
            .execute()
        ).map((row) => [row.id, row.route_id]),
      );
      const meters = new Map(
        (
          await trx
            .selectFrom('prepaid_meters')
            .selectAll()
            .where('account_id', 'in', part)
            .execute()
        ).map((row) => [row.account_id, row]),
      );
      for (const accountId of part) {
        const route = routes.get(accountId);
        if (route === undefined || !routeIds.includes(route)) {
          refuse(accountId, 'out-of-scope');
          continue;
        }
        const meter = meters.get(accountId);
        if (!meter) {
          refuse(accountId, 'not-prepaid');
          continue;
        }
        const lastCount = Number(meter.last_count);
        let from = Number(meter.lease_from);
        let to = Number(meter.lease_to);
        const mine = meter.lease_device_id === request.deviceId;
        if (meter.lease_device_id !== null && !mine && request.take !== true) {
          refuse(accountId, 'held-elsewhere');
          continue;
        }
        if (!mine || tokensLeft({ fromCount: from, toCount: to }, lastCount) === 0) {
          from = Math.max(lastCount + 1, to);
          to = from + LEASE_COUNTS;
          await trx
            .updateTable('prepaid_meters')
            .set({ lease_device_id: request.deviceId, lease_from: from, lease_to: to })
            .where('account_id', '=', accountId)
            .execute();
          await trx
            .insertInto('token_leases')
            .values({
              account_id: accountId,
              device_id: request.deviceId,
              from_count: from,
              to_count: to,
              granted_at: now.toISOString(),
            })
            .execute();
          granted++;
        }
        answer.leases.push({
          accountId,
          meter: {
            secretKeyHex: meter.secret_key,
            startingCode: Number(meter.starting_code),
            restrictedDigitSet: Number(meter.restricted_digits) === 1,
            unitWh: Number(meter.unit_wh),
          },
          fromCount: from,
          toCount: to,
        });
      }
    }
    if (granted > 0)
      await appendAudit(trx, {
        at: now.toISOString(),
        actor,
        action: 'token-leases-granted',
        detail: JSON.stringify({
          deviceId: request.deviceId,
          granted,
          take: request.take === true,
        }),
      });
    return answer;
  });
}
