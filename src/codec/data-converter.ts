/**
 * The one data converter for everything that talks to Temporal: the worker, the client and CLI, the replay
 * tests and scripts. With keys, payloads (inputs, results, heartbeat details, memo, message arguments) and
 * failure messages and stack traces are encrypted with AES-256-GCM; without keys it is Temporal's default.
 *
 * Search attributes are never encoded by Temporal: never put a secret in one.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, type EncryptionKey, type PayloadDecryptionError } from './crypto-codec';
import { DecryptionErrorReporter } from './decryption-errors';

/**
 * Path of the module exporting the encrypting `failureConverter`. The SDK loads failure converters by path
 * because the workflow sandbox needs its own copy: pass it as `failureConverterPath` to `bundleWorkflowCode`
 * when the workflow bundle is built ahead of time (a `workflowsPath` worker picks it up from `dataConverter`).
 */
export const FAILURE_CONVERTER_PATH: string = require.resolve('./failure-converter');

/**
 * `keys` (newest first, e.g. from `loadEncryptionKeys()`): an encrypting converter; `undefined`: the default
 * converter (plaintext history). `onDecryptionError` (the worker): told of every payload it cannot decrypt.
 */
export function createDataConverter(
  keys: EncryptionKey[] | undefined,
  options: { onDecryptionError?: (error: PayloadDecryptionError) => void } = {}
): DataConverter {
  if (!keys) return {};
  const codec = new AesGcmCodec(keys);
  return {
    payloadCodecs: [options.onDecryptionError ? new DecryptionErrorReporter(codec, options.onDecryptionError) : codec],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
