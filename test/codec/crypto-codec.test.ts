import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmCodec,
  ENCODING_ENCRYPTED,
  PayloadDecryptionError,
  type EncryptionKey,
} from '../../src/codec/crypto-codec';
import { dec, enc, makeKey } from './helpers';

const SECRET = 'sk-virtual-key-0123456789abcdefSECRET';

function jsonPayload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

function metadataOf(payload: Payload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, dec(v)]));
}

describe('AesGcmCodec', () => {
  const keyA = makeKey('key-a');
  const keyB = makeKey('key-b');

  it('round-trips payloads, metadata included', async () => {
    const codec = new AesGcmCodec([keyA]);
    const original = [jsonPayload({ key: SECRET, n: 1 }), jsonPayload(undefined), jsonPayload('plain text')];
    const encoded = await codec.encode(original);
    expect(encoded).toHaveLength(3);
    for (const p of encoded) {
      expect(metadataOf(p)).toEqual({ encoding: ENCODING_ENCRYPTED, 'encryption-key-id': 'key-a' });
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { key: SECRET, n: 1 },
      undefined,
      'plain text',
    ]);
    expect(decoded.map(metadataOf)).toEqual(original.map(metadataOf));
  });

  it('handles an empty list', async () => {
    const codec = new AesGcmCodec([keyA]);
    await expect(codec.encode([])).resolves.toEqual([]);
    await expect(codec.decode([])).resolves.toEqual([]);
  });

  it('ciphertext contains no plaintext bytes of a secret, and a fresh IV per payload', async () => {
    const codec = new AesGcmCodec([keyA]);
    const payload = jsonPayload({ key: SECRET });
    const [one, two] = await codec.encode([payload, payload]);
    const bytes = Buffer.from(one!.data!);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    expect(bytes.includes(Buffer.from('json/plain'))).toBe(false); // the original metadata is hidden too
    expect(bytes.includes(Buffer.from(SECRET.slice(-12)))).toBe(false);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
    expect(Buffer.from(one!.data!).subarray(0, 12).equals(Buffer.from(two!.data!).subarray(0, 12))).toBe(false);
    // Nothing anywhere in the encoded payload carries the secret.
    expect(
      JSON.stringify(one, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v))
    ).not.toContain(SECRET);
  });

  it('rotation: a payload encrypted with A decodes with [B, A]; new payloads are encrypted with B', async () => {
    const [oldPayload] = await new AesGcmCodec([keyA]).encode([jsonPayload({ key: SECRET })]);
    const rotated = new AesGcmCodec([keyB, keyA]);
    expect(rotated.encryptionKeyId).toBe('key-b');
    expect(rotated.keyIds).toEqual(['key-b', 'key-a']);

    const [decoded] = await rotated.decode([oldPayload!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ key: SECRET });

    const [fresh] = await rotated.encode([jsonPayload('new')]);
    expect(metadataOf(fresh!)['encryption-key-id']).toBe('key-b');
    // B alone reads it, A alone does not.
    await expect(new AesGcmCodec([keyB]).decode([fresh!])).resolves.toHaveLength(1);
    await expect(new AesGcmCodec([keyA]).decode([fresh!])).rejects.toThrow(/unknown encryption key id "key-b"/);
  });

  it('an unknown key id fails clearly, naming the id and never key material', async () => {
    const [payload] = await new AesGcmCodec([keyA]).encode([jsonPayload(SECRET)]);
    const err = await new AesGcmCodec([keyB]).decode([payload!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect((err as PayloadDecryptionError).keyId).toBe('key-a');
    const message = (err as Error).message;
    expect(message).toMatch(/unknown encryption key id "key-a"/);
    expect(message).toContain('"key-b"');
    for (const k of [keyA, keyB]) {
      expect(message).not.toContain(k.key.toString('base64'));
      expect(message).not.toContain(k.key.toString('hex'));
    }
  });

  it('a tampered ciphertext, IV or tag fails authentication, naming the key id', async () => {
    const codec = new AesGcmCodec([keyA]);
    const [payload] = await codec.encode([jsonPayload({ key: SECRET })]);
    const length = payload!.data!.length;
    for (const index of [0, 12, Math.floor(length / 2), length - 1]) {
      const data = Uint8Array.from(payload!.data!);
      data[index]! ^= 0x01;
      await expect(codec.decode([{ ...payload!, data }])).rejects.toThrow(/key id "key-a": authentication failed/);
    }
  });

  it('the same id with a different key fails authentication', async () => {
    const [payload] = await new AesGcmCodec([keyA]).encode([jsonPayload(SECRET)]);
    await expect(new AesGcmCodec([makeKey('key-a')]).decode([payload!])).rejects.toThrow(/authentication failed/);
  });

  it('an encrypted payload without a key id or with truncated data fails clearly', async () => {
    const codec = new AesGcmCodec([keyA]);
    await expect(
      codec.decode([{ metadata: { encoding: enc(ENCODING_ENCRYPTED) }, data: new Uint8Array(40) }])
    ).rejects.toThrow(/no "encryption-key-id" metadata/);
    await expect(
      codec.decode([
        { metadata: { encoding: enc(ENCODING_ENCRYPTED), 'encryption-key-id': enc('key-a') }, data: new Uint8Array(8) },
      ])
    ).rejects.toThrow(/key id "key-a": data is too short/);
  });

  it('unencrypted payloads pass through decode unchanged', async () => {
    const codec = new AesGcmCodec([keyA]);
    const plain = jsonPayload({ created: 'before encryption was on' });
    const binary: Payload = { metadata: { encoding: enc('binary/plain') }, data: enc('raw') };
    const bare: Payload = { data: enc('no metadata') };
    const [p1, p2, p3] = await codec.decode([plain, binary, bare]);
    expect(p1).toBe(plain);
    expect(p2).toBe(binary);
    expect(p3).toBe(bare);
  });

  it('rejects bad key lists without printing key material', () => {
    expect(() => new AesGcmCodec([])).toThrow(/At least one encryption key/);
    expect(() => new AesGcmCodec([{ id: 'short', key: Buffer.alloc(16) }])).toThrow(/"short" must be 32 bytes/);
    expect(() => new AesGcmCodec([keyA, { ...keyB, id: 'key-a' }])).toThrow(/"key-a" appears more than once/);
    expect(() => new AesGcmCodec([{ id: '', key: Buffer.alloc(32) }])).toThrow(/empty id/);
  });

  it('does not expose key material when inspected or serialised', async () => {
    const { inspect } = await import('node:util');
    const key: EncryptionKey = { id: 'inspect-me', key: Buffer.from('k'.repeat(32)) };
    const codec = new AesGcmCodec([key]);
    expect(inspect(codec, { depth: 10, showHidden: true })).not.toContain('kkkkkkkk');
    expect(JSON.stringify(codec)).not.toContain('kkkkkkkk');
  });
});
