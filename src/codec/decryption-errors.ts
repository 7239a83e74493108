/**
 * A payload the worker cannot decrypt (a key id missing from its key list, or the wrong key under an id)
 * makes Temporal retry the workflow task for ever: the run stays Running and its caller waits. So the worker
 * wraps its codec with this reporter and logs ONE clear error per problem, naming the key id (never key
 * material); the run continues by itself once the key is added and the worker restarted.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ENCRYPTION_KEYS_VAR } from './keys';
import { PayloadDecryptionError } from './crypto-codec';

/** Passes everything through to `inner`; a decryption error is reported before it is rethrown. */
export class DecryptionErrorReporter implements PayloadCodec {
  constructor(
    private readonly inner: PayloadCodec,
    private readonly report: (error: PayloadDecryptionError) => void
  ) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.inner.encode(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return await this.inner.decode(payloads);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) this.report(err);
      throw err;
    }
  }
}

/**
 * A `report` that logs each distinct problem once per process (the workflow task is retried every few
 * seconds; the log should say it once, clearly): the message names the key id and the variable to fix.
 */
export function logEachDecryptionErrorOnce(
  log: (message: string, meta: Record<string, unknown>) => void
): (error: PayloadDecryptionError) => void {
  const seen = new Set<string>();
  return (error) => {
    if (seen.has(error.message)) return;
    seen.add(error.message);
    log(
      `${error.message}. Runs holding such payloads wait (their workflow task is retried) until the key is in ` +
        `${ENCRYPTION_KEYS_VAR} of this worker and the worker restarted`,
      { keyId: error.keyId ?? null }
    );
  };
}
