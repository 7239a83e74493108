/**
 * `plan` on the real server against the emulator: the steps a workflow would take, from the workflow's own
 * decisions, with no write reaching LiteLLM (also under faults), and "nothing to change" once it ran.
 */
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { useBench } from '../helpers/harness';

// Each test seeds its own LiteLLM state: no primed default user.
const bench = useBench({ resetBeforeEach: false });
beforeEach(() => {
  bench.emulator.reset();
  bench.emulator.seed.team({ team_id: 'openhands-default' });
  bench.emulator.seed.user({ user_id: 'alice', max_budget: 20, spend: 5 });
  bench.emulator.seed.membership({ user_id: 'alice', team_id: 'openhands-default', max_budget_in_team: 20 });
  bench.emulator.seed.key({
    user_id: 'alice',
    team_id: 'openhands-default',
    key_alias: 'BYOR Key - user alice, org alice',
  });
});

const writes = () => bench.emulator.journal().filter((e) => e.method !== 'GET');
const migrate = { orgId: 'alice', userId: 'alice', userSettings: { userVersion: 4 } };

describe('plan', () => {
  it('lists what a migration would do, writes nothing, and says "nothing to change" once it ran', async () => {
    await bench.withWorker(async (client) => {
      const before = bench.emulator.snapshot();
      const plan = await client.plan('migrateEntries', migrate);
      expect(plan).toMatchObject({ operation: 'migrateEntries', outcome: 'migrated', changes: true });
      expect(plan.steps.map((s) => s.step)).toEqual([
        'create or update team',
        'set user budget unlimited',
        'add user to team',
        expect.stringMatching(/^move key /),
      ]);
      expect(plan.steps[0]).toMatchObject({ before: null, after: { maxBudget: 15 }, undo: 'delete the team' });
      expect(plan.steps[1]).toMatchObject({ before: { maxBudget: 20 }, after: { maxBudget: UNLIMITED_USER_BUDGET } });
      expect(writes()).toEqual([]);
      expect(bench.emulator.snapshot()).toEqual(before);

      // The workflow then does what the plan said, and a second plan finds nothing to do.
      const result = await client.executeMigrateEntries(migrate);
      expect(result).toMatchObject({ status: 'migrated', credits: 15, movedKeys: 1 });
      bench.emulator.clearJournal();
      expect(await client.plan('migrateEntries', migrate)).toMatchObject({
        outcome: 'already_migrated',
        changes: false,
        steps: [],
      });
      expect(writes()).toEqual([]);
    });
  });

  it('plans every operation without a write, also under random faults', async () => {
    bench.emulator.faults.add({
      route: '*',
      kind: 'random',
      rate: 0.2,
      seed: 7,
      kinds: ['status503', 'reset', 'rate_limit'],
    });
    await bench.withWorker(async (client) => {
      const create = await client.plan('createEntries', { orgId: 'acme', userId: 'alice', createUser: false });
      expect(create).toMatchObject({ outcome: 'created', changes: true });
      expect(create.steps.at(-1)).toMatchObject({ step: 'generate key', undo: 'delete exactly that key' });
      const budget = await client.plan('setTeamBudget', { teamId: 'openhands-default', maxBudget: 20 });
      expect(budget.steps[0]).toMatchObject({ step: 'set team budget', after: { maxBudget: 20 } });
      const credits = await client.plan('addTeamCredits', {
        purchaseId: 'p1',
        orgId: 'openhands-default',
        userId: 'alice',
        amount: 5,
      });
      // A team org's budget counts for the buyer; unlimited counts as 0 there, as in the seed.
      expect(credits.steps[0]).toMatchObject({ before: { maxBudget: 0 }, after: { maxBudget: 5 } });
      const downgrade = await client.plan('downgradeEntries', { orgId: 'alice', userId: 'alice' });
      expect(downgrade).toMatchObject({ outcome: 'team_not_found', changes: false });
    });
    expect(bench.emulator.journal().some((e) => e.fault !== undefined)).toBe(true);
    expect(writes()).toEqual([]);
  });

  it('marks what cannot be undone, and a budget already in place as no change', async () => {
    bench.emulator.seed.team({ team_id: 'bob', max_budget: 7, members: [{ user_id: 'alice', role: 'user' }] });
    await bench.withWorker(async (client) => {
      const downgrade = await client.plan('downgradeEntries', { orgId: 'bob', userId: 'alice' });
      expect(downgrade.steps.filter((s) => s.undo === null).map((s) => s.step)).toEqual([
        'remove user from org team',
        'delete org team',
      ]);
      const same = await client.plan('setTeamBudget', { teamId: 'bob', maxBudget: 7 });
      expect(same.changes).toBe(false);
    });
    expect(writes()).toEqual([]);
  });

  it('refuses bad input naming the field', async () => {
    await bench.withWorker(async (client) => {
      await expect(client.plan('setTeamBudget', { teamId: '', maxBudget: -1 })).rejects.toThrow(/teamId|maxBudget/);
    });
  });
});
