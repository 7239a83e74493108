// A LiteLLMConfig for the tests that talk to a LiteLLM directly (contract and real-proxy suites).
import type { LiteLLMConfig } from '../../src/config';
import { loadLiteLLMConfig } from '../../src/config';

export function clientConfig(url: string, masterKey: string): LiteLLMConfig {
  return loadLiteLLMConfig({ LITELLM_API_URL: url, LITELLM_API_KEY: masterKey });
}
