/**
 * The worker's health check, for Docker's `healthcheck` and other orchestrators: with the worker's own
 * configuration, asks Temporal (the configured namespace) and LiteLLM (an authenticated call with the master
 * key) within a short deadline. Prints one JSON line, `{"temporal":"ok","litellm":"ok"}` or the error of each
 * (redacted, never a secret), and exits 0 when both answered, 1 otherwise (a bad configuration included).
 *
 *   node lib/src/health.js   |   npx tsx src/health.ts   |   litellm-workflows health
 */
import { Connection } from '@temporalio/client';
import {
  ConfigError,
  loadLiteLLMConfig,
  loadTemporalConfig,
  temporalConnectionOptions,
  type Env,
  type LiteLLMConfig,
  type TemporalConfig,
  type WorkerConfig,
} from './config';

/** The part of the worker's configuration the check reads: what the worker connects to. */
type HealthConfig = Pick<WorkerConfig, 'temporal' | 'litellm'>;
import { LiteLLMClient } from './litellm/client';
import { redactText } from './redact';

/** How long each dependency gets to answer: well inside the 10 s timeout of the compose healthcheck. */
export const HEALTH_DEADLINE_MS = 5_000;

export interface HealthReport {
  /** `ok`, or `error: <why>`. */
  temporal: string;
  litellm: string;
}

async function checkTemporal(config: TemporalConfig, deadlineMs: number): Promise<void> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: deadlineMs });
  try {
    // The namespace rather than the cluster: proves it exists and that an API key may use it.
    await connection.withDeadline(Date.now() + deadlineMs, () =>
      connection.workflowService.describeNamespace({ namespace: config.namespace })
    );
  } finally {
    await connection.close();
  }
}

async function checkLiteLLM(config: LiteLLMConfig, deadlineMs: number): Promise<void> {
  const client = new LiteLLMClient(config);
  try {
    await client.checkAccess({ timeoutMs: deadlineMs });
  } finally {
    await client.close();
  }
}

function outcome(check: Promise<void>): Promise<string> {
  return check.then(
    () => 'ok',
    (err: unknown) => `error: ${redactText(err instanceof Error ? err.message : String(err))}`
  );
}

export async function checkHealth(config: HealthConfig, deadlineMs = HEALTH_DEADLINE_MS): Promise<HealthReport> {
  const [temporal, litellm] = await Promise.all([
    outcome(checkTemporal(config.temporal, deadlineMs)),
    outcome(checkLiteLLM(config.litellm, deadlineMs)),
  ]);
  return { temporal, litellm };
}

/** Checks, prints the JSON line, and returns the exit code. */
export async function runHealthCheck(env: Env = process.env): Promise<number> {
  let config: HealthConfig;
  try {
    config = { temporal: loadTemporalConfig(env), litellm: loadLiteLLMConfig(env) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    // Not 2: Docker reserves it; 1 is "unhealthy".
    return 1;
  }
  const report = await checkHealth(config);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.temporal === 'ok' && report.litellm === 'ok' ? 0 : 1;
}

if (require.main === module) {
  runHealthCheck().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${redactText(err instanceof Error ? err.message : String(err))}\n`);
      process.exit(1);
    }
  );
}
