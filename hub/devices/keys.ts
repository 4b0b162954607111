/**
 * Checking a push's signature against the key the device enrolled with. Imported keys are
 * cached by their JWK text, so a busy device costs one import, not one per push.
 */
import {
  ECDSA_KEY,
  ECDSA_SIGNING,
  fromBase64url,
  pushSigningText,
  type PublicKeyJwk,
} from '../../shared/devices.ts';
import type { PushRequest } from '../../shared/protocol.ts';

const cache = new Map<string, Promise<CryptoKey>>();
const CACHE_LIMIT = 10_000;

function importKey(jwkText: string): Promise<CryptoKey> {
  let key = cache.get(jwkText);
  if (!key) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    key = crypto.subtle.importKey('jwk', JSON.parse(jwkText) as PublicKeyJwk, ECDSA_KEY, false, [
      'verify',
    ]);
    cache.set(jwkText, key);
  }
  return key;
}

export async function pushSignatureValid(
  publicKeyJwk: string,
  request: PushRequest,
): Promise<boolean> {
  const signature = fromBase64url(request.signature);
  if (!signature || signature.length !== 64) return false;
  const key = await importKey(publicKeyJwk);
  return crypto.subtle.verify(
    ECDSA_SIGNING,
    key,
    signature,
    new TextEncoder().encode(pushSigningText(request)),
  );
}
