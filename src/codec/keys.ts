/**
 * Encryption keys from configuration.
 *
 * `LITELLM_WORKFLOWS_ENCRYPTION_KEYS` (or `LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE`, the path of a file holding
 * the same value): `id1:base64key1,id2:base64key2`, newest first. Each key is 32 random bytes in base64
 * (standard or URL-safe alphabet); ids are 1–64 characters of `A-Z a-z 0-9 . _ -`. The first key encrypts, all
 * keys decrypt: to rotate, put a new key in front and keep the old ones for as long as histories or running
 * workflows may hold payloads encrypted with them.
 *
 * Error messages name the variable, the entry position and the key id, never key material.
 *
 * CLI: `npx tsx src/codec/keys.ts generate [id]` prints a fresh `id:base64` entry.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, readSecret, type Env } from '../config-fields';
import { registerSecret } from '../redact';
import type { EncryptionKey } from './crypto-codec';

export type { EncryptionKey } from './crypto-codec';

export const ENCRYPTION_KEYS_VAR = 'LITELLM_WORKFLOWS_ENCRYPTION_KEYS';
export const ENCRYPTION_KEYS_FILE_VAR = 'LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE';

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;
const FORMAT_HINT = 'expected id1:base64key1,id2:base64key2 (newest first)';

/**
 * Parse a key list value. `source` names the variable in error messages.
 * Entries are separated by commas (newlines are accepted too, for files).
 */
export function parseEncryptionKeys(value: string, source: string = ENCRYPTION_KEYS_VAR): EncryptionKey[] {
  const entries = value
    .split(/[,\r\n]+/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    throw new ConfigError(`${source} is set but empty; ${FORMAT_HINT}. Unset it to disable encryption`, [source]);
  }
  const keys: EncryptionKey[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const where = `${source}: entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new ConfigError(`${where} has no ":"; ${FORMAT_HINT}`, [source]);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new ConfigError(
        `${where}: the key id must be 1-64 characters of letters, digits, ".", "_" or "-"; ${FORMAT_HINT}`,
        [source]
      );
    }
    if (seen.has(id)) throw new ConfigError(`${where}: key id "${id}" appears more than once`, [source]);
    seen.add(id);
    if (encoded === '') throw new ConfigError(`${where} (key id "${id}"): the key is empty`, [source]);
    if (!BASE64.test(encoded)) throw new ConfigError(`${where} (key id "${id}"): the key is not base64`, [source]);
    const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
    if (key.length !== KEY_BYTES) {
      throw new ConfigError(
        `${where} (key id "${id}"): the key must be ${KEY_BYTES} bytes of base64 (it decodes to ${key.length} bytes); ` +
          'generate one with `npx tsx src/codec/keys.ts generate`',
        [source]
      );
    }
    registerSecret(encoded);
    keys.push({ id, key });
  }
  return keys;
}

/**
 * The configured encryption keys, newest first, or `undefined` when neither `LITELLM_WORKFLOWS_ENCRYPTION_KEYS`
 * nor `LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE` is set. A set but empty, unreadable or malformed value throws a
 * {@link ConfigError} (it never silently turns encryption off).
 */
export function loadEncryptionKeys(env: Env = process.env): EncryptionKey[] | undefined {
  const secret = readSecret(env, ENCRYPTION_KEYS_VAR);
  return secret && parseEncryptionKeys(secret.value, secret.source);
}

/** Like {@link loadEncryptionKeys}, but missing keys are an error too (the codec server needs them). */
export function requireEncryptionKeys(env: Env = process.env): EncryptionKey[] {
  const keys = loadEncryptionKeys(env);
  if (!keys) {
    throw new ConfigError(
      `Encryption keys are required: set ${ENCRYPTION_KEYS_VAR} or ${ENCRYPTION_KEYS_FILE_VAR} ` +
        `(${FORMAT_HINT}; generate an entry with \`npx tsx src/codec/keys.ts generate\`)`,
      [ENCRYPTION_KEYS_VAR, ENCRYPTION_KEYS_FILE_VAR]
    );
  }
  return keys;
}

/** A default key id: `key-YYYYMMDD` (UTC), so ids tell their age. */
export function defaultKeyId(now: Date = new Date()): string {
  return `key-${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** A fresh random key entry, `id:base64`, ready to be put in front of the key list. */
export function generateKeySpec(id: string = defaultKeyId()): string {
  if (!KEY_ID.test(id)) {
    throw new ConfigError('The key id must be 1-64 characters of letters, digits, ".", "_" or "-"', []);
  }
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function main(argv: string[]): number {
  const [command, id, ...rest] = argv;
  if (command === 'generate' && rest.length === 0) {
    try {
      process.stdout.write(`${generateKeySpec(id)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  }
  if (command === 'check' && id === undefined) {
    try {
      const keys = loadEncryptionKeys();
      process.stdout.write(
        keys
          ? `${keys.length} key(s); encrypting with "${keys[0]!.id}"; decrypting with ${keys.map((k) => `"${k.id}"`).join(', ')}\n`
          : `Encryption is off: neither ${ENCRYPTION_KEYS_VAR} nor ${ENCRYPTION_KEYS_FILE_VAR} is set\n`
      );
      return 0;
    } catch (err) {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  }
  process.stderr.write(
    [
      'Usage:',
      '  npx tsx src/codec/keys.ts generate [id]   print a fresh id:base64 key entry (id defaults to key-YYYYMMDD)',
      `  npx tsx src/codec/keys.ts check           validate ${ENCRYPTION_KEYS_VAR} / ${ENCRYPTION_KEYS_FILE_VAR} (prints ids only)`,
      '',
    ].join('\n')
  );
  return 2;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
