/**
 * The workflow test bench: a real Temporal server, the LiteLLM emulator, and a worker per test on its own
 * task queue, with the project's real activities talking HTTP to the emulator.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startEmulator, type Emulator } from '../../emulator';
import { LiteLLMWorkflowsClient } from '../../src/client';
import type { LiteLLMConfig, ProvisioningConfig } from '../../src/config';
import { createLiteLLMActivities } from '../../src/worker';
import { createTestEnvironment, testDataConverter, uniqueTaskQueue, workflowBundle } from './temporal';

export const MASTER_KEY = 'sk-test-master-key-0123456789';

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

export const DEFAULT_PROVISIONING: ProvisioningConfig = {
  defaultTeamId: 'openhands-default',
  defaultModel: 'litellm_proxy/minimax-m2.5',
  orgSettingsVersion: 5,
  defaultInitialBudget: 10,
};

export interface Bench {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  /** Runs `fn` while a worker polls a fresh task queue; the client starts workflows on that queue. */
  withWorker<T>(
    fn: (client: LiteLLMWorkflowsClient) => Promise<T>,
    provisioning?: Partial<ProvisioningConfig>
  ): Promise<T>;
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

export async function startBench(): Promise<Bench> {
  const [env, emulator] = await Promise.all([createTestEnvironment(), startEmulator({ masterKey: MASTER_KEY })]);
  return {
    env,
    emulator,
    async withWorker(fn, provisioning = {}) {
      const taskQueue = uniqueTaskQueue('wf');
      const { client, activities } = createLiteLLMActivities(liteLLMConfig(emulator.url), {
        ...DEFAULT_PROVISIONING,
        ...provisioning,
      });
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        dataConverter: testDataConverter(),
        activities,
      });
      try {
        return await worker.runUntil(async () => {
          try {
            return await fn(new LiteLLMWorkflowsClient(env.client, taskQueue));
          } finally {
            await terminateLeftovers(env, taskQueue);
          }
        });
      } finally {
        await client.close();
      }
    },
    async stop() {
      await Promise.allSettled([env.teardown(), emulator.stop()]);
    },
  };
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
