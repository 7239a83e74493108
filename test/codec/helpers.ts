/** Shared fixtures for the codec tests (not a test file itself). */
import { randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../../src/codec/crypto-codec';

export function makeKey(id: string): EncryptionKey {
  return { id, key: randomBytes(32) };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');
