import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  loadCodecServerConfig,
  loadDevConfig,
  loadProvisioningConfig,
  loadTemporalConfig,
  loadWorkerConfig,
} from '../../src/config';

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

  it.each(['true', 'True', 'TRUE', 'tRuE'])('reads ENABLE_BILLING=%j as on, as the seed does', (value) => {
    expect(loadProvisioningConfig({ ENABLE_BILLING: value, DEFAULT_INITIAL_BUDGET: '25' }).defaultInitialBudget).toBe(
      25
    );
  });

  it.each(['false', 'False', 'FALSE'])('reads ENABLE_BILLING=%j as off', (value) => {
    expect(loadProvisioningConfig({ ENABLE_BILLING: value, DEFAULT_INITIAL_BUDGET: '25' }).defaultInitialBudget).toBe(
      null
    );
  });

  // The seed reads `value.lower() == 'true'`: 1, yes and on are off there. Refused here rather than guessed.
  it.each(['1', '0', 'yes', 'no', 'on', '', 'truthy', ' true', 'true\n'])(
    'refuses ENABLE_BILLING=%j naming the variable',
    (value) => {
      const error = errorOf(() => loadWorkerConfig({ ...minimal, ENABLE_BILLING: value }));
      expect(error.variables).toEqual(['ENABLE_BILLING']);
      expect(error.message).toContain('ENABLE_BILLING: must be true or false');
    }
  );

  it.each([
    ['LITELLM_API_URL', 'ftp://llm.example.com'],
    ['LITELLM_API_URL', 'javascript:alert(1)'],
    ['LITELLM_API_URL', 'file:///etc/passwd'],
    ['LITELLM_AUTH_HEADER', 'bad header:'],
    ['LITELLM_AUTH_HEADER', 'x-key\r\nx-other'],
    ['LITELLM_CHANGED_BY', 'ops\r\nx-injected: 1'],
    ['METRICS_BIND_ADDRESS', '12345'],
    ['METRICS_BIND_ADDRESS', 'localhost:9464'],
    ['METRICS_BIND_ADDRESS', '0.0.0.0:99999'],
    ['METRICS_BIND_ADDRESS', '0.0.0.0:'],
    ['METRICS_BIND_ADDRESS', '::1:9464'],
    ['LITELLM_DEFAULT_TEAM_ID', 'team\u0007one'],
    ['LITELLM_DEFAULT_TEAM_ID', 'team\none'],
    ['LITELLM_DEFAULT_MODEL', 'model\u0000'],
    ['LOG_LEVEL', 'verbose'],
    ['TEMPORAL_ADDRESS', 'http://localhost:7233'],
    ['TEMPORAL_ADDRESS', 'temporal-frontend'],
    ['TEMPORAL_NAMESPACE', 'ns\tx'],
    ['WORKER_MAX_CONCURRENT_ACTIVITIES', '0x1F'],
    ['WORKER_MAX_CONCURRENT_ACTIVITIES', '1e3'],
    ['LITELLM_MAX_CONNECTIONS', '1.5'],
    ['DEFAULT_INITIAL_BUDGET', '0x1F'],
    ['DEFAULT_INITIAL_BUDGET', '1e300'],
    ['WORKER_MAX_ACTIVITIES_PER_SECOND', '0'],
    ['WORKER_MAX_ACTIVITIES_PER_SECOND', 'Infinity'],
    ['TEMPORAL_TLS', 'yes'],
    ['TEMPORAL_TLS_CERT_PATH', '/certs/client.pem'],
  ])('refuses %s=%j at start-up, naming the variable and not the value', (name, value) => {
    const error = errorOf(() => loadWorkerConfig({ ...minimal, [name]: value }));
    expect(error.variables).toEqual([name]);
    expect(error.message).toContain(`${name}: `);
    expect(error.message).not.toContain(value);
  });

  it('accepts the valid forms of the settings it checks', () => {
    const config = loadWorkerConfig({
      ...minimal,
      LITELLM_API_URL: 'http://litellm:4000/',
      LITELLM_AUTH_HEADER: 'X-LiteLLM-API-Key',
      METRICS_BIND_ADDRESS: '[::1]:9464',
      LITELLM_DEFAULT_TEAM_ID: 'openhands default team',
      LOG_LEVEL: 'debug',
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      DEFAULT_INITIAL_BUDGET: '12.5',
      WORKER_MAX_ACTIVITIES_PER_SECOND: '0.5',
    });
    expect(config.litellm).toMatchObject({ baseUrl: 'http://litellm:4000', authHeader: 'x-litellm-api-key' });
    expect(config.worker).toMatchObject({ metricsBindAddress: '[::1]:9464', logLevel: 'DEBUG' });
    expect(config.worker.maxActivitiesPerSecond).toBe(0.5);
    expect(loadWorkerConfig({ ...minimal, METRICS_BIND_ADDRESS: '0.0.0.0:9464' }).worker.metricsBindAddress).toBe(
      '0.0.0.0:9464'
    );
    expect(loadWorkerConfig(minimal).worker.logLevel).toBe('INFO');
  });

  it('names every bad variable at once', () => {
    const error = errorOf(() =>
      loadWorkerConfig({ ...minimal, LOG_LEVEL: 'loud', METRICS_BIND_ADDRESS: 'x', WORKER_SHUTDOWN_GRACE_MS: '-1' })
    );
    expect(error.variables.sort()).toEqual(['LOG_LEVEL', 'METRICS_BIND_ADDRESS', 'WORKER_SHUTDOWN_GRACE_MS']);
  });

  it('refuses a blank or unreadable _FILE, naming it', () => {
    expect(
      errorOf(() => loadWorkerConfig({ LITELLM_API_URL: 'https://x', LITELLM_API_KEY_FILE: ' ' })).variables
    ).toEqual(['LITELLM_API_KEY_FILE']);
    expect(
      errorOf(() => loadWorkerConfig({ LITELLM_API_URL: 'https://x', LITELLM_API_KEY_FILE: '/no/such/file' })).message
    ).toBe('LITELLM_API_KEY_FILE: cannot read the file it names');
  });

  it('reads the dev command ports through the schema, not Number()', () => {
    expect(loadDevConfig({})).toMatchObject({ temporalPort: 7233, uiPort: 8233, emulatorPort: 4000, codecPort: 8888 });
    expect(loadDevConfig({ DEV_UI_PORT: '9233' }).uiPort).toBe(9233);
    expect(loadDevConfig({}).taskQueue).toBe(loadTemporalConfig({}).taskQueue);
    expect(loadDevConfig({ LITELLM_TASK_QUEUE: 'dev-queue' }).taskQueue).toBe('dev-queue');
    for (const value of ['abc', '', '70000', '0x50', '-1']) {
      expect(errorOf(() => loadDevConfig({ DEV_TEMPORAL_PORT: value })).variables).toEqual(['DEV_TEMPORAL_PORT']);
    }
  });

  it('reads the codec server port and body cap as plain decimals', () => {
    const keys = 'k:bGl0ZWxsbS13b3JrZmxvd3MtdGVzdC1rZXktMzJieXQ=';
    const base = { LITELLM_WORKFLOWS_ENCRYPTION_KEYS: keys, CODEC_SERVER_TOKENS: 'codec-test-token-0123456789' };
    for (const [name, value] of [
      ['CODEC_SERVER_PORT', '0x22b8'],
      ['CODEC_SERVER_MAX_BODY_BYTES', '1e6'],
      ['CODEC_SERVER_HOST', 'local\nhost'],
    ] as const) {
      expect(errorOf(() => loadCodecServerConfig({ ...base, [name]: value })).variables).toEqual([name]);
    }
  });

  it('refuses TLS files it cannot read, and a master key that cannot go in a header, at start-up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-tls-'));
    const cert = join(dir, 'client.pem');
    writeFileSync(cert, 'not checked here');
    const missing = join(dir, 'client.key');
    expect(
      errorOf(() => loadTemporalConfig({ TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: missing })).variables
    ).toEqual(['TEMPORAL_TLS_KEY_PATH']);
    expect(loadTemporalConfig({ TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: cert }).tlsKeyPath).toBe(cert);

    const error = errorOf(() => loadWorkerConfig({ ...minimal, LITELLM_API_KEY: 'sk-master 123\n' }));
    expect(error.variables).toEqual(['LITELLM_API_KEY']);
    expect(error.message).not.toContain('sk-master');
    const file = join(dir, 'master');
    writeFileSync(file, 'sk-from\u0007file\n');
    expect(
      errorOf(() => loadWorkerConfig({ LITELLM_API_URL: 'https://x', LITELLM_API_KEY_FILE: file })).variables
    ).toEqual(['LITELLM_API_KEY_FILE']);
  });
});
