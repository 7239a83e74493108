/**
 * The failure converter used with encryption: error messages and stack traces go into `encodedAttributes`, a
 * payload, so the payload codec encrypts them (LiteLLM error bodies may echo request input such as keys).
 *
 * This module is loaded by path (`DataConverter.failureConverterPath`): the worker bundles it into the workflow
 * sandbox, so it must stay deterministic and import nothing but `@temporalio/common`.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
