/**
 * One configuration for every process: the worker, the CLI, the health check, the codec server, the dev
 * command and the bench each read only their part, from environment variables, validated once at start-up
 * with zod (the pieces are in src/config-fields.ts). Every variable, its meaning and its default is listed in
 * the README table; the defaults live here and nowhere else.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import type { CodecServerOptions } from './codec/server';
import { requireEncryptionKeys } from './codec/keys';
import {
  bearerTokens,
  bindAddress,
  booleanFlag,
  ConfigError,
  dialAddress,
  headerName,
  httpUrl,
  list,
  nonNegativeNumber,
  normaliseOrigin,
  optionalText,
  parseEnv,
  port,
  positiveInt,
  positiveNumber,
  readableFile,
  readSecret,
  headerSafeSecret,
  text,
  type Env,
} from './config-fields';

export { ConfigError, configOrExit, type Env } from './config-fields';

/** The task queue the worker polls and clients (the CLI, `npm run dev`'s worker) start on. */
const taskQueue = text.default('litellm-workflows');

const temporalSchema = z
  .object({
    TEMPORAL_ADDRESS: dialAddress.default('localhost:7233'),
    TEMPORAL_NAMESPACE: text.default('default'),
    LITELLM_TASK_QUEUE: taskQueue,
    /** Temporal Cloud or a secured cluster: an API key (sent as a bearer token over TLS). */
    TEMPORAL_API_KEY: optionalText,
    TEMPORAL_TLS: booleanFlag.default(false),
    TEMPORAL_TLS_CERT_PATH: readableFile,
    TEMPORAL_TLS_KEY_PATH: readableFile,
  })
  .refine((t) => (t.TEMPORAL_TLS_CERT_PATH === undefined) === (t.TEMPORAL_TLS_KEY_PATH === undefined), {
    error: 'set both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH, or neither',
    path: ['TEMPORAL_TLS_CERT_PATH'],
  });

const liteLLMSchema = z.object({
  LITELLM_API_URL: httpUrl,
  /** Header that carries the master key: `authorization` (Bearer), `x-litellm-api-key`, `x-goog-api-key` (bare key), or a custom name (Bearer). */
  LITELLM_AUTH_HEADER: headerName.default('authorization'),
  LITELLM_CHANGED_BY: text.default('litellm-workflows'),
  LITELLM_CONNECT_TIMEOUT_MS: positiveInt.default(5_000),
  LITELLM_HEADERS_TIMEOUT_MS: positiveInt.default(30_000),
  LITELLM_BODY_TIMEOUT_MS: positiveInt.default(30_000),
  LITELLM_MAX_CONNECTIONS: positiveInt.default(16),
  LITELLM_KEY_VERIFY_TIMEOUT_MS: positiveInt.default(5_000),
});

const provisioningSchema = z.object({
  LITELLM_DEFAULT_TEAM_ID: optionalText,
  LITELLM_DEFAULT_MODEL: optionalText,
  ORG_SETTINGS_VERSION: positiveInt.default(5),
  ENABLE_BILLING: booleanFlag.default(false),
  DEFAULT_INITIAL_BUDGET: nonNegativeNumber.default(0),
});

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const workerSchema = z.object({
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(32),
  WORKER_MAX_ACTIVITIES_PER_SECOND: positiveNumber.optional(),
  TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND: positiveNumber.optional(),
  WORKER_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  METRICS_BIND_ADDRESS: optionalText.pipe(bindAddress.optional()),
  LOG_LEVEL: z
    .string()
    .transform((v) => v.trim().toUpperCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')} (any case)` }))
    .default('INFO'),
});

/** The model per settings version, as OpenHands' PERSONAL_WORKSPACE_VERSION_TO_MODEL (highest wins). */
const MODEL_BY_SETTINGS_VERSION: Record<number, string> = {
  1: 'claude-3-5-sonnet-20241022',
  2: 'claude-3-7-sonnet-20250219',
  3: 'claude-sonnet-4-20250514',
  4: 'claude-sonnet-4-20250514',
  5: 'minimax-m2.5',
};

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
}

export interface LiteLLMConfig {
  baseUrl: string;
  masterKey: string;
  authHeader: string;
  changedBy: string;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  maxConnections: number;
  keyVerifyTimeoutMs: number;
  keyDerivationSecret?: string;
}

/** Business settings of the seed (constants and environment of OpenHands' LiteLlmManager). */
export interface ProvisioningConfig {
  /** The legacy shared team new users join and downgrades return to; none when unset. */
  defaultTeamId?: string;
  /** Sent as team and user `metadata.model`. */
  defaultModel: string;
  /** Sent as team and user `metadata.version`. */
  orgSettingsVersion: number;
  /** Budget of a brand-new team: null (unlimited) when billing is off. */
  defaultInitialBudget: number | null;
}

export interface WorkerTuning {
  maxConcurrentActivities: number;
  maxActivitiesPerSecond?: number;
  taskQueueMaxActivitiesPerSecond?: number;
  shutdownGraceMs: number;
  metricsBindAddress?: string;
  /** Level of the worker's JSON log (`LOG_LEVEL`). */
  logLevel: LogLevel;
}

export interface WorkerConfig {
  temporal: TemporalConfig;
  litellm: LiteLLMConfig;
  provisioning: ProvisioningConfig;
  worker: WorkerTuning;
}

export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const t = parseEnv(temporalSchema, env);
  return {
    address: t.TEMPORAL_ADDRESS,
    namespace: t.TEMPORAL_NAMESPACE,
    taskQueue: t.LITELLM_TASK_QUEUE,
    apiKey: t.TEMPORAL_API_KEY,
    tls: t.TEMPORAL_TLS || t.TEMPORAL_API_KEY !== undefined,
    tlsCertPath: t.TEMPORAL_TLS_CERT_PATH,
    tlsKeyPath: t.TEMPORAL_TLS_KEY_PATH,
  };
}

/**
 * Connection options for Temporal: plain on a laptop, TLS and an API key for Temporal Cloud or a secured
 * cluster. Fit for the worker's `NativeConnection` and the client's `Connection` alike.
 */
export function temporalConnectionOptions(temporal: TemporalConfig): {
  address: string;
  apiKey?: string;
  tls?: TLSConfig | true;
} {
  return {
    address: temporal.address,
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
    ...(temporal.tls
      ? {
          tls:
            temporal.tlsCertPath && temporal.tlsKeyPath
              ? {
                  clientCertPair: { crt: readFileSync(temporal.tlsCertPath), key: readFileSync(temporal.tlsKeyPath) },
                }
              : true,
        }
      : {}),
  };
}

export function loadLiteLLMConfig(env: Env = process.env): LiteLLMConfig {
  const l = parseEnv(liteLLMSchema, env);
  const secret = readSecret(env, 'LITELLM_API_KEY');
  const masterKey = secret && headerSafeSecret(secret);
  if (!masterKey) throw new ConfigError('LITELLM_API_KEY or LITELLM_API_KEY_FILE must be set', ['LITELLM_API_KEY']);
  return {
    baseUrl: l.LITELLM_API_URL,
    masterKey,
    authHeader: l.LITELLM_AUTH_HEADER,
    changedBy: l.LITELLM_CHANGED_BY,
    connectTimeoutMs: l.LITELLM_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: l.LITELLM_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: l.LITELLM_BODY_TIMEOUT_MS,
    maxConnections: l.LITELLM_MAX_CONNECTIONS,
    keyVerifyTimeoutMs: l.LITELLM_KEY_VERIFY_TIMEOUT_MS,
    keyDerivationSecret: readSecret(env, 'LITELLM_KEY_DERIVATION_SECRET')?.value.trim() || undefined,
  };
}

export function loadProvisioningConfig(env: Env = process.env): ProvisioningConfig {
  const p = parseEnv(provisioningSchema, env);
  const versionModel = MODEL_BY_SETTINGS_VERSION[p.ORG_SETTINGS_VERSION];
  if (!p.LITELLM_DEFAULT_MODEL && !versionModel) {
    throw new ConfigError(
      `ORG_SETTINGS_VERSION: no known model for version ${p.ORG_SETTINGS_VERSION}; set LITELLM_DEFAULT_MODEL`,
      ['ORG_SETTINGS_VERSION', 'LITELLM_DEFAULT_MODEL']
    );
  }
  return {
    defaultTeamId: p.LITELLM_DEFAULT_TEAM_ID,
    defaultModel: p.LITELLM_DEFAULT_MODEL ?? `litellm_proxy/${versionModel}`,
    orgSettingsVersion: p.ORG_SETTINGS_VERSION,
    defaultInitialBudget: p.ENABLE_BILLING ? p.DEFAULT_INITIAL_BUDGET : null,
  };
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const w = parseEnv(workerSchema, env);
  return {
    temporal: loadTemporalConfig(env),
    litellm: loadLiteLLMConfig(env),
    provisioning: loadProvisioningConfig(env),
    worker: {
      maxConcurrentActivities: w.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxActivitiesPerSecond: w.WORKER_MAX_ACTIVITIES_PER_SECOND,
      taskQueueMaxActivitiesPerSecond: w.TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND,
      shutdownGraceMs: w.WORKER_SHUTDOWN_GRACE_MS,
      metricsBindAddress: w.METRICS_BIND_ADDRESS,
      logLevel: w.LOG_LEVEL,
    },
  };
}

/** The codec server's defaults, for its environment and for `startCodecServer` alike. */
export const CODEC_SERVER_DEFAULTS = {
  port: 8888,
  /** Loopback: the server hands out plaintext. */
  host: '127.0.0.1',
  /** The dev server's Web UI. */
  allowedOrigins: ['http://127.0.0.1:8233', 'http://localhost:8233'],
  maxBodyBytes: 1024 * 1024,
};

const codecServerSchema = z.object({
  CODEC_SERVER_PORT: port.default(CODEC_SERVER_DEFAULTS.port),
  CODEC_SERVER_HOST: text.default(CODEC_SERVER_DEFAULTS.host),
  CODEC_SERVER_ALLOWED_ORIGINS: list,
  CODEC_SERVER_TOKENS: list,
  CODEC_SERVER_MAX_BODY_BYTES: positiveInt.default(CODEC_SERVER_DEFAULTS.maxBodyBytes),
  CODEC_SERVER_TRUST_ALLOWED_ORIGINS: z.enum(['published-loopback']).optional(),
});

/** Codec server settings from the environment. */
export interface CodecServerConfig extends CodecServerOptions {
  port: number;
  host: string;
}

/**
 * - `CODEC_SERVER_PORT` (default 8888), `CODEC_SERVER_HOST` (default 127.0.0.1);
 * - `CODEC_SERVER_ALLOWED_ORIGINS`: comma-separated Web UI origins (default
 *   `http://127.0.0.1:8233,http://localhost:8233`, the dev server's UI);
 * - `CODEC_SERVER_TOKENS`: comma-separated bearer tokens, required;
 * - `CODEC_SERVER_MAX_BODY_BYTES` (default 1048576);
 * - `CODEC_SERVER_TRUST_ALLOWED_ORIGINS`: unset, or `published-loopback` (compose without UI sign-in: see
 *   {@link CodecServerOptions.trustAllowedOrigins});
 * - `LITELLM_WORKFLOWS_ENCRYPTION_KEYS` or `LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE`, required.
 */
export function loadCodecServerConfig(env: Env = process.env): CodecServerConfig {
  const c = parseEnv(codecServerSchema, env);
  const allowedOrigins = (c.CODEC_SERVER_ALLOWED_ORIGINS ?? CODEC_SERVER_DEFAULTS.allowedOrigins).map((o) => {
    try {
      return normaliseOrigin(o);
    } catch (err) {
      throw new ConfigError(`CODEC_SERVER_ALLOWED_ORIGINS: ${(err as Error).message}`, [
        'CODEC_SERVER_ALLOWED_ORIGINS',
      ]);
    }
  });
  return {
    port: c.CODEC_SERVER_PORT,
    host: c.CODEC_SERVER_HOST,
    allowedOrigins,
    tokens: bearerTokens(c.CODEC_SERVER_TOKENS ?? [], 'CODEC_SERVER_TOKENS'),
    maxBodyBytes: c.CODEC_SERVER_MAX_BODY_BYTES,
    ...(c.CODEC_SERVER_TRUST_ALLOWED_ORIGINS ? { trustAllowedOrigins: c.CODEC_SERVER_TRUST_ALLOWED_ORIGINS } : {}),
    keys: requireEncryptionKeys(env),
  };
}

/** `npm run dev` (scripts/dev.ts): its ports, the emulator's master key, where it keeps its state. */
const devSchema = z
  .object({
    DEV_TEMPORAL_PORT: port.default(7233),
    DEV_UI_PORT: port.default(8233),
    DEV_EMULATOR_PORT: port.default(4000),
    DEV_CODEC_PORT: port.default(8888),
    DEV_LITELLM_MASTER_KEY: text.default('sk-dev-master-key'),
    LITELLM_TASK_QUEUE: taskQueue,
    /** Default: `.dev/` in the checkout. */
    DEV_STATE_DIR: optionalText,
  })
  .transform(({ DEV_LITELLM_MASTER_KEY: masterKey, DEV_STATE_DIR: stateDir, LITELLM_TASK_QUEUE: queue, ...ports }) => ({
    temporalPort: ports.DEV_TEMPORAL_PORT,
    uiPort: ports.DEV_UI_PORT,
    emulatorPort: ports.DEV_EMULATOR_PORT,
    codecPort: ports.DEV_CODEC_PORT,
    masterKey,
    taskQueue: queue,
    stateDir,
  }));

export type DevConfig = z.output<typeof devSchema>;

export const loadDevConfig = (env: Env = process.env): DevConfig => parseEnv(devSchema, env);
