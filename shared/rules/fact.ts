/**
 * What every fact is checked for before its kind's own rules: a body the hub can read, a device
 * still trusted, an agent who signed in on the device. The first broken rule names the flag; a
 * fact flagged here is stored and shown for review, and changes nothing.
 */
import type { BodyFault } from '../facts.ts';
import type { FlagReason } from '../protocol.ts';

export interface Provenance {
  /** What is wrong with the body, if the hub could not read it. */
  readonly bodyFault: BodyFault | undefined;
  /** The device was revoked before the fact reached the hub (a supervisor uploaded its file). */
  readonly deviceRevoked: boolean;
  /** The fact's agent signed in on this device at some time before the fact arrived. */
  readonly agentSignedInHere: boolean;
}

export function provenanceFlag(provenance: Provenance): FlagReason | undefined {
  if (provenance.bodyFault) return 'body-invalid';
  if (provenance.deviceRevoked) return 'device-revoked';
  if (!provenance.agentSignedInHere) return 'agent-not-on-device';
  return undefined;
}
