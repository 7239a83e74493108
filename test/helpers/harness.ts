/**
 * The workflow test bench: a real Temporal server, the LiteLLM emulator, and a worker per test on its own
 * task queue, with the project's real activities talking HTTP to the emulator.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EncryptionKey } from '../../src/codec/crypto-codec';
import { createDataConverter } from '../../src/codec/data-converter';
import { Worker } from '@temporalio/worker';
import { startEmulator, type Emulator, type LiteLLMVersion } from '../../emulator';
import { LiteLLMWorkflowsClient } from '../../src/client';
import type { ProvisioningConfig } from '../../src/config';
import { createLiteLLMActivities } from '../../src/worker';
import { liteLLMConfig, MASTER_KEY, PROVISIONING } from './fixtures';
import { primeDefaultUser } from './litellm-state';
import {
  capturedLogLines,
  createTestEnvironment,
  installCapturingRuntime,
  testDataConverter,
  uniqueTaskQueue,
  workflowBundle,
} from './temporal';

export { MASTER_KEY } from './fixtures';

export interface Bench {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  /** Runs `fn` while a worker polls a fresh task queue; the client starts workflows on that queue. */
  withWorker<T>(fn: (client: LiteLLMWorkflowsClient) => Promise<T>, options?: WorkerOptions): Promise<T>;
  stop(): Promise<void>;
}

/** A test that failed half-way may leave a run behind; it must not block the next test's workflow id. */
async function terminateLeftovers(env: TestWorkflowEnvironment, taskQueue: string): Promise<void> {
  for await (const run of env.client.workflow.list({
    query: `TaskQueue="${taskQueue}" AND ExecutionStatus="Running"`,
  })) {
    await env.client.workflow
      .getHandle(run.workflowId, run.runId)
      .terminate('test finished')
      .catch(() => undefined);
  }
}

export interface WorkerOptions {
  provisioning?: Partial<ProvisioningConfig>;
  /** Keys of this worker and its client (default: the test key). */
  encryptionKeys?: EncryptionKey[];
  /** Poll this task queue (default: a fresh one). */
  taskQueue?: string;
}

export interface BenchOptions {
  /** The LiteLLM version the emulator answers as (default: the emulator's in-process default, 1.80.9). */
  litellmVersion?: LiteLLMVersion;
}

export async function startBench(options: BenchOptions = {}): Promise<Bench> {
  installCapturingRuntime();
  const [env, emulator] = await Promise.all([
    createTestEnvironment(),
    startEmulator({ masterKey: MASTER_KEY, litellmVersion: options.litellmVersion }),
  ]);
  return {
    env,
    emulator,
    async withWorker(fn, options = {}) {
      const taskQueue = options.taskQueue ?? uniqueTaskQueue('wf');
      const { client, activities } = createLiteLLMActivities(liteLLMConfig(emulator.url), {
        ...PROVISIONING,
        ...options.provisioning,
      });
      const dataConverter = options.encryptionKeys ? createDataConverter(options.encryptionKeys) : testDataConverter();
      const temporalClient = options.encryptionKeys
        ? new Client({ connection: env.connection, namespace: env.namespace, dataConverter })
        : env.client;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        dataConverter,
        activities,
      });
      try {
        return await worker.runUntil(async () => {
          try {
            return await fn(new LiteLLMWorkflowsClient(temporalClient, taskQueue));
          } finally {
            if (!options.taskQueue) await terminateLeftovers(env, taskQueue);
          }
        });
      } finally {
        await client.close();
      }
    },
    async stop() {
      await Promise.allSettled([env.teardown(), emulator.stop()]);
      assertNoSecretLogged(capturedLogLines());
    },
  };
}

/** A virtual key in the clear: `sk-` and more than a masked tail (`sk-…abcd`) or a short test value. */
const PLAINTEXT_KEY = /sk-[A-Za-z0-9_-]{16,}/;

/** Fails when a master key or a virtual key appears in anything the worker logged during the file. */
export function assertNoSecretLogged(lines: readonly string[]): void {
  const leaks = lines.filter((line) => line.includes(MASTER_KEY) || PLAINTEXT_KEY.test(line));
  if (leaks.length > 0) {
    // Name the log message, not the line: the line holds the secret.
    throw new Error(`Secrets in ${leaks.length} log line(s), first in: ${leaks[0]?.split(' {')[0]}`);
  }
}

/** Polls `check` until it returns a value (not undefined), for states a workflow reaches asynchronously. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The set-up of a test file on the bench: started before its tests, stopped after them (failure included),
 * and by default the emulator emptied and primed (`primeDefaultUser`) before each test. The returned bench
 * is usable inside hooks and tests.
 */
export function useBench(options: { resetBeforeEach?: boolean } & BenchOptions = {}): Bench {
  let started: Bench | undefined;
  const current = (): Bench => {
    if (!started) throw new Error('the bench starts in beforeAll: use it inside hooks and tests');
    return started;
  };
  beforeAll(async () => {
    started = await startBench(options);
  });
  afterAll(async () => {
    await started?.stop();
  });
  if (options.resetBeforeEach ?? true) {
    beforeEach(async () => {
      current().emulator.reset();
      await primeDefaultUser(current().emulator, MASTER_KEY);
    });
  }
  return {
    get env() {
      return current().env;
    },
    get emulator() {
      return current().emulator;
    },
    withWorker: (fn, workerOptions) => current().withWorker(fn, workerOptions),
    stop: () => current().stop(),
  };
}
