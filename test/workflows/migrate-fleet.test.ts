import type { WorkflowFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { fleetWorkflowId, type FleetUser } from '../../src/workflows/definitions';
import { eventually, useBench } from '../helpers/harness';
import { stepFailure } from '../helpers/litellm-state';

const bench = useBench();

const DEFAULT_TEAM = 'openhands-default';
let run = 0;

beforeEach(() => {
  run += 1;
  bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
});

/** Legacy personal accounts (budget 20, spend 4.5, a key in the shared team), unique per test. */
function legacyUsers(n: number): FleetUser[] {
  return Array.from({ length: n }, (_, i) => {
    const userId = `fleet-${run}-${i}`;
    bench.emulator.seed.user({ user_id: userId, max_budget: 20, spend: 4.5 });
    bench.emulator.seed.membership({ user_id: userId, team_id: DEFAULT_TEAM });
    bench.emulator.seed.key({ user_id: userId, team_id: DEFAULT_TEAM });
    return { orgId: userId, userId, userSettings: { userVersion: 4 } };
  });
}

/** Every user is either fully migrated or exactly as before (a cancelled or rolled-back migration). */
function userStates(users: FleetUser[]) {
  const snap = bench.emulator.snapshot();
  return users.map(({ userId }) => {
    const user = snap.users.find((u) => u.user_id === userId);
    const team = snap.teams.find((t) => t.team_id === userId);
    const keys = snap.keys.filter((k) => k.user_id === userId);
    if (
      user?.max_budget === UNLIMITED_USER_BUDGET &&
      team?.max_budget === 15.5 &&
      keys.every((k) => k.team_id === userId)
    )
      return 'migrated';
    if (user?.max_budget === 20 && !team && keys.every((k) => k.team_id === DEFAULT_TEAM)) return 'untouched';
    return 'half-done';
  });
}

describe('migrateFleet', () => {
  it('migrates every user through the window, continuing as new, and one failure stops nobody', async () => {
    const users = legacyUsers(7);
    bench.emulator.faults.add(stepFailure('/team/member_add', 2));
    const result = await bench.withWorker(async (client) => {
      const handle = await client.startMigrateFleet(`t${run}`, { users, liteLLMConcurrency: 8, childrenPerRun: 3 });
      return handle.result();
    });
    expect(result).toMatchObject({ total: 7, completed: 6, rolledBack: 1, failed: 0, cancelled: 0 });
    expect(result.outcomes).toHaveLength(7);
    expect(new Set(result.outcomes.map((o) => o.key))).toEqual(new Set(users.map((u) => `${u.orgId}/${u.userId}`)));
    const rolledBack = result.outcomes.find((o) => o.status === 'rolled_back');
    expect(rolledBack?.error).toMatch(/rolled back/);
    expect(result.outcomes.find((o) => o.status === 'completed')?.summary).toMatchObject({
      status: 'migrated',
      movedKeys: 1,
      newKeyIssued: false,
    });
    const states = userStates(users);
    expect(states.filter((s) => s === 'migrated')).toHaveLength(6);
    expect(states.filter((s) => s === 'untouched')).toHaveLength(1);
  });

  it('pauses (running migrations finish, none starts), resumes, and reports progress', async () => {
    const users = legacyUsers(6);
    bench.emulator.faults.add({ route: '*', kind: 'latency', ms: 150 });
    await bench.withWorker(async (client) => {
      const fleetId = `p${run}`;
      const handle = await client.startMigrateFleet(fleetId, { users, liteLLMConcurrency: 8 });
      await eventually(async () => ((await client.fleetProgress(fleetId)).running > 0 ? true : undefined));
      const paused = await client.controlFleet(fleetId, 'pause');
      expect(paused.phase).toBe('paused');
      const drained = await eventually(async () => {
        const p = await client.fleetProgress(fleetId);
        return p.running === 0 ? p : undefined;
      });
      // Nothing starts while paused: the settled count holds still.
      await new Promise((r) => setTimeout(r, 1_000));
      const stillPaused = await client.fleetProgress(fleetId);
      expect(stillPaused).toMatchObject({ running: 0, completed: drained.completed, phase: 'paused' });
      expect(stillPaused.pending).toBeGreaterThan(0);
      expect(stillPaused.perMinute).toBeGreaterThan(0);
      expect(stillPaused.etaSeconds).not.toBeNull();
      await client.controlFleet(fleetId, 'resume');
      const result = await handle.result();
      expect(result).toMatchObject({ total: 6, completed: 6 });
      await expect(client.controlFleet(fleetId, 'pause')).rejects.toThrow(/finished|completed/);
      expect(handle.workflowId).toBe(fleetWorkflowId(fleetId));
    });
    expect(userStates(users)).toEqual(users.map(() => 'migrated'));
  });

  it('cancel rolls back the running migrations and starts no more', async () => {
    const users = legacyUsers(6);
    bench.emulator.faults.add({ route: '*', kind: 'latency', ms: 150 });
    const result = await bench.withWorker(async (client) => {
      const fleetId = `c${run}`;
      const handle = await client.startMigrateFleet(fleetId, { users, liteLLMConcurrency: 8 });
      await eventually(async () => ((await client.fleetProgress(fleetId)).running > 0 ? true : undefined));
      await client.controlFleet(fleetId, 'cancel');
      return handle.result();
    });
    expect(result.total).toBe(6);
    expect(result.cancelled).toBeGreaterThan(0);
    expect(result.outcomes.some((o) => o.status === 'not_started')).toBe(true);
    const states = userStates(users);
    expect(states).not.toContain('half-done');
    expect(states.filter((s) => s === 'migrated')).toHaveLength(result.completed);
  });

  it('refuses bad input in the worker too, naming the field, starting no migration', async () => {
    const failure = await bench.withWorker(async (client): Promise<unknown> =>
      client.client.workflow
        .execute('migrateFleet', {
          taskQueue: client.taskQueue,
          workflowId: fleetWorkflowId(`bad${run}`),
          args: [{ users: [{ orgId: 'o', userId: '', userSettings: { userVersion: 4 } }] }],
        })
        .catch((err: unknown) => err)
    );
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/users\.0\.userId/);
  });
});
