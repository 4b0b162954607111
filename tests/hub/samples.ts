/**
 * Request bodies that several hub tests send as they are: each is valid in shape and changes
 * nothing (a version already published, an enrolment code nobody issued), so a caller's rights
 * decide the answer.
 */
import type { PushRequest } from '../../shared/protocol.ts';
import { TABLET_C } from './harness.ts';

/** Version 1 of the demo tariff again: a supervisor gets 409, nobody else gets that far. */
export const REPUBLISHED_VERSION = {
  id: 'demo-domestic',
  version: 1,
  name: 'Again',
  currency: 'KES',
  effectiveFrom: '2025-01-01',
  energy: [{ kind: 'flat', rate: '10' }],
} as const;

/** Enrolling TABLET_C with a code nobody issued: refused whoever sends it. */
export const UNISSUED_CODE_ENROLMENT = {
  code: 'ABCD-EFGH-JKMN',
  deviceId: TABLET_C,
  publicKey: { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'B'.repeat(43) },
} as const;

/** An outbox file as a tablet exports it, of the pushes given. */
export function outboxFile(deviceId: string, pushes: readonly PushRequest[]) {
  return {
    kind: 'gridtally-outbox',
    formatVersion: pushes[0]?.formatVersion ?? 1,
    deviceId,
    exportedAt: '2026-11-20T09:00:00.000Z',
    pushes: [...pushes],
  };
}
