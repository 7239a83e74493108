import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config';
import {
  ENCRYPTION_KEYS_FILE_VAR,
  ENCRYPTION_KEYS_VAR,
  defaultKeyId,
  generateKeySpec,
  loadEncryptionKeys,
  parseEncryptionKeys,
  requireEncryptionKeys,
} from '../../src/codec/keys';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const spec = `new:${k1.toString('base64')},old:${k2.toString('base64')}`;

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('encryption key configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codec-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses id:base64 entries, newest first', () => {
    const keys = loadEncryptionKeys({ [ENCRYPTION_KEYS_VAR]: spec })!;
    expect(keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(keys[0]!.key.equals(k1)).toBe(true);
    expect(keys[1]!.key.equals(k2)).toBe(true);
  });

  it('accepts whitespace, newlines and URL-safe base64', () => {
    const keys = parseEncryptionKeys(` a : ${k1.toString('base64url')} ,\n b:${k2.toString('base64')}\n`);
    expect(keys.map((k) => k.id)).toEqual(['a', 'b']);
    expect(keys[0]!.key.equals(k1)).toBe(true);
  });

  it('is undefined when neither variable is set; requireEncryptionKeys then throws naming both', () => {
    expect(loadEncryptionKeys({})).toBeUndefined();
    const err = errorOf(() => requireEncryptionKeys({}));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(ENCRYPTION_KEYS_VAR);
    expect(err.message).toContain(ENCRYPTION_KEYS_FILE_VAR);
    expect(requireEncryptionKeys({ [ENCRYPTION_KEYS_VAR]: spec })).toHaveLength(2);
  });

  it('reads the _FILE variant', () => {
    const file = join(dir, 'keys');
    writeFileSync(file, `${spec}\n`);
    expect(loadEncryptionKeys({ [ENCRYPTION_KEYS_FILE_VAR]: file })!.map((k) => k.id)).toEqual(['new', 'old']);
    const missing = errorOf(() => loadEncryptionKeys({ [ENCRYPTION_KEYS_FILE_VAR]: join(dir, 'nope') }));
    expect(missing.message).toMatch(/LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE: cannot read/);
    expect(
      errorOf(() => loadEncryptionKeys({ [ENCRYPTION_KEYS_VAR]: spec, [ENCRYPTION_KEYS_FILE_VAR]: file })).message
    ).toMatch(/Set only one of/);
  });

  it.each([
    ['', /is set but empty/],
    [' , ', /is set but empty/],
    [k1.toString('base64'), /entry 1 has no ":"/],
    [`bad id:${k1.toString('base64')}`, /entry 1: the key id must be/],
    [`a:${k1.toString('base64')},b:`, /entry 2 \(key id "b"\): the key is empty/],
    [`a:not*base64!`, /entry 1 \(key id "a"\): the key is not base64/],
    [`a:${randomBytes(16).toString('base64')}`, /key id "a"\): the key must be 32 bytes .* decodes to 16 bytes/],
    [`a:${k1.toString('base64')},a:${k2.toString('base64')}`, /entry 2: key id "a" appears more than once/],
  ])('rejects %j with a clear message naming the variable', (value, pattern) => {
    const err = errorOf(() => loadEncryptionKeys({ [ENCRYPTION_KEYS_VAR]: value }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(pattern);
    expect(err.message).toContain(ENCRYPTION_KEYS_VAR);
    for (const k of [k1, k2]) {
      expect(err.message).not.toContain(k.toString('base64'));
      expect(err.message).not.toContain(k.toString('base64').slice(0, 16));
    }
  });

  it('generateKeySpec makes a parseable, random 32-byte entry', () => {
    const a = generateKeySpec('rot-1');
    const b = generateKeySpec('rot-1');
    expect(a).toMatch(/^rot-1:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(parseEncryptionKeys(a)[0]!.key).toHaveLength(32);
    expect(generateKeySpec()).toMatch(/^key-\d{8}:/);
    expect(defaultKeyId(new Date('2026-03-04T05:06:07Z'))).toBe('key-20260304');
    expect(() => generateKeySpec('no spaces')).toThrow(/key id must be/);
  });
});
