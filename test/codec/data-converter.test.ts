import { ApplicationFailure, defaultPayloadConverter, type ProtoFailure } from '@temporalio/common';
import {
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  encodeToPayloads,
  decodeArrayFromPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { AesGcmCodec } from '../../src/codec/crypto-codec';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { failureConverter } from '../../src/codec/failure-converter';
import { dec, makeKey } from './helpers';

const SECRET = 'sk-leaked-by-litellm-0123456789abcdef';

/** Every string and byte array in a failure proto, as text. */
function allText(failure: unknown): string {
  return JSON.stringify(failure, (_k, v: unknown) => (v instanceof Uint8Array ? dec(v) : v));
}

describe('createDataConverter', () => {
  const keys = [makeKey('key-1')];

  it('without keys is the default converter', () => {
    expect(createDataConverter(undefined)).toEqual({});
    const loaded = loadDataConverter(createDataConverter(undefined));
    expect(loaded.payloadCodecs).toEqual([]);
  });

  it('with keys: the AES-GCM codec and the encrypting failure converter (by path)', () => {
    const dc = createDataConverter(keys);
    expect(dc.payloadCodecs).toHaveLength(1);
    expect(dc.payloadCodecs![0]).toBeInstanceOf(AesGcmCodec);
    expect(dc.failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
    const loaded = loadDataConverter(dc);
    expect(loaded.failureConverter).toBe(failureConverter);
  });

  it('encrypts workflow inputs and results', async () => {
    const loaded = loadDataConverter(createDataConverter(keys));
    const payloads = (await encodeToPayloads(loaded, { virtualKey: SECRET }, 42))!;
    expect(allText(payloads)).not.toContain(SECRET);
    expect(dec(payloads[0]!.metadata!.encoding)).toBe('binary/encrypted');
    await expect(decodeArrayFromPayloads(loaded, payloads)).resolves.toEqual([{ virtualKey: SECRET }, 42]);
  });

  it('encrypts failure messages and stack traces', async () => {
    const loaded = loadDataConverter(createDataConverter(keys));
    const error = ApplicationFailure.create({
      message: `LiteLLM said: invalid key ${SECRET}`,
      type: 'LiteLLMHttpError',
      nonRetryable: true,
      details: [{ body: SECRET }],
      cause: new Error(`cause mentions ${SECRET}`),
    });
    const failure: ProtoFailure = await encodeErrorToFailure(loaded, error);

    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(failure.cause?.message).toBe('Encoded failure');
    expect(dec(failure.encodedAttributes?.metadata?.encoding)).toBe('binary/encrypted');
    expect(failure.applicationFailureInfo?.type).toBe('LiteLLMHttpError'); // the type stays readable
    expect(allText(failure)).not.toContain(SECRET);
    expect(allText(failure)).not.toContain('LiteLLM said');

    const decoded = await decodeOptionalFailureToOptionalError(loaded, failure);
    expect(decoded).toBeInstanceOf(ApplicationFailure);
    expect(decoded!.message).toBe(`LiteLLM said: invalid key ${SECRET}`);
    expect((decoded as ApplicationFailure).details).toEqual([{ body: SECRET }]);
    expect((decoded!.cause as Error | undefined)?.message).toBe(`cause mentions ${SECRET}`);
  });

  it('the default converter leaves failure messages in plaintext (what encryption prevents)', async () => {
    const loaded = loadDataConverter(createDataConverter(undefined));
    const failure = await encodeErrorToFailure(loaded, ApplicationFailure.create({ message: SECRET }));
    expect(failure.message).toBe(SECRET);
  });

  it('reads failures written before encryption was on', async () => {
    const plain = await encodeErrorToFailure(
      loadDataConverter(createDataConverter(undefined)),
      ApplicationFailure.create({ message: 'old failure', details: ['d'] })
    );
    const decoded = await decodeOptionalFailureToOptionalError(loadDataConverter(createDataConverter(keys)), plain);
    expect(decoded!.message).toBe('old failure');
    expect((decoded as ApplicationFailure).details).toEqual(['d']);
  });

  it('payloads from before encryption still decode', async () => {
    const loaded = loadDataConverter(createDataConverter(keys));
    const old = [defaultPayloadConverter.toPayload({ teamId: 't-1' })];
    await expect(decodeArrayFromPayloads(loaded, old)).resolves.toEqual([{ teamId: 't-1' }]);
  });
});
