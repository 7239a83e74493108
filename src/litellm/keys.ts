/**
 * Virtual keys: hashing and deterministic derivation (aliases are domain rules: src/domain/aliases.ts).
 *
 * LiteLLM stores a key as `sha256(plaintext)` hex (its "token"), and every key route accepts either the
 * plaintext or that hash. We always send the hash where we can, so no plaintext key travels in a URL or a
 * body that does not need it.
 */
import { createHash, createHmac } from 'node:crypto';

const KEY_HASH = /^[0-9a-f]{64}$/;

/** LiteLLM's token of a plaintext key: sha256 hex. */
export function hashKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

/** True for a plaintext virtual key (`sk-…`). */
export function isPlaintextKey(value: string): boolean {
  return value.startsWith('sk-');
}

/** True for a LiteLLM token (64 lower-case hex characters). */
export function isKeyHash(value: string): boolean {
  return KEY_HASH.test(value);
}

/** The hash of a plaintext key, or the value itself when it already is a hash. */
export function toKeyHash(keyOrHash: string): string {
  return isPlaintextKey(keyOrHash) ? hashKey(keyOrHash) : keyOrHash;
}

/**
 * The key value issued for one issuance: `'sk-' + base64url(HMAC-SHA256(secret, issuanceId))` (43 characters
 * after the prefix, 256 bits). The same issuance always yields the same key, which is what makes key
 * issuance exactly-once (see `generateKey` in src/activities/keys.ts); without the secret nobody can
 * predict a key from an issuance id.
 */
export function deriveKey(secret: string, issuanceId: string): string {
  if (!secret) throw new Error('deriveKey: empty secret');
  return 'sk-' + createHmac('sha256', secret).update(issuanceId, 'utf8').digest('base64url');
}
