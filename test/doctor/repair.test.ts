/**
 * `doctor --repair` on the seeded residue: every finding that has a repair is healed by its saga through the
 * fleet window, and a second doctor finds nothing but the one class LiteLLM's API cannot repair.
 */
import { fleetWorkflowId } from '../../src/workflows/definitions';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { emptyCounts } from '../../src/domain/doctor-findings';
import { eventually, useBench } from '../helpers/harness';
import { DEFAULT_SIZES, DEFAULT_TEAM, seedResidue } from './residue';

// Each test seeds its own LiteLLM state: no primed default user.
const bench = useBench({ resetBeforeEach: false });
beforeEach(() => {
  bench.emulator.reset();
});

const provisioning = { provisioning: { defaultTeamId: DEFAULT_TEAM } };
const unique = (name: string) => `doctor-${name}-${Math.random().toString(36).slice(2)}`;

describe('doctor --repair', () => {
  it('heals every repairable finding; a second doctor reports only what the API cannot repair', async () => {
    const seeded = seedResidue(bench.emulator);
    const { result, after } = await bench.withWorker(async (client) => {
      const report = await client.executeDoctor({}, unique('before'));
      expect(report.counts).toEqual(seeded.counts);
      const handle = await client.startRepair(report, unique('repair'));
      const result = await handle.result();
      return { result, after: await client.executeDoctor({}, unique('after')) };
    }, provisioning);

    const s = DEFAULT_SIZES;
    const userTasks = s.noTeam + s.withoutOrg + s.noMembership + s.keysNotMoved + s.duplicateAlias + s.orphanTeamGone;
    expect(result).toMatchObject({
      total: s.downgraded + userTasks + s.orphanUserGone,
      completed: s.downgraded + userTasks + s.orphanUserGone,
      failed: 0,
      rolledBack: 0,
      deferred: [],
    });
    expect(result.outcomes.every((o) => o.status === 'completed')).toBe(true);

    expect(after.counts).toEqual({
      ...emptyCounts(),
      migrated: s.migrated + s.noTeam + s.withoutOrg + s.noMembership + s.keysNotMoved,
      personal_not_migrated: s.notMigrated + s.downgraded,
      membership_in_deleted_team: s.deletedTeamMembership,
    });
    expect(after.findings.every((f) => f.class === 'membership_in_deleted_team' && f.repair === null)).toBe(true);

    const state = bench.emulator.snapshot();
    for (let i = 0; i < s.duplicateAlias; i++) {
      const u = `migrated-${s.deletedTeamMembership + i}`;
      expect(state.keys.filter((k) => k.user_id === u && k.key_alias?.startsWith('OpenHands Cloud'))).toHaveLength(1);
    }
    expect(state.keys.filter((k) => k.user_id?.startsWith('gone-user-'))).toEqual([]);
    expect(state.teams.filter((t) => t.team_id.startsWith('downgraded-'))).toEqual([]);
    expect(state.teams.find((t) => t.team_id === 'no-team-0')).toMatchObject({ max_budget: 10 });
  });

  it('rolls back the saga of a user whose repair fails, reports it, and repairs the others', async () => {
    bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
    for (const u of ['broken', 'fine']) {
      bench.emulator.seed.user({ user_id: u, max_budget: UNLIMITED_USER_BUDGET });
      bench.emulator.seed.key({ user_id: u, team_id: null, key_alias: `BYOR Key - user ${u}, org ${u}` });
    }
    const before = bench.emulator.snapshot();
    // LiteLLM refuses the first key move for good (a 400 is not retried): that user's saga rolls back.
    bench.emulator.faults.add({ route: '/key/update', kind: 'status', status: 400, times: 1 });
    const result = await bench.withWorker(async (client) => {
      const report = await client.executeDoctor({}, unique('rb-before'));
      expect(report.counts.sentinel_without_org).toBe(2);
      return (await client.startRepair(report, unique('rb'), { liteLLMConcurrency: 4 })).result();
    }, provisioning);
    expect(result.rolledBack).toBe(1);
    expect(result.completed).toBe(1);
    const rolledBack = result.outcomes.find((o) => o.status === 'rolled_back');
    const after = bench.emulator.snapshot();
    // The rolled-back user is exactly as before: no team, no membership, the key where it was.
    const userState = (snap: typeof before, u: string) => ({
      teams: snap.teams.filter((t) => t.team_id === u),
      memberships: snap.memberships.filter((m) => m.user_id === u),
      keys: snap.keys.filter((k) => k.user_id === u),
      user: snap.users.find((x) => x.user_id === u),
    });
    expect(userState(after, rolledBack?.key as string)).toEqual(userState(before, rolledBack?.key as string));
    const other = rolledBack?.key === 'broken' ? 'fine' : 'broken';
    expect(after.teams.find((t) => t.team_id === other)).toBeDefined();
  });

  it('pauses and resumes the repair window', async () => {
    const seeded = seedResidue(bench.emulator, {
      migrated: 30,
      notMigrated: 5,
      noTeam: 4,
      withoutOrg: 4,
      noMembership: 4,
      keysNotMoved: 4,
      downgraded: 3,
      deletedTeamMembership: 2,
      duplicateAlias: 3,
      orphanTeamGone: 3,
      orphanUserGone: 3,
    });
    const result = await bench.withWorker(async (client) => {
      const report = await client.executeDoctor({}, unique('pause-before'));
      expect(report.counts).toEqual(seeded.counts);
      // Slow LiteLLM writes keep children running long enough to pause between them.
      bench.emulator.faults.add({ route: '*', method: 'POST', kind: 'latency', ms: 50 });
      const repairId = unique('pause');
      const handle = await client.startRepair(report, repairId, { liteLLMConcurrency: 4 });
      const paused = await client.controlFleet(repairId, 'pause');
      expect(paused.phase).toBe('paused');
      // While paused, nothing new starts: the settled count stops growing once the running ones finish.
      const drained = await eventually(async () => {
        const p = await client.fleetProgress(repairId);
        return p.running === 0 ? p : undefined;
      });
      expect(drained.pending).toBeGreaterThan(0);
      expect((await client.fleetProgress(repairId)).completed).toBe(drained.completed);
      await client.controlFleet(repairId, 'resume');
      expect(handle.workflowId).toBe(fleetWorkflowId(repairId));
      return handle.result();
    }, provisioning);
    expect(result.failed + result.rolledBack + result.cancelled).toBe(0);
  });
});
