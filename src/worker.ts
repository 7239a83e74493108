/**
 * The worker process: validated configuration in, one task queue polled, LiteLLM protected by concurrency
 * and rate limits, JSON logs with secrets redacted, a graceful stop on SIGTERM/SIGINT.
 */
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogEntry,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from './activities';
import { activityChangedBy, countLiteLLMCall } from './activities/context';
import { createDataConverter } from './codec/data-converter';
import { logEachDecryptionErrorOnce } from './codec/decryption-errors';
import type { EncryptionKey } from './codec/crypto-codec';
import { requireEncryptionKeys } from './codec/keys';
import {
  configOrExit,
  loadWorkerConfig,
  temporalConnectionOptions,
  type LiteLLMConfig,
  type ProvisioningConfig,
  type WorkerConfig,
} from './config';
import { LiteLLMClient } from './litellm/client';
import { redact } from './redact';
import { workflowBundlerOptions, WORKFLOWS_PATH } from './workflow-bundle';

/**
 * V8 flags of every worker process, given by whatever starts it (package.json, Dockerfile,
 * docker-compose.yml, scripts/dev.ts, the bench): with them the bench's worker peaks at ~230 MB instead of
 * ~300 MB at 100 concurrent migrations (README, "Worker memory"). They hold for each isolate: the main
 * thread's and the workflow thread's.
 * - `--max-semi-space-size=2`: the young generation stays at 2 MB per semi-space instead of growing to
 *   8 MB or more; the bursts of short-lived activation and payload objects are collected sooner.
 * - `--heap-growing-percent=20`: after a full GC the old generation may grow by 20 % before the next one,
 *   instead of by up to 4x on a small heap; costs a few ms of worker CPU per migration.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=20'];

/**
 * glibc malloc settings of every worker process (the Rust core, libuv and V8's own threads allocate with
 * malloc). glibc reads them when the process starts, so they go in its environment, not in code.
 * - `MALLOC_ARENA_MAX=2`: at most 2 arenas instead of up to 8 per core, each keeping freed memory.
 * - `MALLOC_MMAP_THRESHOLD_=131072`: blocks of 128 KiB or more are mapped on their own and returned to the
 *   system when freed (a fixed threshold also stops glibc from raising it to 32 MiB as blocks are freed).
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** The derivation secret of issued keys: configured, else derived from the master key (stable across restarts). */
export function keyDerivationSecret(litellm: LiteLLMConfig): string {
  return (
    litellm.keyDerivationSecret ??
    createHmac('sha256', litellm.masterKey).update('litellm-workflows/key-derivation/v1').digest('base64url')
  );
}

/** The activities bound to one LiteLLM client; close the client when the worker is done. */
export function createLiteLLMActivities(litellm: LiteLLMConfig, provisioning: ProvisioningConfig) {
  const client = new LiteLLMClient(litellm, { onCall: countLiteLLMCall, changedBy: activityChangedBy });
  const activities = createActivities({
    client,
    provisioning,
    liteLLMBaseUrl: litellm.baseUrl,
    keyDerivationSecret: keyDerivationSecret(litellm),
  });
  return { client, activities };
}

/** The worker was started without the workflow bundle the build writes. */
export class WorkflowBundleMissingError extends Error {
  constructor(readonly bundlePath: string) {
    super(`The workflow bundle ${bundlePath} is missing: run \`npm run build\` first (it writes the bundle)`);
    this.name = 'WorkflowBundleMissingError';
  }
}

/** Where `npm run build` (scripts/build-workflow-bundle.ts) writes the workflow code: lib/workflow-bundle.js. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');

/**
 * Workflow code. In production only the bundle built at build time (exactly the reviewed code, fast start):
 * a missing bundle stops the worker instead of silently bundling whatever sources lie beside it. Elsewhere
 * (`npm run worker`, `npm run dev`) the sources, bundled at start.
 */
export function workflowSource(
  production = process.env.NODE_ENV === 'production',
  bundlePath = WORKFLOW_BUNDLE_PATH
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  // Bundled as the build bundles it (src/workflow-bundle.ts), so dev runs share the input check too.
  if (!production) return { workflowsPath: WORKFLOWS_PATH, bundlerOptions: workflowBundlerOptions };
  if (!existsSync(bundlePath)) throw new WorkflowBundleMissingError(bundlePath);
  return { workflowBundle: { codePath: bundlePath } };
}

/** Worker options from configuration: the limits that protect LiteLLM, the grace time of a stop. */
export function workerOptions(
  config: WorkerConfig
): Omit<WorkerOptions, 'connection' | 'activities' | 'workflowsPath' | 'workflowBundle' | 'bundlerOptions'> {
  return {
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    ...(config.worker.maxActivitiesPerSecond ? { maxActivitiesPerSecond: config.worker.maxActivitiesPerSecond } : {}),
    ...(config.worker.taskQueueMaxActivitiesPerSecond
      ? { maxTaskQueueActivitiesPerSecond: config.worker.taskQueueMaxActivitiesPerSecond }
      : {}),
    shutdownGraceTime: config.worker.shutdownGraceMs,
  };
}

/** One JSON line per log entry, secrets redacted. */
function writeJsonLog(entry: LogEntry): void {
  const line = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level.toLowerCase(),
    message: entry.message,
    ...(entry.meta ? { meta: redact(entry.meta) } : {}),
  };
  process.stdout.write(`${JSON.stringify(redact(line))}\n`);
}

/**
 * Read the LiteLLM version once at start-up and log it (the client speaks 1.80.9 and 1.108.5, test/contract).
 * A proxy that cannot be asked yet does not stop the worker: activities retry until it answers.
 */
async function logProxyVersion(client: LiteLLMClient): Promise<void> {
  const logger = Runtime.instance().logger;
  try {
    const version = await client.proxyVersion({ signal: AbortSignal.timeout(5_000) });
    logger.info('LiteLLM proxy version', { litellmVersion: version ?? 'not reported' });
  } catch (err) {
    logger.warn('LiteLLM proxy version could not be read at start-up', {
      error: redact(err instanceof Error ? err.message : String(err)),
    });
  }
}

export async function runWorker(
  config: WorkerConfig,
  encryptionKeys: EncryptionKey[],
  workflows: ReturnType<typeof workflowSource>
): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger(config.worker.logLevel, writeJsonLog),
    telemetryOptions: config.worker.metricsBindAddress
      ? { metrics: { prometheus: { bindAddress: config.worker.metricsBindAddress } } }
      : {},
  });
  const { client, activities } = createLiteLLMActivities(config.litellm, config.provisioning);
  await logProxyVersion(client);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  try {
    const worker = await Worker.create({
      connection,
      activities,
      dataConverter: createDataConverter(encryptionKeys, {
        onDecryptionError: logEachDecryptionErrorOnce((message, meta) => {
          Runtime.instance().logger.error(message, meta);
        }),
      }),
      ...workerOptions(config),
      ...workflows,
    });
    // SIGINT/SIGTERM (the Runtime's shutdown signals) stop polling and let in-flight activities finish within
    // the grace time. The Runtime drops its handler after the first signal, so a second one ends the process.
    await worker.run();
  } finally {
    await connection.close();
    await client.close();
  }
}

if (require.main === module) {
  const config = configOrExit(loadWorkerConfig);
  // Payloads carry virtual keys: the worker never writes them to history in plaintext.
  const encryptionKeys = configOrExit(requireEncryptionKeys);
  let workflows: ReturnType<typeof workflowSource>;
  try {
    workflows = workflowSource();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
  runWorker(config, encryptionKeys, workflows).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(redact(err instanceof Error ? err.message : String(err)));
      process.exit(1);
    }
  );
}
