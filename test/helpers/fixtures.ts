/**
 * The values every test shares (and the bench): one master key, one provisioning. Test values, never real
 * secrets.
 */
import type { LiteLLMConfig, ProvisioningConfig } from '../../src/config';

/** The master key the emulator is started with and the worker, the CLI and the tests send. */
export const MASTER_KEY = 'sk-test-master-key-0123456789';

/** The worker's provisioning settings in tests: the legacy default team, billing on with a budget of 10. */
export const PROVISIONING: ProvisioningConfig = {
  defaultTeamId: 'openhands-default',
  defaultModel: 'litellm_proxy/minimax-m2.5',
  orgSettingsVersion: 5,
  defaultInitialBudget: 10,
};

/** The worker's LiteLLM settings in tests: the shared master key, short timeouts, a fixed derivation secret. */
export function liteLLMConfig(baseUrl: string, overrides: Partial<LiteLLMConfig> = {}): LiteLLMConfig {
  return {
    baseUrl,
    masterKey: MASTER_KEY,
    authHeader: 'authorization',
    changedBy: 'litellm-workflows-tests',
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    maxConnections: 8,
    keyVerifyTimeoutMs: 2_000,
    keyDerivationSecret: 'test-key-derivation-secret',
    ...overrides,
  };
}
