import { WorkflowFailedError, type ApplicationFailure } from '@temporalio/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { workflowIds } from '../../src/workflows/definitions';
import { eventually, MASTER_KEY, useBench } from '../helpers/harness';
import { PROVISIONING } from '../helpers/fixtures';
import { primeDefaultUser, stepFailure } from '../helpers/litellm-state';

const bench = useBench();

const DEFAULT_TEAM = 'openhands-default';
const user = 'alice';
const org = 'alice';

describe('downgradeEntries', () => {
  let keyToken: string;

  /** A migrated user: budget at the sentinel, member of the org team with the credits, key in the org team. */
  beforeEach(() => {
    bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
    bench.emulator.seed.team({ team_id: org, max_budget: 15.5 });
    bench.emulator.seed.user({ user_id: user, max_budget: UNLIMITED_USER_BUDGET, spend: 4.5 });
    bench.emulator.seed.membership({ user_id: user, team_id: DEFAULT_TEAM });
    bench.emulator.seed.membership({ user_id: user, team_id: org });
    bench.emulator.seed.spend({ team_id: org, amount: 3 });
    keyToken = bench.emulator.seed.key({ user_id: user, team_id: org }).token;
  });

  it('restores the personal budget from the org team, moves keys back and deletes the team', async () => {
    const result = await bench.withWorker((c) => c.executeDowngradeEntries({ orgId: org, userId: user }));
    expect(result).toEqual({ status: 'downgraded', restoredBudget: 15.5, restoredSpend: 3, movedKeys: 1 });
    const state = bench.emulator.snapshot();
    expect(state.teams.map((t) => t.team_id)).not.toContain(org);
    expect(state.users.find((u) => u.user_id === user)).toMatchObject({ max_budget: 15.5, spend: 3 });
    expect(state.keys.find((k) => k.token === keyToken)).toMatchObject({ team_id: DEFAULT_TEAM });
  });

  it('reports an org team that does not exist and changes nothing', async () => {
    const result = await bench.withWorker((c) => c.executeDowngradeEntries({ orgId: 'no-team', userId: user }));
    expect(result.status).toBe('team_not_found');
  });

  it.each([
    ['restore user budget', '/user/update'],
    ['add user to default team', '/team/member_add'],
    ['move key', '/key/update'],
  ])('a failure at "%s" rolls back exactly', async (_step, route) => {
    // Not a member of the default team yet, so "add user to default team" really writes.
    bench.emulator.reset();
    await primeDefaultUser(bench.emulator, MASTER_KEY);
    bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
    bench.emulator.seed.team({ team_id: org, max_budget: 15.5 });
    bench.emulator.seed.user({ user_id: user, max_budget: UNLIMITED_USER_BUDGET, spend: 4.5 });
    bench.emulator.seed.membership({ user_id: user, team_id: org });
    bench.emulator.seed.key({ user_id: user, team_id: org });
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure(route, 0));
    const failure = await bench
      .withWorker((c) => c.executeDowngradeEntries({ orgId: org, userId: user }))
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('retries the irreversible end until it succeeds instead of rolling back', async () => {
    // Even under the rollback policy: once the member left, the team is deleted, whatever it takes.
    bench.emulator.faults.add(stepFailure('/team/delete', 0));
    await bench.withWorker(async (client) => {
      const handle = await client.startDowngradeEntries({ orgId: org, userId: user });
      const awaiting = await eventually(async () => (await client.getState(handle.workflowId)).awaiting);
      expect(awaiting).toMatchObject({ step: 'delete org team', allowed: ['retry'] });
      await expect(client.rollback(handle.workflowId)).rejects.toThrow(/cannot be rolled back|does not fit/);
      await client.resume(handle.workflowId);
      await expect(handle.result()).resolves.toMatchObject({ status: 'downgraded' });
    });
    expect(bench.emulator.snapshot().teams.map((t) => t.team_id)).not.toContain(org);
  });

  it('a migration followed by a downgrade brings the user back to their credits', async () => {
    bench.emulator.reset();
    await primeDefaultUser(bench.emulator, MASTER_KEY);
    bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
    bench.emulator.seed.user({ user_id: user, max_budget: 20, spend: 4.5 });
    bench.emulator.seed.membership({ user_id: user, team_id: DEFAULT_TEAM });
    const key = bench.emulator.seed.key({ user_id: user, team_id: DEFAULT_TEAM });
    await bench.withWorker(async (client) => {
      await client.executeMigrateEntries({ orgId: org, userId: user, userSettings: { userVersion: 4 } });
      await client.executeDowngradeEntries({ orgId: org, userId: user });
    });
    const state = bench.emulator.snapshot();
    const alice = state.users.find((u) => u.user_id === user);
    expect((alice?.max_budget ?? 0) - (alice?.spend ?? 0)).toBeCloseTo(15.5);
    expect(state.keys.find((k) => k.token === key.token)).toMatchObject({ team_id: DEFAULT_TEAM });
    expect(state.teams.map((t) => t.team_id)).not.toContain(org);
  });
});

describe('setTeamBudget', () => {
  const team = 'big-org';
  const members = ['m1', 'm2', 'm3', 'm4', 'm5'];

  beforeEach(() => {
    bench.emulator.seed.team({ team_id: team, max_budget: 10 });
    for (const m of members) bench.emulator.seed.membership({ user_id: m, team_id: team, max_budget_in_team: 10 });
  });

  it('sets the team and every member, page by page, continuing as new to keep history bounded', async () => {
    const result = await bench.withWorker(async (client) => {
      const handle = await client.startSetTeamBudget({ teamId: team, maxBudget: 50, pageSize: 2, pagesPerRun: 1 });
      const value = await handle.result();
      // Three pages, one per run: the first run's history ends in continue-as-new.
      const history = await bench.env.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .fetchHistory();
      expect(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      return value;
    });
    expect(result).toEqual({ teamId: team, maxBudget: 50, membersUpdated: 5 });
    const state = bench.emulator.snapshot();
    expect(state.teams.find((t) => t.team_id === team)?.max_budget).toBe(50);
    expect(state.memberships.filter((m) => m.team_id === team).map((m) => m.max_budget)).toEqual([50, 50, 50, 50, 50]);
  });

  it("rewrites the team's settings version and default model as the seed's _update_team does, keeping the rest", async () => {
    const metaTeam = 'meta-org';
    bench.emulator.seed.team({ team_id: metaTeam, metadata: { version: 3, model: 'old', note: 'kept' } });
    await bench.withWorker((c) => c.executeSetTeamBudget({ teamId: metaTeam, maxBudget: 50 }));
    expect(bench.emulator.snapshot().teams.find((t) => t.team_id === metaTeam)?.metadata).toEqual({
      version: PROVISIONING.orgSettingsVersion,
      model: PROVISIONING.defaultModel,
      note: 'kept',
    });
  });

  it('a failed member update rolls the team and the members done back', async () => {
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add(stepFailure('/team/member_update', 3));
    const failure = await bench
      .withWorker((c) => c.executeSetTeamBudget({ teamId: team, maxBudget: 50, concurrency: 1 }))
      .catch((err: unknown) => err);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('OperationRolledBack');
    expect(bench.emulator.snapshot()).toEqual(before);
  });

  it('adds a purchase exactly once, however often the callback starts it', async () => {
    bench.emulator.seed.membership({ user_id: 'buyer', team_id: team });
    const purchase = { purchaseId: 'cs_test_123', orgId: team, userId: 'buyer', amount: 25 };
    const results = await bench.withWorker(async (client) => [
      await client.executeAddTeamCredits(purchase),
      await client.executeAddTeamCredits(purchase),
    ]);
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({ previousMaxBudget: 10, newMaxBudget: 35 });
    expect(bench.emulator.snapshot().teams.find((t) => t.team_id === team)?.max_budget).toBe(35);
    expect(workflowIds.credits('cs_test_123')).toBe('litellm-credits:cs_test_123');
  });

  it('a purchase whose run failed and rolled back can start again, and still adds once', async () => {
    bench.emulator.seed.membership({ user_id: 'buyer', team_id: team });
    bench.emulator.faults.add(stepFailure('/team/update', 0));
    const purchase = { purchaseId: 'cs_test_retry', orgId: team, userId: 'buyer', amount: 25 };
    await bench.withWorker(async (client) => {
      await expect(client.executeAddTeamCredits(purchase)).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(bench.emulator.snapshot().teams.find((t) => t.team_id === team)?.max_budget).toBe(10);
      await client.executeAddTeamCredits(purchase);
      await client.executeAddTeamCredits(purchase);
    });
    expect(bench.emulator.snapshot().teams.find((t) => t.team_id === team)?.max_budget).toBe(35);
  });
});
