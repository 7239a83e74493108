/**
 * AES-256-GCM payload encryption, so that virtual keys and LiteLLM responses are not stored in plaintext in
 * Temporal history.
 *
 * Encoding (the same layout as Temporal's encryption samples):
 * - the whole `Payload` protobuf (its metadata included, e.g. `encoding: json/plain`) is serialised and encrypted;
 * - `data` = 12-byte random IV ‖ ciphertext ‖ 16-byte GCM tag;
 * - metadata = `encoding: binary/encrypted`, `encryption-key-id: <id>`.
 *
 * Keys are a list, newest first: the first key encrypts, every key decrypts, so a key can be rotated without
 * breaking running workflows or the replay of old histories. Payloads that are not `binary/encrypted` (written
 * before encryption was switched on) pass through `decode` unchanged.
 *
 * Runs outside the workflow sandbox (worker, client, codec server): `node:crypto` is fine here.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** One AES-256 key and the id recorded in every payload it encrypts. */
export interface EncryptionKey {
  /** Recorded in payload metadata; must stay stable for as long as histories encrypted with the key exist. */
  id: string;
  /** 32 bytes of key material. */
  key: Buffer;
}

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_ENCODING_KEY = 'encoding';
export const METADATA_KEY_ID_KEY = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload that could not be decrypted: the message names the key id (never key material). */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    /** The key id found in the payload metadata, if any. */
    public readonly keyId: string | undefined
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/** Check a key list: non-empty, unique non-empty ids, 32-byte keys. Messages name ids, never key material. */
export function validateEncryptionKeys(keys: readonly EncryptionKey[]): void {
  if (keys.length === 0) throw new TypeError('At least one encryption key is required');
  const seen = new Set<string>();
  for (const [index, { id, key }] of keys.entries()) {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError(`Encryption key ${index + 1} has an empty id`);
    if (seen.has(id)) throw new TypeError(`Encryption key id "${id}" appears more than once`);
    seen.add(id);
    if (!ArrayBuffer.isView(key) || key.byteLength !== KEY_BYTES) {
      throw new TypeError(`Encryption key "${id}" must be ${KEY_BYTES} bytes (AES-256)`);
    }
  }
}

/**
 * The AES-256-GCM {@link PayloadCodec}. Give the same key list to the worker, the client, the replay tests
 * and the codec server.
 */
export class AesGcmCodec implements PayloadCodec {
  /** Key objects by id; `KeyObject`s do not print their material when logged or inspected. */
  readonly #keys: ReadonlyMap<string, KeyObject>;
  readonly #encryptKeyId: string;

  constructor(keys: readonly EncryptionKey[]) {
    validateEncryptionKeys(keys);
    this.#keys = new Map(keys.map(({ id, key }) => [id, createSecretKey(Buffer.from(key))]));
    this.#encryptKeyId = keys[0]!.id;
  }

  /** The id of the key new payloads are encrypted with. */
  get encryptionKeyId(): string {
    return this.#encryptKeyId;
  }

  /** All ids this codec can decrypt, newest first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  // Synchronous work; the executor turns a throw into a rejection, as callers of an async codec expect.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.encryptPayload(payload))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decryptPayload(payload))));
  }

  private encryptPayload(payload: Payload): Payload {
    const key = this.#keys.get(this.#encryptKeyId)!;
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID_KEY]: encoder.encode(this.#encryptKeyId),
      },
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  }

  private decryptPayload(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || decoder.decode(encoding) !== ENCODING_ENCRYPTED) return payload;

    const rawKeyId = payload.metadata?.[METADATA_KEY_ID_KEY];
    if (!rawKeyId || rawKeyId.length === 0) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload: it is ${ENCODING_ENCRYPTED} but has no "${METADATA_KEY_ID_KEY}" metadata`,
        undefined
      );
    }
    const keyId = decoder.decode(rawKeyId);
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload: unknown encryption key id "${keyId}" (configured key ids: ${this.keyIds
          .map((id) => `"${id}"`)
          .join(', ')}); add that key to the key list to read this payload`,
        keyId
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload with encryption key id "${keyId}": data is too short (${data.length} bytes)`,
        keyId
      );
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const ciphertext = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload with encryption key id "${keyId}": authentication failed ` +
          '(the ciphertext was modified, or the key under that id is not the key it was encrypted with)',
        keyId
      );
    }
    try {
      return temporal.api.common.v1.Payload.decode(plaintext);
    } catch {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload with encryption key id "${keyId}": the decrypted bytes are not a Payload`,
        keyId
      );
    }
  }
}
