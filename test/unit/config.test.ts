import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadProvisioningConfig, loadTemporalConfig, loadWorkerConfig } from '../../src/config';

const minimal = { LITELLM_API_URL: 'https://llm.example.com/', LITELLM_API_KEY: 'sk-master-1234567890' };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('fills documented defaults from a minimal environment', () => {
    const config = loadWorkerConfig(minimal);
    expect(config.temporal).toMatchObject({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'litellm-workflows',
      tls: false,
    });
    expect(config.litellm).toMatchObject({
      baseUrl: 'https://llm.example.com',
      authHeader: 'authorization',
      maxConnections: 16,
    });
    expect(config.provisioning).toEqual({
      defaultTeamId: undefined,
      defaultModel: 'litellm_proxy/minimax-m2.5',
      orgSettingsVersion: 5,
      defaultInitialBudget: null,
    });
    expect(config.worker).toMatchObject({ maxConcurrentActivities: 32, shutdownGraceMs: 10_000 });
  });

  it('budgets new teams only when billing is on (the seed: unlimited otherwise)', () => {
    expect(loadProvisioningConfig({ ENABLE_BILLING: 'true', DEFAULT_INITIAL_BUDGET: '25' }).defaultInitialBudget).toBe(
      25
    );
    expect(
      loadProvisioningConfig({ ENABLE_BILLING: 'false', DEFAULT_INITIAL_BUDGET: '25' }).defaultInitialBudget
    ).toBeNull();
    expect(loadProvisioningConfig({ ORG_SETTINGS_VERSION: '3' }).defaultModel).toBe(
      'litellm_proxy/claude-sonnet-4-20250514'
    );
  });

  it.each([
    [{}, 'LITELLM_API_URL: is required'],
    [{ ...minimal, LITELLM_API_URL: 'not a url' }, 'LITELLM_API_URL: must be an http(s) URL'],
    [{ LITELLM_API_URL: 'https://x' }, 'LITELLM_API_KEY or LITELLM_API_KEY_FILE must be set'],
    [{ ...minimal, DEFAULT_INITIAL_BUDGET: '-1' }, 'DEFAULT_INITIAL_BUDGET'],
    [{ ...minimal, ENABLE_BILLING: 'maybe' }, 'ENABLE_BILLING: must be true or false'],
    [{ ...minimal, WORKER_MAX_CONCURRENT_ACTIVITIES: '0' }, 'WORKER_MAX_CONCURRENT_ACTIVITIES'],
    [{ ...minimal, ORG_SETTINGS_VERSION: '99' }, 'ORG_SETTINGS_VERSION'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(errorOf(() => loadWorkerConfig(env)).message).toContain(message);
  });

  it('never puts a secret value into its messages', () => {
    const error = errorOf(() => loadWorkerConfig({ ...minimal, LITELLM_API_URL: 'sk-oops-this-is-a-key' }));
    expect(error.message).not.toContain('sk-oops');
  });

  it('reads the master key from a file, and refuses both forms at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'master');
    writeFileSync(file, 'sk-from-file-123\n');
    expect(loadWorkerConfig({ LITELLM_API_URL: 'https://x', LITELLM_API_KEY_FILE: file }).litellm.masterKey).toBe(
      'sk-from-file-123'
    );
    expect(errorOf(() => loadWorkerConfig({ ...minimal, LITELLM_API_KEY_FILE: file })).variables).toEqual([
      'LITELLM_API_KEY',
      'LITELLM_API_KEY_FILE',
    ]);
  });

  it('turns on TLS with an API key (Temporal Cloud)', () => {
    expect(loadTemporalConfig({ TEMPORAL_API_KEY: 'cloud-key' }).tls).toBe(true);
  });
});
