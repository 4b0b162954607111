/**
 * Device identity. A device is enrolled once, with a one-time code a supervisor issues, by
 * registering the public half of an ECDSA P-256 key it made itself and cannot export. Every
 * push is signed with that key over the batch's fact hashes, and facts are hash-chained, so
 * the hub knows who wrote a batch, and that nothing in it was changed, without a session: an
 * agent's session may have expired during weeks offline, but the device's key has not.
 */
import { freeText } from './text.ts';
import { z } from 'zod';
import { canonicalJson } from './hash.ts';
import { uuidSchema } from './facts.ts';

/** Crockford's base32 without I, L, O and U: nothing to misread when typed from a screen. */
export const ENROLMENT_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const enrolmentCodeSchema = z
  .string()
  .transform((text) => text.trim().toUpperCase().replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^[0-9A-HJKMNP-TV-Z]{12}$/, 'an enrolment code is 12 letters and digits'));

/** Formats 12 characters as XXXX-XXXX-XXXX for reading aloud and typing. */
export function formatEnrolmentCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

export const publicKeyJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export type PublicKeyJwk = z.infer<typeof publicKeyJwkSchema>;

export const enrolRequestSchema = z.object({
  code: enrolmentCodeSchema,
  deviceId: uuidSchema,
  publicKey: publicKeyJwkSchema,
  label: freeText(60).min(1).optional(),
});

export const enrolResponseSchema = z.object({
  deviceId: uuidSchema,
  enrolledAt: z.iso.datetime(),
});

export const enrolmentCodeResponseSchema = z.object({
  code: z.string(),
  expiresAt: z.iso.datetime(),
});

export const deviceSummarySchema = z.object({
  id: uuidSchema,
  label: z.string().nullable(),
  status: z.enum(['active', 'revoked']),
  enrolledAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
  headSeq: z.number().int(),
  lastPushAt: z.iso.datetime().nullable(),
  /** The device's clock minus the hub's at its last push, in ms; tolerated, shown when large. */
  clockSkewMs: z.number().int().nullable(),
});

export const devicesResponseSchema = z.object({ devices: z.array(deviceSummarySchema) });

export type DeviceSummary = z.infer<typeof deviceSummarySchema>;

/**
 * What a device signs for a push: the format version, the device and the hashes of the facts
 * in the batch, as canonical JSON. Each hash covers its fact's content and the chain, so the
 * signature covers every byte of the facts without signing them twice.
 */
export function pushSigningText(request: {
  formatVersion: number;
  deviceId: string;
  facts: readonly { hash: string }[];
  sentAtMs?: number | undefined;
}): string {
  return canonicalJson({
    formatVersion: request.formatVersion,
    deviceId: request.deviceId,
    factHashes: request.facts.map((fact) => fact.hash),
    ...(request.sentAtMs === undefined ? {} : { sentAtMs: request.sentAtMs }),
  });
}

export const ECDSA_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
export const ECDSA_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
