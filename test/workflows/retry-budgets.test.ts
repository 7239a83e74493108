/**
 * Retry budgets under transient faults (issue 10, items 6 and 7): a burst of errors must not roll a migration
 * back or leave a dead stored key in place; only a LiteLLM that stays down for the budget does that.
 */
import { openHandsCloudKeyAlias } from '../../src/domain/aliases';
import type { MigrateEntriesInput } from '../../src/workflows/definitions';
import { useBench } from '../helpers/harness';

const bench = useBench();
const DEFAULT_TEAM = 'openhands-default';

/** A legacy user with a personal budget, a key in the shared team, and a stored key LiteLLM no longer knows. */
function legacyUser(userId: string): MigrateEntriesInput {
  bench.emulator.seed.user({ user_id: userId, max_budget: 20, spend: 4.5 });
  bench.emulator.seed.membership({ user_id: userId, team_id: DEFAULT_TEAM });
  bench.emulator.seed.key({ user_id: userId, team_id: DEFAULT_TEAM, key_alias: `legacy ${userId}` });
  return {
    orgId: userId,
    userId,
    userSettings: { userVersion: 4, llmApiKey: `sk-dead-stored-key-of-${userId}`, llmBaseUrl: bench.emulator.url },
  };
}

beforeEach(() => {
  bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
});

describe('retry budgets', () => {
  it('a dead stored key is replaced after 429, 500, 429 from the key check, not kept as "unknown"', async () => {
    const input = legacyUser('rb-verify');
    const route = '/v1/models';
    bench.emulator.faults.add({ route, times: 1, kind: 'rate_limit', retryAfterSeconds: 0.2 });
    bench.emulator.faults.add({ route, after: 1, times: 1, kind: 'status', status: 500 });
    bench.emulator.faults.add({ route, after: 2, times: 1, kind: 'rate_limit', retryAfterSeconds: 0.2 });
    const result = await bench.withWorker((c) => c.executeMigrateEntries(input));
    expect(result.storedKey).toBe('invalid');
    expect(result.newKey).toMatch(/^sk-/);
  });

  it('a two-call step (user budget) failing more than 8 attempts in a row still completes within its time budget', async () => {
    const input = legacyUser('rb-update');
    // Each attempt of updateUser reads the user, then fails its write: 9 failed attempts, then LiteLLM recovers.
    bench.emulator.faults.add({ route: '/user/update', times: 9, kind: 'rate_limit', retryAfterSeconds: 0.2 });
    const result = await bench.withWorker((c) => c.executeMigrateEntries(input));
    expect(result).toMatchObject({ status: 'migrated', credits: 15.5, movedKeys: 1 });
  });

  it('under 30 % random faults every migration completes, every dead key is replaced exactly once', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `rb-random-${i}`);
    const inputs = users.map(legacyUser);
    bench.emulator.faults.add({ route: '*', kind: 'random', rate: 0.3, seed: 20261204 });
    const results = await bench.withWorker((c) =>
      Promise.all(inputs.map((i) => c.executeMigrateEntries(i).catch((err: unknown) => err)))
    );
    bench.emulator.faults.clear();
    expect(results.map((r) => (r instanceof Error ? r.message : (r as { status: string }).status))).toEqual(
      users.map(() => 'migrated')
    );
    expect(results.map((r) => (r as { storedKey: string }).storedKey)).toEqual(users.map(() => 'invalid'));
    expect(bench.emulator.journal().some((e) => e.fault?.startsWith('random:'))).toBe(true);
    const state = bench.emulator.snapshot();
    for (const userId of users) {
      const cloudKeys = state.keys.filter((k) => k.key_alias === openHandsCloudKeyAlias(userId, userId));
      expect(cloudKeys).toEqual([expect.objectContaining({ team_id: userId, user_id: userId })]);
      expect(state.keys.filter((k) => k.user_id === userId).every((k) => k.team_id === userId)).toBe(true);
    }
  });
});
