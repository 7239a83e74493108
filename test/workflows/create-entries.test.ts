import { WorkflowFailedError } from '@temporalio/client';
import { InvalidInputError, OperationInProgressError } from '../../src/client';
import { openHandsCloudKeyAlias } from '../../src/domain/aliases';
import { workflowIds } from '../../src/workflows/definitions';
import { eventually, useBench } from '../helpers/harness';
import { stepFailure } from '../helpers/litellm-state';

const bench = useBench();

const org = 'org-1';
const user = 'user-1';

describe('createEntries', () => {
  it('creates team, user, membership and a working key for a first sign-in', async () => {
    const result = await bench.withWorker((client) =>
      client.executeCreateEntries({ orgId: org, userId: user, email: 'user-1@example.com', createUser: true })
    );
    expect(result).toMatchObject({
      status: 'created',
      teamId: org,
      keyAlias: openHandsCloudKeyAlias(user, org),
      agent: 'CodeActAgent',
      llmModel: 'litellm_proxy/minimax-m2.5',
      llmBaseUrl: bench.emulator.url,
      teamBudget: 10,
    });
    const state = bench.emulator.snapshot();
    expect(state.teams.find((t) => t.team_id === org)).toMatchObject({ max_budget: 10, team_alias: user });
    expect(state.users.find((u) => u.user_id === user)).toMatchObject({ user_email: 'user-1@example.com' });
    expect(state.memberships).toContainEqual(expect.objectContaining({ user_id: user, team_id: org, max_budget: 10 }));
    const keys = state.keys.filter((k) => k.user_id === user);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ team_id: org, key_alias: openHandsCloudKeyAlias(user, org) });
    const models = await fetch(`${bench.emulator.url}/v1/models`, {
      headers: { authorization: `Bearer ${result.key}` },
    });
    expect(models.status).toBe(200);
  });

  it('lets a new member inherit the budget of an existing team, unlimited included', async () => {
    bench.emulator.seed.team({ team_id: org, team_alias: 'owner' });
    bench.emulator.seed.user({ user_id: user });
    const result = await bench.withWorker((client) =>
      client.executeCreateEntries({ orgId: org, userId: user, createUser: false })
    );
    expect(result.teamBudget).toBeNull();
    const membership = bench.emulator.snapshot().memberships.find((m) => m.user_id === user && m.team_id === org);
    // No budget row for an unlimited member: LiteLLM got no max_budget_in_team at all (OpenHands F10).
    expect(membership?.max_budget ?? null).toBeNull();
  });

  it('replaces the previous key under the same alias, so one key per user and org stays live', async () => {
    const first = await bench.withWorker((client) =>
      client.executeCreateEntries({ orgId: org, userId: user, createUser: true })
    );
    const second = await bench.withWorker((client) =>
      client.executeCreateEntries({ orgId: org, userId: user, createUser: true })
    );
    expect(second.key).not.toBe(first.key);
    expect(bench.emulator.snapshot().keys.filter((k) => k.user_id === user)).toHaveLength(1);
  });

  it('rolls back and fails when the user is missing and was not to be created', async () => {
    const before = bench.emulator.snapshot();
    const failure = await bench
      .withWorker((client) => client.executeCreateEntries({ orgId: org, userId: user, createUser: false }))
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toMatch(/verify user exists/);
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  // Each mutating and reading step, failed for good in turn: the rollback restores LiteLLM exactly.
  it.each([
    ['read team', '/team/info', 0],
    ['create or update team', '/team/new', 0],
    ['check user', '/user/list', 0],
    ['create user', '/user/new', 0],
    ['verify user exists', '/user/list', 1],
    ['add user to team', '/team/member_add', 0],
    ['delete previous key', '/key/delete', 0],
    ['generate key', '/key/generate', 0],
  ])('a failure at "%s" rolls LiteLLM back to where it was', async (_step, route, after) => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure(route, after));
    const failure = await bench
      .withWorker((client) => client.executeCreateEntries({ orgId: org, userId: user, createUser: true }))
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it.each(['/team/new', '/user/new', '/team/member_add', '/key/generate'])(
    'a response to %s lost after LiteLLM applied it changes nothing in the outcome',
    async (route) => {
      bench.emulator.faults.add({ route, kind: 'drop_after_apply', times: 1 });
      const result = await bench.withWorker((client) =>
        client.executeCreateEntries({ orgId: org, userId: user, createUser: true })
      );
      const state = bench.emulator.snapshot();
      expect(state.keys.filter((k) => k.user_id === user)).toHaveLength(1);
      expect(state.memberships.filter((m) => m.user_id === user && m.team_id === org)).toHaveLength(1);
      const models = await fetch(`${bench.emulator.url}/v1/models`, {
        headers: { authorization: `Bearer ${result.key}` },
      });
      expect(models.status).toBe(200);
    }
  );

  it('pauses for an operator, then completes when told to retry', async () => {
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    await bench.withWorker(async (client) => {
      const handle = await client.startCreateEntries({
        orgId: org,
        userId: user,
        createUser: true,
        failurePolicy: { onFailure: 'pause' },
      });
      const paused = await eventually(async () => {
        const s = await client.getState(handle.workflowId);
        return s.phase === 'awaiting_operator' ? s : undefined;
      });
      expect(paused.awaiting).toMatchObject({ step: 'add user to team', allowed: ['retry', 'rollback'] });
      await expect(client.getState(handle.workflowId)).resolves.toMatchObject({ phase: 'awaiting_operator' });
      const after = await client.resume(handle.workflowId);
      expect(after.phase).not.toBe('awaiting_operator');
      await expect(handle.result()).resolves.toMatchObject({ status: 'created' });
    });
  });

  it('refuses a second concurrent operation on the same user and org', async () => {
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    await bench.withWorker(async (client) => {
      const handle = await client.startCreateEntries({
        orgId: org,
        userId: user,
        createUser: true,
        failurePolicy: { onFailure: 'pause' },
      });
      const second = await client
        .startMigrateEntries({ orgId: org, userId: user, userSettings: { userVersion: 4 } })
        .catch((err: unknown) => err);
      expect(second).toBeInstanceOf(OperationInProgressError);
      expect((second as OperationInProgressError).workflowId).toBe(workflowIds.tenancy(org, user));
      await client.rollback(handle.workflowId);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    });
  });

  it('rejects bad input naming the field, and starts nothing', async () => {
    await bench.withWorker(async (client) => {
      const bad = await client
        .startCreateEntries({ orgId: '', userId: user, createUser: true, extra: 1 } as never)
        .catch((err: unknown) => err);
      expect(bad).toBeInstanceOf(InvalidInputError);
      expect((bad as Error).message).toMatch(/orgId/);
      expect((bad as Error).message).toMatch(/extra/);
    });
    expect(bench.emulator.journal()).toEqual([]);
  });
});
