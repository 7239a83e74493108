import type { LiteLLMWorkflowsClient } from '../../src/client';
import { EXIT } from '../../src/cli';
import { eventually, useBench } from '../helpers/harness';
import { stepFailure } from '../helpers/litellm-state';
import { runCli } from '../helpers/processes';
import { TEST_ENCRYPTION_KEYS_SPEC } from '../helpers/temporal';

const bench = useBench();
beforeEach(() => {
  bench.emulator.seed.team({ team_id: 'openhands-default' });
  for (const id of ['alice', 'bob']) {
    bench.emulator.seed.user({ user_id: id, max_budget: 20, spend: 5 });
    bench.emulator.seed.membership({ user_id: id, team_id: 'openhands-default' });
    bench.emulator.seed.key({ user_id: id, team_id: 'openhands-default' });
  }
});

function cli(client: LiteLLMWorkflowsClient, ...args: string[]) {
  return runCli(args, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: bench.env.address,
    LITELLM_TASK_QUEUE: client.taskQueue,
    LITELLM_WORKFLOWS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_SPEC,
  });
}

describe('litellm-workflows CLI', () => {
  it('migrates a user and prints the result as JSON (exit 0)', async () => {
    const run = await bench.withWorker((client) =>
      cli(client, 'migrate', '--org', 'alice', '--user', 'alice', '--wait')
    );
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'completed',
      result: { status: 'migrated', credits: 15, movedKeys: 1 },
    });
  });

  it('shows a failed step awaiting a decision, and rollback restores LiteLLM exactly', async () => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    await bench.withWorker(async (client) => {
      const started = await cli(client, 'migrate', '--org', 'bob', '--user', 'bob', '--on-failure', 'pause');
      expect(started.code).toBe(EXIT.ok);
      const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
      const awaiting = await eventually(async () => {
        const status = await cli(client, 'status', '--org', 'bob', '--user', 'bob');
        const state = JSON.parse(status.stdout) as { phase: string; awaiting?: { step: string } };
        return state.phase === 'awaiting_operator' ? state : undefined;
      });
      expect(awaiting.awaiting?.step).toBe('add user to team');
      const rolledBack = await cli(client, 'rollback', '--workflow-id', workflowId);
      expect(rolledBack.code).toBe(EXIT.ok);
      await expect(client.client.workflow.getHandle(workflowId).result()).rejects.toThrow();
    });
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('exits 1 when the operation failed and was rolled back', async () => {
    bench.emulator.faults.add(stepFailure('/user/update', 0));
    const run = await bench.withWorker((client) =>
      cli(client, 'migrate', '--org', 'alice', '--user', 'alice', '--wait')
    );
    expect(run.code).toBe(EXIT.failed);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'failed', failureType: 'OperationRolledBack' });
  });

  it('status of finished runs is read from the server: no worker needs to be running', async () => {
    for (const id of ['st-done', 'st-failed']) {
      bench.emulator.seed.user({ user_id: id, max_budget: 20, spend: 5 });
      bench.emulator.seed.membership({ user_id: id, team_id: 'openhands-default' });
    }
    bench.emulator.faults.add({ ...stepFailure('/user/update', 0), after: 1 });
    const client = await bench.withWorker(async (c) => {
      await c.executeMigrateEntries({ orgId: 'st-done', userId: 'st-done', userSettings: { userVersion: 4 } });
      await c
        .executeMigrateEntries({ orgId: 'st-failed', userId: 'st-failed', userSettings: { userVersion: 4 } })
        .catch(() => undefined);
      return c;
    });
    // The worker has stopped: a query would wait for one for ever.
    const done = await cli(client, 'status', '--org', 'st-done', '--user', 'st-done');
    expect(done.code).toBe(EXIT.ok);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'completed', result: { status: 'migrated', credits: 15 } });
    const failed = await cli(client, 'status', '--org', 'st-failed', '--user', 'st-failed');
    expect(failed.code).toBe(EXIT.ok);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      status: 'failed',
      failureType: 'OperationRolledBack',
      phase: 'rolled_back',
      steps: expect.arrayContaining([
        expect.objectContaining({
          name: 'set user budget unlimited',
          lastError: expect.stringContaining('emulated failure for good') as unknown,
        }),
      ]),
    });
  });

  it('exits 3 when another operation on the same entity is running', async () => {
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    await bench.withWorker(async (client) => {
      await cli(client, 'migrate', '--org', 'bob', '--user', 'bob', '--on-failure', 'pause');
      const second = await cli(client, 'downgrade', '--org', 'bob', '--user', 'bob');
      expect(second.code).toBe(EXIT.inProgress);
      expect(JSON.parse(second.stdout)).toMatchObject({ status: 'in_progress', workflowId: 'litellm-tenancy:bob:bob' });
      await cli(client, 'rollback', '--org', 'bob', '--user', 'bob');
    });
  });

  it.each([
    [['migrate', '--org', '', '--user', 'alice'], /orgId/],
    [['set-team-budget', '--team', 'acme', '--max-budget=-5'], /maxBudget/],
    [['add-credits', '--purchase', 'p1', '--org', 'acme', '--user', 'alice', '--amount', 'lots'], /amount/],
    [['migrate', '--org', 'a', '--user', 'b', '--on-failure', 'sometimes'], /onFailure/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 on bad input %j, naming the field, and starts nothing', async (args, field) => {
    const run = await bench.withWorker((client) => cli(client, ...args));
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toMatch(field);
    expect(bench.emulator.journal()).toEqual([]);
  });
});
