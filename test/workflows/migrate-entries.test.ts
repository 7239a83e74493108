import { ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { openHandsCloudKeyAlias } from '../../src/domain/aliases';
import type { LiteLLMWorkflowsClient } from '../../src/client';
import type { MigrateEntriesInput } from '../../src/workflows/definitions';
import { eventually, useBench } from '../helpers/harness';
import { stepFailure } from '../helpers/litellm-state';

const bench = useBench();

const DEFAULT_TEAM = 'openhands-default';
const user = 'alice';
const org = 'alice';
let legacyKey: { key: string; token: string };

/** A legacy user as OpenHands left them before orgs: a personal budget and a key in the shared team. */
beforeEach(() => {
  bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
  bench.emulator.seed.user({ user_id: user, user_email: 'alice@example.com', max_budget: 20, spend: 4.5 });
  bench.emulator.seed.membership({ user_id: user, team_id: DEFAULT_TEAM });
  legacyKey = bench.emulator.seed.key({ user_id: user, team_id: DEFAULT_TEAM, key_alias: 'legacy key' });
});

function input(overrides: Partial<MigrateEntriesInput> = {}): MigrateEntriesInput {
  return { orgId: org, userId: user, userSettings: { userVersion: 4 }, ...overrides };
}

const migrate = (i: MigrateEntriesInput = input()) => bench.withWorker((c) => c.executeMigrateEntries(i));

describe('migrateEntries', () => {
  it('moves the remaining credits into an org team and the user and keys with them', async () => {
    const result = await migrate();
    expect(result).toEqual({
      status: 'migrated',
      teamId: org,
      credits: 15.5,
      movedKeys: 1,
      unknownKeys: 0,
      storedKey: 'not_checked',
    });
    const state = bench.emulator.snapshot();
    expect(state.teams.find((t) => t.team_id === org)).toMatchObject({ max_budget: 15.5 });
    expect(state.users.find((u) => u.user_id === user)).toMatchObject({ max_budget: UNLIMITED_USER_BUDGET });
    expect(state.memberships).toContainEqual(
      expect.objectContaining({ user_id: user, team_id: org, max_budget: 15.5 })
    );
    expect(state.keys.find((k) => k.token === legacyKey.token)).toMatchObject({ team_id: org });
  });

  it('applies the legacy billing margin to settings older than version 4', async () => {
    const result = await migrate(input({ userSettings: { userVersion: 3, billingMargin: 2 } }));
    expect(result.credits).toBe(31);
  });

  it('leaves an already migrated user alone and writes nothing', async () => {
    bench.emulator.seed.user({ user_id: 'bob', max_budget: UNLIMITED_USER_BUDGET });
    bench.emulator.seed.team({ team_id: 'bob', max_budget: 15.5 });
    bench.emulator.seed.membership({ user_id: 'bob', team_id: 'bob' });
    bench.emulator.clearJournal();
    const result = await migrate(input({ orgId: 'bob', userId: 'bob' }));
    expect(result.status).toBe('already_migrated');
    expect(bench.emulator.journal().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('fails with UserNotFound for a user LiteLLM does not know, writing nothing (the seed raises)', async () => {
    bench.emulator.clearJournal();
    const failure = await migrate(input({ orgId: 'nobody', userId: 'nobody' })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('UserNotFound');
    expect(bench.emulator.journal().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('creates the org team a half-migrated user never got, with the default initial budget', async () => {
    // The seed's crash between "user budget unlimited" and "create team": the sentinel, no org team.
    bench.emulator.seed.user({ user_id: user, max_budget: UNLIMITED_USER_BUDGET, spend: 4.5 });
    const result = await migrate();
    expect(result).toMatchObject({ status: 'completed_partial_migration', movedKeys: 1 });
    const state = bench.emulator.snapshot();
    // PROVISIONING.defaultInitialBudget of the test worker.
    expect(state.teams.find((t) => t.team_id === org)).toMatchObject({ team_alias: user, max_budget: 10 });
    expect(state.memberships).toContainEqual(expect.objectContaining({ user_id: user, team_id: org, max_budget: 10 }));
    expect(state.keys.find((k) => k.token === legacyKey.token)).toMatchObject({ team_id: org });
  });

  it('leaves a user whose budget was never set and who has no org team alone, as the seed does', async () => {
    bench.emulator.seed.user({ user_id: 'carol', max_budget: null });
    bench.emulator.clearJournal();
    const result = await migrate(input({ orgId: 'carol', userId: 'carol' }));
    expect(result.status).toBe('already_migrated');
    expect(bench.emulator.journal().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('completes a migration that died half-way instead of skipping it for ever', async () => {
    // What the seed left behind after a crash between "user budget" and "add to team" (OpenHands F1).
    bench.emulator.seed.team({ team_id: org, max_budget: 15.5 });
    bench.emulator.seed.user({ user_id: user, max_budget: UNLIMITED_USER_BUDGET, spend: 4.5 });
    const result = await migrate();
    expect(result).toMatchObject({ status: 'completed_partial_migration', movedKeys: 1 });
    const state = bench.emulator.snapshot();
    expect(state.memberships).toContainEqual(
      expect.objectContaining({ user_id: user, team_id: org, max_budget: 15.5 })
    );
    expect(state.keys.find((k) => k.token === legacyKey.token)).toMatchObject({ team_id: org });
  });

  describe('the stored key', () => {
    it('is kept when LiteLLM knows it', async () => {
      const result = await migrate(
        input({ userSettings: { userVersion: 4, llmApiKey: legacyKey.key, llmBaseUrl: bench.emulator.url } })
      );
      expect(result.storedKey).toBe('valid');
      expect(result.newKey).toBeUndefined();
    });

    it('is replaced by a new key in the org team when LiteLLM does not know it', async () => {
      const result = await migrate(
        input({ userSettings: { userVersion: 4, llmApiKey: 'sk-gone-for-good-0000', llmBaseUrl: bench.emulator.url } })
      );
      expect(result.storedKey).toBe('invalid');
      expect(result.newKey).toMatch(/^sk-/);
      const issued = bench.emulator.snapshot().keys.filter((k) => k.key_alias === openHandsCloudKeyAlias(user, org));
      expect(issued).toEqual([expect.objectContaining({ team_id: org, user_id: user })]);
    });

    it('is kept, not rotated, when LiteLLM cannot be asked', async () => {
      // LiteLLM asks to be called back after the retry budget: the check gives up at once, as after the budget.
      bench.emulator.faults.add({ route: '/v1/models', kind: 'rate_limit', retryAfterSeconds: 3600 });
      const result = await migrate(
        input({ userSettings: { userVersion: 4, llmApiKey: legacyKey.key, llmBaseUrl: bench.emulator.url } })
      );
      expect(result.storedKey).toBe('unknown');
      expect(result.newKey).toBeUndefined();
    });

    it('is not checked when it belongs to another LiteLLM', async () => {
      const result = await migrate(
        input({ userSettings: { userVersion: 4, llmApiKey: legacyKey.key, llmBaseUrl: 'https://other.example.com' } })
      );
      expect(result.storedKey).toBe('not_checked');
    });
  });

  it.each([
    ['read user, team and keys (the user)', '/user/list', 0],
    ['read user, team and keys (the team)', '/team/info', 0],
    ['read user, team and keys (the keys)', '/key/list', 0],
    ['create or update team', '/team/new', 0],
    ['set user budget unlimited', '/user/update', 0],
    ['add user to team', '/team/member_add', 0],
    ['move key', '/key/update', 0],
    ['generate key', '/key/generate', 0],
  ])('a failure at "%s" rolls LiteLLM back exactly', async (_step, route, after) => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure(route, after));
    const failure = await migrate(
      input({ userSettings: { userVersion: 4, llmApiKey: 'sk-gone-for-good-0000', llmBaseUrl: bench.emulator.url } })
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it.each(['/team/new', '/user/update', '/team/member_add', '/key/update', '/key/generate'])(
    'a response to %s lost after LiteLLM applied it: the same end state, both keys moved, one new key',
    async (route) => {
      const second = bench.emulator.seed.key({ user_id: user, team_id: DEFAULT_TEAM, key_alias: 'second key' });
      bench.emulator.faults.add({ route, kind: 'drop_after_apply', times: 1 });
      const result = await migrate(
        input({ userSettings: { userVersion: 4, llmApiKey: 'sk-gone-for-good-0000', llmBaseUrl: bench.emulator.url } })
      );
      expect(result).toMatchObject({ status: 'migrated', credits: 15.5, movedKeys: 2, storedKey: 'invalid' });
      const state = bench.emulator.snapshot();
      expect(bench.emulator.journal().some((e) => e.path === route && e.fault === 'drop_after_apply')).toBe(true);
      expect(state.teams.find((t) => t.team_id === org)).toMatchObject({ max_budget: 15.5 });
      expect(state.users.find((u) => u.user_id === user)).toMatchObject({ max_budget: UNLIMITED_USER_BUDGET });
      expect(state.memberships.filter((m) => m.user_id === user && m.team_id === org)).toHaveLength(1);
      const keys = state.keys.filter((k) => k.user_id === user);
      expect(keys.filter((k) => k.token === legacyKey.token || k.token === second.token).map((k) => k.team_id)).toEqual(
        [org, org]
      );
      // Exactly one key was issued, whichever answer was lost.
      expect(keys).toHaveLength(3);
    }
  );

  /** True when the run's history shows a timer that fired: the operator timeout (no other timer in a migration). */
  async function operatorTimerFired(workflowId: string): Promise<boolean> {
    const history = await bench.env.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).some((e) => e.timerFiredEventAttributes);
  }

  async function pauseAt(client: LiteLLMWorkflowsClient, route: string) {
    bench.emulator.faults.add(stepFailure(route, 0));
    const handle = await client.startMigrateEntries(input({ failurePolicy: { onFailure: 'pause' } }));
    await eventually(async () =>
      (await client.getState(handle.workflowId)).phase === 'awaiting_operator' ? true : undefined
    );
    return handle;
  }

  it('after a pause, an operator retry completes the migration', async () => {
    const result = await bench.withWorker(async (client) => {
      const handle = await pauseAt(client, '/team/member_add');
      await expect(client.resume(handle.workflowId)).resolves.toMatchObject({ operation: 'migrateEntries' });
      return handle.result();
    });
    expect(result.status).toBe('migrated');
  });

  it('after a pause, an operator rollback restores LiteLLM exactly', async () => {
    const before = bench.emulator.snapshot();
    await bench.withWorker(async (client) => {
      const handle = await pauseAt(client, '/key/update');
      const state = await client.rollback(handle.workflowId);
      expect(state.awaiting).toBeUndefined();
      const failure = await handle.result().catch((err: unknown) => err);
      const steps = (await client.getState(handle.workflowId)).steps;
      expect(steps.filter((s) => s.status === 'compensated').map((s) => s.name)).toEqual([
        'create or update team',
        'set user budget unlimited',
        'add user to team',
        expect.stringMatching(/^move key/),
      ]);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('OperationRolledBack');
    });
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('when nobody decides within operatorTimeout, the default decision rollback is taken and LiteLLM restored', async () => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure('/key/update', 0));
    const failure = await bench.withWorker(async (client) => {
      const handle = await client.startMigrateEntries(
        input({ failurePolicy: { onFailure: 'pause', operatorTimeout: '2s', defaultDecision: 'rollback' } })
      );
      const outcome = await handle.result().catch((err: unknown) => err);
      // It waited for an operator, and the operator timeout's timer is what ended the wait.
      expect(await operatorTimerFired(handle.workflowId)).toBe(true);
      return outcome;
    });
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('OperationRolledBack');
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('when nobody decides within operatorTimeout, the default decision retry is taken and the migration completes', async () => {
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    const result = await bench.withWorker(async (client) => {
      const handle = await client.startMigrateEntries(
        input({ failurePolicy: { onFailure: 'pause', operatorTimeout: '2s', defaultDecision: 'retry' } })
      );
      const value = await handle.result();
      expect(await operatorTimerFired(handle.workflowId)).toBe(true);
      return value;
    });
    expect(result.status).toBe('migrated');
  });

  it('two steps of one parallel level failing: decisions are asked one at a time, and retrying both completes', async () => {
    // Level 2 runs "create or update team" and "set user budget unlimited" together; both fail for good.
    bench.emulator.faults.add(stepFailure('/team/new', 0));
    bench.emulator.faults.add(stepFailure('/user/update', 0));
    const result = await bench.withWorker(async (client) => {
      const handle = await client.startMigrateEntries(input({ failurePolicy: { onFailure: 'pause' } }));
      const first = await eventually(async () => (await client.getState(handle.workflowId)).awaiting);
      const failed = (await client.getState(handle.workflowId)).steps.filter((s) => s.status === 'failed');
      expect(failed.map((s) => s.name).sort()).toEqual(['create or update team', 'set user budget unlimited']);
      await client.resume(handle.workflowId);
      const second = await eventually(async () => {
        const awaiting = (await client.getState(handle.workflowId)).awaiting;
        return awaiting && awaiting.step !== first.step ? awaiting : undefined;
      });
      expect([first.step, second.step].sort()).toEqual(['create or update team', 'set user budget unlimited']);
      await client.resume(handle.workflowId);
      return handle.result();
    });
    expect(result.status).toBe('migrated');
  });

  it('a failure inside a parallel level under the pause policy, then rollback: the sibling done is undone too', async () => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure('/user/update', 0));
    await bench.withWorker(async (client) => {
      const handle = await client.startMigrateEntries(input({ failurePolicy: { onFailure: 'pause' } }));
      await eventually(async () => ((await client.getState(handle.workflowId)).awaiting ? true : undefined));
      await client.rollback(handle.workflowId);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const steps = (await client.getState(handle.workflowId)).steps;
      expect(steps.find((s) => s.name === 'create or update team')?.status).toBe('compensated');
    });
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('refuses a decision that does not fit the state', async () => {
    await bench.withWorker(async (client) => {
      const handle = await pauseAt(client, '/team/member_add');
      await client.resume(handle.workflowId);
      await handle.result();
      await expect(client.resume(handle.workflowId)).rejects.toThrow(/No decision is awaited|not found|completed/);
    });
  });

  it('refuses a decision with extra arguments: ["retry", "extra"] is not a retry', async () => {
    await bench.withWorker(async (client) => {
      const handle = await pauseAt(client, '/team/member_add');
      const untyped = client.client.workflow.getHandle(handle.workflowId);
      await expect(untyped.executeUpdate('decide', { args: ['retry', 'extra'] })).rejects.toThrow();
      expect((await client.getState(handle.workflowId)).awaiting?.step).toBe('add user to team');
      await client.rollback(handle.workflowId);
      await handle.result().catch(() => undefined);
    });
  });

  it('cancelling rolls back what was done and ends as cancelled', async () => {
    const before = bench.emulator.snapshot();
    await bench.withWorker(async (client) => {
      const handle = await pauseAt(client, '/key/update');
      await handle.cancel();
      const failure = await handle.result().catch((err: unknown) => err);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    });
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('escalates an undo that fails for good instead of swallowing it', async () => {
    // The move fails, then moving it back fails too: the rollback stops and says which undo failed.
    bench.emulator.faults.add({ ...stepFailure('/key/update', 0), times: 2 });
    const failure = await migrate().catch((err: unknown) => err);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('RollbackFailed');
    expect(cause.message).toMatch(/move key/);
  });

  it('with the pause policy, a failing undo waits for the operator, who can retry it', async () => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add({ ...stepFailure('/key/update', 0), times: 2 });
    await bench.withWorker(async (client) => {
      const handle = await client.startMigrateEntries(input({ failurePolicy: { onFailure: 'pause' } }));
      await eventually(async () =>
        (await client.getState(handle.workflowId)).awaiting?.during === 'forward' ? true : undefined
      );
      await client.rollback(handle.workflowId);
      const awaiting = await eventually(async () => (await client.getState(handle.workflowId)).awaiting);
      expect(awaiting).toMatchObject({ during: 'compensation', allowed: ['retry', 'skip'] });
      await client.resume(handle.workflowId);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    });
    expect(bench.emulator.snapshot()).toEqual(before);
  });
});
