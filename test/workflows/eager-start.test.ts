/**
 * Eager workflow start: a client sharing a worker's NativeConnection, on a server with eager start and
 * eager activity dispatch enabled (the flags `npm run dev` and the bench use), gets create-entries and
 * migrate started on its own worker in the start answer; other operations start normally.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startEmulator, type Emulator } from '../../emulator';
import { FAST_DEV_SERVER_ARGS } from '../../scripts/temporal-cli';
import { LiteLLMWorkflowsClient } from '../../src/client';
import { createLiteLLMActivities } from '../../src/worker';
import { liteLLMConfig, MASTER_KEY, PROVISIONING } from '../helpers/fixtures';
import { primeDefaultUser } from '../helpers/litellm-state';
import { createTestEnvironment, installCapturingRuntime, testDataConverter, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let emulator: Emulator;

beforeAll(async () => {
  installCapturingRuntime();
  [env, emulator] = await Promise.all([
    createTestEnvironment({ extraArgs: FAST_DEV_SERVER_ARGS }),
    startEmulator({ masterKey: MASTER_KEY }),
  ]);
  await primeDefaultUser(emulator, MASTER_KEY);
  emulator.seed.team({ team_id: 'openhands-default' });
});
afterAll(async () => {
  await Promise.allSettled([env?.teardown(), emulator?.stop()]);
});

it('starts a migration eagerly on the worker sharing the client connection, and it completes', async () => {
  if (process.env.TEMPORAL_ADDRESS) return; // an existing server's dynamic config is not ours to set
  const taskQueue = `test-eager-${randomUUID()}`;
  const { client: liteLLM, activities } = createLiteLLMActivities(liteLLMConfig(emulator.url), PROVISIONING);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities,
  });
  const userId = `eager-${randomUUID().slice(0, 8)}`;
  emulator.seed.user({ user_id: userId, max_budget: 20, spend: 4.5 });
  emulator.seed.membership({ user_id: userId, team_id: 'openhands-default' });
  try {
    await worker.runUntil(async () => {
      const client = new LiteLLMWorkflowsClient(
        new Client({ connection: env.nativeConnection, namespace: env.namespace, dataConverter: testDataConverter() }),
        taskQueue,
        { eagerStart: true }
      );
      const handle = await client.startMigrateEntries({ orgId: userId, userId, userSettings: { userVersion: 4 } });
      expect(handle.eagerlyStarted).toBe(true);
      await expect(handle.result()).resolves.toMatchObject({ status: 'migrated' });
      emulator.seed.team({ team_id: `${userId}-t`, max_budget: 1 });
      const budget = await client.startSetTeamBudget({ teamId: `${userId}-t`, maxBudget: 2 });
      expect(budget.eagerlyStarted).toBe(false);
      await budget.result();
    });
  } finally {
    await liteLLM.close();
  }
});
