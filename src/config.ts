/**
 * One configuration for the worker, the CLI and the dev command, read from environment variables and
 * validated once at start-up. Every variable, its meaning and its default is listed in the README table;
 * the defaults live here and nowhere else.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** A bad or missing setting: the message names the variable, never its value. */
export class ConfigError extends Error {
  constructor(
    message: string,
    public readonly variables: string[]
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = z.coerce.number().int().positive();
const nonNegativeNumber = z.coerce.number().finite().nonnegative();
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const temporalSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  LITELLM_TASK_QUEUE: z.string().min(1).default('litellm-workflows'),
  /** Temporal Cloud or a secured cluster: an API key (sent as a bearer token over TLS). */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: booleanFlag.default(false),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
});

const liteLLMSchema = z.object({
  LITELLM_API_URL: z.url({ message: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, '')),
  LITELLM_API_KEY: optionalString,
  LITELLM_API_KEY_FILE: optionalString,
  /** Header that carries the master key: `authorization` (Bearer), `x-litellm-api-key`, `x-goog-api-key` (bare key), or a custom name (Bearer). */
  LITELLM_AUTH_HEADER: z.string().min(1).default('authorization'),
  LITELLM_CHANGED_BY: z.string().min(1).default('litellm-workflows'),
  LITELLM_CONNECT_TIMEOUT_MS: positiveInt.default(5_000),
  LITELLM_HEADERS_TIMEOUT_MS: positiveInt.default(30_000),
  LITELLM_BODY_TIMEOUT_MS: positiveInt.default(30_000),
  LITELLM_MAX_CONNECTIONS: positiveInt.default(16),
  LITELLM_KEY_VERIFY_TIMEOUT_MS: positiveInt.default(5_000),
  /** Secret from which issued keys are derived (exactly-once key issuance); defaults to one derived from the master key. */
  LITELLM_KEY_DERIVATION_SECRET: optionalString,
});

const provisioningSchema = z.object({
  LITELLM_DEFAULT_TEAM_ID: optionalString,
  LITELLM_DEFAULT_MODEL: optionalString,
  ORG_SETTINGS_VERSION: positiveInt.default(5),
  ENABLE_BILLING: booleanFlag.default(false),
  DEFAULT_INITIAL_BUDGET: nonNegativeNumber.default(0),
});

const workerSchema = z.object({
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(32),
  WORKER_MAX_ACTIVITIES_PER_SECOND: z.coerce.number().positive().optional(),
  TASK_QUEUE_MAX_ACTIVITIES_PER_SECOND: z.coerce.number().positive().optional(),
  WORKER_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  METRICS_BIND_ADDRESS: optionalString,
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
}

export interface WorkerConfig {
  temporal: TemporalConfig;
  litellm: LiteLLMConfig;
  provisioning: ProvisioningConfig;
  worker: WorkerTuning;
}

function parse<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const variables = [...new Set(result.error.issues.map((i) => String(i.path[0])))];
    const details = result.error.issues
      .map((i) => {
        const name = String(i.path[0]);
        return `${name}: ${env[name] === undefined ? 'is required' : i.message}`;
      })
      .join('; ');
    throw new ConfigError(`Invalid configuration: ${details}`, variables);
  }
  return result.data;
}

export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const t = parse(temporalSchema, env);
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

function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name]?.trim();
  const file = env[`${name}_FILE`]?.trim();
  if (direct && file) throw new ConfigError(`Set only one of ${name} and ${name}_FILE`, [name, `${name}_FILE`]);
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim() || undefined;
    } catch {
      throw new ConfigError(`${name}_FILE: cannot read the file it names`, [`${name}_FILE`]);
    }
  }
  return direct || undefined;
}

export function loadLiteLLMConfig(env: Env = process.env): LiteLLMConfig {
  const l = parse(liteLLMSchema, env);
  const masterKey = readSecret(env, 'LITELLM_API_KEY');
  if (!masterKey) throw new ConfigError('LITELLM_API_KEY or LITELLM_API_KEY_FILE must be set', ['LITELLM_API_KEY']);
  return {
    baseUrl: l.LITELLM_API_URL,
    masterKey,
    authHeader: l.LITELLM_AUTH_HEADER.toLowerCase(),
    changedBy: l.LITELLM_CHANGED_BY,
    connectTimeoutMs: l.LITELLM_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: l.LITELLM_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: l.LITELLM_BODY_TIMEOUT_MS,
    maxConnections: l.LITELLM_MAX_CONNECTIONS,
    keyVerifyTimeoutMs: l.LITELLM_KEY_VERIFY_TIMEOUT_MS,
    keyDerivationSecret: readSecret(env, 'LITELLM_KEY_DERIVATION_SECRET'),
  };
}

export function loadProvisioningConfig(env: Env = process.env): ProvisioningConfig {
  const p = parse(provisioningSchema, env);
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
  const w = parse(workerSchema, env);
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
    },
  };
}
