/**
 * Everything the benchmark runs against, started in this process and stopped at the end (failure included):
 * a Temporal dev server (the CLI resolved as by the tests), the LiteLLM emulator with a fixed latency on every
 * route, and a worker with the project's real activities, the worker's production limits and the encrypting
 * data converter of the tests.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { startEmulator, type Emulator } from '../emulator';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { LiteLLMWorkflowsClient } from '../src/client';
import { FAILURE_CONVERTER_PATH } from '../src/codec/data-converter';
import { loadWorkerConfig, type WorkerConfig } from '../src/config';
import { createLiteLLMActivities, workerOptions } from '../src/worker';
import { createTestEnvironment, testDataConverter } from '../test/helpers/temporal';
import { createControlActivities } from './control-activities';
import { freePort } from './probes';

export const MASTER_KEY = 'sk-bench-master-key-0123456789';
export const DEFAULT_TEAM_ID = 'openhands-default';

export interface BenchSettings {
  /** Latency the emulator adds to every call, standing for a LiteLLM over a network. */
  latencyMs: number;
  /** Bench knobs passed through to the worker configuration (e.g. WORKER_MAX_CONCURRENT_ACTIVITIES). */
  workerEnv: Record<string, string>;
  /** Extra `temporal server start-dev` arguments (e.g. `--metrics-port`, `--dynamic-config-value`). */
  devServerArgs?: string[];
}

export interface BenchEnvironment {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  config: WorkerConfig;
  client: LiteLLMWorkflowsClient;
  temporalCli: string;
  /** The dev server's Prometheus endpoint (undefined on an existing server). */
  metricsUrl: string | undefined;
  /** Empty emulator with the latency fault and the legacy default team. */
  resetEmulator(): void;
  /** Runs `fn` while the worker polls; the worker stops when `fn` settles. */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** SDK and worker logs at WARN to stderr: nothing accumulates in memory, failures stay visible. */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      process.stderr.write(`[${entry.level}] ${entry.message}\n`);
    }),
  });
}

async function startTemporal(
  extraArgs: string[]
): Promise<{ env: TestWorkflowEnvironment; cli: string; metricsUrl?: string }> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (address) return { env: await createTestEnvironment(), cli: `existing server ${address}` };
  const resolved = resolveTemporalCli({ build: false });
  if (!resolved.path) {
    throw new Error(
      'No Temporal CLI found: run `npm run temporal-cli` first, or set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS'
    );
  }
  const metricsPort = await freePort();
  const env = await createTestEnvironment({ extraArgs: ['--metrics-port', String(metricsPort), ...extraArgs] });
  return {
    env,
    cli: `${resolved.path} (${resolved.source})`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

/** Starts what is missing; on a failure half-way, stops what was started before rethrowing. */
export async function startBenchEnvironment(settings: BenchSettings): Promise<BenchEnvironment> {
  installRuntime();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const [temporal, emulator] = await Promise.all([
      startTemporal(settings.devServerArgs ?? []),
      startEmulator({ masterKey: MASTER_KEY }),
    ]);
    stops.push(
      () => temporal.env.teardown(),
      () => emulator.stop()
    );

    const taskQueue = `bench-${randomUUID()}`;
    const config = loadWorkerConfig({
      TEMPORAL_ADDRESS: temporal.env.address,
      LITELLM_TASK_QUEUE: taskQueue,
      LITELLM_API_URL: emulator.url,
      LITELLM_API_KEY: MASTER_KEY,
      LITELLM_DEFAULT_TEAM_ID: DEFAULT_TEAM_ID,
      ...settings.workerEnv,
    });
    const { client: liteLLM, activities } = createLiteLLMActivities(config.litellm, config.provisioning);
    stops.push(() => liteLLM.close());
    const control = createControlActivities(emulator.url, MASTER_KEY, config.litellm.maxConnections);
    stops.push(() => control.close());
    // The production worker's options (limits, grace time); the workflow code is the project's workflows plus
    // the bench's control, bundled with the encrypting failure converter as the build script does.
    const worker = await Worker.create({
      ...workerOptions(config),
      connection: temporal.env.nativeConnection,
      namespace: temporal.env.namespace ?? config.temporal.namespace,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('./workflows'),
        failureConverterPath: FAILURE_CONVERTER_PATH,
        logger: new DefaultLogger('WARN'),
      }),
      dataConverter: testDataConverter(),
      activities: { ...activities, ...control.activities },
    });

    const temporalClient = new Client({
      connection: temporal.env.connection,
      namespace: temporal.env.namespace ?? config.temporal.namespace,
      dataConverter: testDataConverter(),
    });

    const resetEmulator = () => {
      emulator.reset();
      emulator.faults.add({ route: '*', kind: 'latency', ms: settings.latencyMs });
      emulator.seed.team({ team_id: DEFAULT_TEAM_ID });
    };
    resetEmulator();

    return {
      env: temporal.env,
      emulator,
      config,
      client: new LiteLLMWorkflowsClient(temporalClient, taskQueue),
      temporalCli: temporal.cli,
      metricsUrl: temporal.metricsUrl,
      resetEmulator,
      withWorker: (fn) => {
        const run = worker.runUntil(fn);
        // Stopping while the worker runs (a failure or the time limit): the connection can only close once
        // the worker has shut down.
        stops.push(async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await run.catch(() => undefined);
        });
        return run;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
