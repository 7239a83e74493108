import type { LiteLLMWorkflowsClient } from '../../src/client';
import { EXIT } from '../../src/cli';
import { eventually, useBench } from '../helpers/harness';
import { stepFailure } from '../helpers/litellm-state';
import { cliEnv, runCli, runCommand } from '../helpers/processes';

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
  return runCli(args, cliEnv(bench.env.address, client.taskQueue));
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
    [['migrate', '--org', '', '--user', 'alice'], /--org must not be empty/],
    [['migrate', '--org', 'alice'], /--user is required/],
    [['set-team-budget', '--team', 'acme', '--max-budget', '-5'], /--max-budget must not be negative/],
    [['set-team-budget', '--team', 'acme', '--max-budget=0x1F'], /--max-budget must be a plain decimal/],
    [
      ['add-credits', '--purchase', 'p1', '--org', 'acme', '--user', 'alice', '--amount', '1e300'],
      /--amount must be a plain/,
    ],
    [['add-credits', '--purchase', 'p1', '--org', 'acme', '--user', 'alice', '--amount', 'lots'], /--amount/],
    [['migrate', '--org', 'a', '--user', 'b', '--on-failure', 'sometimes'], /--on-failure/],
    [['set-team-budget', '--tema', 'acme', '--max-budget', '5'], /--tema .*did you mean --team\?/],
    [['migrate', '--org', 'a', '--org', 'b', '--user', 'c'], /--org is given twice/],
    [['migrate', '--org', 'a', '--user', 'b', 'extra'], /unexpected argument "extra"/],
    [
      ['migrate', '--org', 'a', '--user', 'b', '--llm-api-key-file', '/nonexistent/key'],
      /--llm-api-key-file: no such file/,
    ],
    [['migrate', '--org', 'a', '--user', 'b', '--llm-api-key-file', __dirname], /--llm-api-key-file: is a directory/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 on bad input %j, naming the flag, and starts nothing', async (args, flag) => {
    const run = await bench.withWorker((client) => cli(client, ...args));
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toMatch(flag);
    expect(bench.emulator.journal()).toEqual([]);
  });

  it('cuts a long id in its messages', async () => {
    const id = 'x'.repeat(10_000);
    const run = await bench.withWorker((client) => cli(client, 'status', '--workflow-id', id));
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toMatch(/x…\(\d+ characters\)/);
    expect(run.stderr.length).toBeLessThan(500);
  });

  it('exits 2 when a decision is refused (nothing awaits one)', async () => {
    await bench.withWorker(async (client) => {
      expect((await cli(client, 'migrate', '--org', 'alice', '--user', 'alice', '--wait')).code).toBe(EXIT.ok);
      const refused = await cli(client, 'resume', '--org', 'alice', '--user', 'alice');
      expect(refused.code).toBe(EXIT.badInput);
      expect(refused.stderr).toMatch(/Decision refused/);
    });
  });

  it('--wait returns when a paused run awaits an operator (exit 4), with the commands that decide', async () => {
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    await bench.withWorker(async (client) => {
      const run = await cli(client, 'migrate', '--org', 'bob', '--user', 'bob', '--on-failure', 'pause', '--wait');
      expect(run.code).toBe(EXIT.awaitingOperator);
      const out = JSON.parse(run.stdout) as { awaiting: { step: string }; decideWith: string[] };
      expect(out.awaiting.step).toBe('add user to team');
      expect(out.decideWith).toEqual([
        'litellm-workflows resume --workflow-id litellm-tenancy:bob:bob',
        'litellm-workflows rollback --workflow-id litellm-tenancy:bob:bob',
      ]);
      expect((await cli(client, 'rollback', '--org', 'bob', '--user', 'bob')).code).toBe(EXIT.ok);
    });
  });

  it('reports the root cause of a failed child workflow, not "Child Workflow execution failed"', async () => {
    const run = await bench.withWorker((client) =>
      cli(
        client,
        'add-credits',
        '--purchase',
        `p-${Date.now()}`,
        '--org',
        'no-such-team',
        '--user',
        'alice',
        '--amount',
        '5',
        '--wait'
      )
    );
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).not.toMatch(/Child Workflow execution failed/);
  });
});

describe('help', () => {
  it.each([['--help'], ['help'], ['help', 'migrate'], ['migrate', '--help']])(
    '%j exits 0 with the usage',
    async (...args) => {
      const run = await runCli(args, { PATH: process.env.PATH, HOME: process.env.HOME });
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/Usage: litellm-workflows/);
    }
  );

  it('runs from a checkout as `npx litellm-workflows` (the bin runs the source through tsx)', async () => {
    const run = await runCommand('npx', ['--no-install', 'litellm-workflows', 'help']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/Usage: litellm-workflows/);
  });
});
