import { LiteLLMWorkflowsClient } from '../../src/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { eventually, MASTER_KEY, startBench, type Bench } from '../helpers/harness';
import { primeDefaultUser } from '../helpers/litellm-state';
import { startTsProcess, workerEnv, type CapturedProcess } from '../helpers/processes';
import { uniqueTaskQueue } from '../helpers/temporal';

let bench: Bench;
const started: CapturedProcess[] = [];

beforeAll(async () => {
  bench = await startBench();
});
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(2_000)));
  await bench?.stop();
});

function startWorker(taskQueue: string): CapturedProcess {
  const worker = startTsProcess('worker.ts', [], workerEnv(bench.env.address, taskQueue, bench.emulator.url));
  started.push(worker);
  return worker;
}

async function seedLegacyUser(): Promise<string> {
  bench.emulator.reset();
  await primeDefaultUser(bench.emulator, MASTER_KEY);
  bench.emulator.seed.team({ team_id: 'openhands-default' });
  bench.emulator.seed.user({ user_id: 'alice', max_budget: 20, spend: 4.5 });
  bench.emulator.seed.membership({ user_id: 'alice', team_id: 'openhands-default' });
  for (let i = 0; i < 3; i++) bench.emulator.seed.key({ user_id: 'alice', team_id: 'openhands-default' });
  return bench.emulator.seed.key({ user_id: 'alice', team_id: 'openhands-default' }).key;
}

describe('the worker process', () => {
  it('survives kill -9 in the middle of a migration: a new worker finishes it exactly', async () => {
    const storedKey = await seedLegacyUser();
    const taskQueue = uniqueTaskQueue('kill');
    const client = new LiteLLMWorkflowsClient(bench.env.client, taskQueue);
    // Slow key moves, so the kill lands while keys are being moved.
    bench.emulator.faults.add({ route: '/key/update', kind: 'latency', ms: 1_500 });
    const first = startWorker(taskQueue);
    const handle = await client.startMigrateEntries({
      orgId: 'alice',
      userId: 'alice',
      userSettings: { userVersion: 4, llmApiKey: storedKey, llmBaseUrl: bench.emulator.url },
    });
    await eventually(
      () => Promise.resolve(bench.emulator.journal().some((e) => e.path === '/key/update') ? true : undefined),
      60_000
    );
    first.child.kill('SIGKILL');
    await first.exited;

    startWorker(taskQueue);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'migrated', credits: 15.5, movedKeys: 4, storedKey: 'valid' });
    const state = bench.emulator.snapshot();
    expect(state.users.find((u) => u.user_id === 'alice')?.max_budget).toBe(UNLIMITED_USER_BUDGET);
    expect(state.teams.find((t) => t.team_id === 'alice')?.max_budget).toBe(15.5);
    expect(state.keys.filter((k) => k.user_id === 'alice').map((k) => k.team_id)).toEqual([
      'alice',
      'alice',
      'alice',
      'alice',
    ]);
    expect(state.memberships.filter((m) => m.user_id === 'alice' && m.team_id === 'alice')).toHaveLength(1);
  });

  it('stops on SIGTERM after in-flight work, exits 0, and never logs a secret', async () => {
    const storedKey = await seedLegacyUser();
    const taskQueue = uniqueTaskQueue('term');
    const client = new LiteLLMWorkflowsClient(bench.env.client, taskQueue);
    const worker = startWorker(taskQueue);
    await client.executeMigrateEntries({
      orgId: 'alice',
      userId: 'alice',
      userSettings: { userVersion: 4, llmApiKey: storedKey, llmBaseUrl: bench.emulator.url },
    });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const output = worker.output();
    expect(output).not.toContain(MASTER_KEY);
    expect(output).not.toContain(storedKey);
  });
});
