import { freePort } from '../../scripts/processes';
import { LiteLLMWorkflowsClient } from '../../src/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { eventually, MASTER_KEY, useBench } from '../helpers/harness';
import { primeDefaultUser, stepFailure } from '../helpers/litellm-state';
import { startTsProcess, workerEnv, type CapturedProcess } from '../helpers/processes';
import { uniqueTaskQueue } from '../helpers/temporal';

const started: CapturedProcess[] = [];
// Registered before the bench's hooks, so the workers stop before their Temporal server does.
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(2_000)));
});
const bench = useBench({ resetBeforeEach: false });

function startWorker(taskQueue: string, env: NodeJS.ProcessEnv = {}): CapturedProcess {
  const worker = startTsProcess('worker.ts', [], {
    ...workerEnv(bench.env.address, taskQueue, bench.emulator.url),
    ...env,
  });
  started.push(worker);
  return worker;
}

/** A legacy user with four keys, under an id of the test's own (no test reuses another's workflow id). */
async function seedLegacyUser(userId: string): Promise<string> {
  bench.emulator.reset();
  await primeDefaultUser(bench.emulator, MASTER_KEY);
  bench.emulator.seed.team({ team_id: 'openhands-default' });
  bench.emulator.seed.user({ user_id: userId, max_budget: 20, spend: 4.5 });
  bench.emulator.seed.membership({ user_id: userId, team_id: 'openhands-default' });
  for (let i = 0; i < 3; i++) bench.emulator.seed.key({ user_id: userId, team_id: 'openhands-default' });
  return bench.emulator.seed.key({ user_id: userId, team_id: 'openhands-default' }).key;
}

/** Waits for an event for as long as the test may run (jest's timeout), not for a fixed wall-clock deadline. */
const untilTestTimeout = Number.POSITIVE_INFINITY;

describe('the worker process', () => {
  it('survives kill -9 in the middle of a migration: a new worker finishes it exactly', async () => {
    const user = 'wp-kill';
    const storedKey = await seedLegacyUser(user);
    const taskQueue = uniqueTaskQueue('kill');
    const client = new LiteLLMWorkflowsClient(bench.env.client, taskQueue);
    // Slow key moves, so the kill lands while keys are being moved.
    bench.emulator.faults.add({ route: '/key/update', kind: 'latency', ms: 1_500 });
    const first = startWorker(taskQueue);
    const handle = await client.startMigrateEntries({
      orgId: user,
      userId: user,
      userSettings: { userVersion: 4, llmApiKey: storedKey, llmBaseUrl: bench.emulator.url },
    });
    await eventually(
      () => Promise.resolve(bench.emulator.journal().some((e) => e.path === '/key/update') ? true : undefined),
      untilTestTimeout
    );
    first.child.kill('SIGKILL');
    await first.exited;

    startWorker(taskQueue);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'migrated', credits: 15.5, movedKeys: 4, storedKey: 'valid' });
    const state = bench.emulator.snapshot();
    expect(state.users.find((u) => u.user_id === user)?.max_budget).toBe(UNLIMITED_USER_BUDGET);
    expect(state.teams.find((t) => t.team_id === user)?.max_budget).toBe(15.5);
    expect(state.keys.filter((k) => k.user_id === user).map((k) => k.team_id)).toEqual([user, user, user, user]);
    expect(state.memberships.filter((m) => m.user_id === user && m.team_id === user)).toHaveLength(1);
  });

  it('stops on SIGTERM after in-flight work, exits 0, and never logs a secret', async () => {
    const user = 'wp-term';
    const storedKey = await seedLegacyUser(user);
    const taskQueue = uniqueTaskQueue('term');
    const client = new LiteLLMWorkflowsClient(bench.env.client, taskQueue);
    // A slow member_add is in flight when the signal arrives: it must finish, not be abandoned.
    bench.emulator.faults.add({ route: '/team/member_add', kind: 'latency', ms: 2_500, times: 1 });
    const worker = startWorker(taskQueue);
    const handle = await client.startMigrateEntries({
      orgId: user,
      userId: user,
      userSettings: { userVersion: 4, llmApiKey: storedKey, llmBaseUrl: bench.emulator.url },
    });
    await memberAddReachedLiteLLM();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(
      bench.emulator
        .journal()
        .filter((e) => e.path === '/team/member_add')
        .map((e) => e.status)
    ).toEqual([200]);

    startWorker(taskQueue);
    await expect(handle.result()).resolves.toMatchObject({ status: 'migrated', movedKeys: 4 });
    const output = worker.output();
    expect(output).not.toContain(MASTER_KEY);
    expect(output).not.toContain(storedKey);
  });

  it('a second signal during the grace time forces the exit', async () => {
    const user = 'wp-force';
    await seedLegacyUser(user);
    const taskQueue = uniqueTaskQueue('force');
    const client = new LiteLLMWorkflowsClient(bench.env.client, taskQueue);
    bench.emulator.faults.add({ route: '/team/member_add', kind: 'hang', times: 1 });
    const worker = startWorker(taskQueue, { WORKER_SHUTDOWN_GRACE_MS: '60000' });
    const handle = await client.startMigrateEntries({
      orgId: user,
      userId: user,
      userSettings: { userVersion: 4 },
    });
    await memberAddReachedLiteLLM();
    worker.child.kill('SIGTERM');
    // Still draining: the hung call holds it for up to the grace time.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(worker.child.exitCode).toBeNull();
    const forcedAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.exited;
    // Forced: well inside the 60 s grace it would otherwise have waited (generous for a loaded machine).
    expect(Date.now() - forcedAt).toBeLessThan(30_000);
    await handle.terminate('test finished');
  });
});

/**
 * In flight means LiteLLM has the request: the one-shot fault on `/team/member_add` expires once the emulator
 * applied it (a step shown as running may still be queued for the worker, which would then never start it).
 */
function memberAddReachedLiteLLM(): Promise<true> {
  return eventually(
    () => Promise.resolve(bench.emulator.faults.list().some((r) => r.route === '/team/member_add') ? undefined : true),
    untilTestTimeout
  );
}

/** Sum of the samples of `name` whose labels include `labels`, from Prometheus' text format; 0 when none. */
function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]])
    );
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

describe("the worker's metrics", () => {
  it('exports LiteLLM calls, compensations and operator waits, and counts nothing again on replay', async () => {
    await seedLegacyUser('wp-metrics-a');
    bench.emulator.seed.user({ user_id: 'wp-metrics-b', max_budget: 10 });
    bench.emulator.seed.membership({ user_id: 'wp-metrics-b', team_id: 'openhands-default' });
    const taskQueue = uniqueTaskQueue('metrics');
    const client = new LiteLLMWorkflowsClient(bench.env.client, taskQueue);
    const firstPort = await freePort();
    const first = startWorker(taskQueue, { METRICS_BIND_ADDRESS: `127.0.0.1:${firstPort}` });

    // alice: a failure for good, rolled back at once: three undos (the failed step's own included).
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    await expect(
      client.executeMigrateEntries({ orgId: 'wp-metrics-a', userId: 'wp-metrics-a', userSettings: { userVersion: 4 } })
    ).rejects.toThrow();
    // bob: the same failure waits for an operator.
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    const bob = await client.startMigrateEntries({
      orgId: 'wp-metrics-b',
      userId: 'wp-metrics-b',
      userSettings: { userVersion: 4 },
      failurePolicy: { onFailure: 'pause' },
    });
    await eventually(
      async () => ((await client.getState(bob.workflowId)).awaiting ? true : undefined),
      untilTestTimeout
    );

    const metrics = await scrape(firstPort);
    expect(metricValue(metrics, 'litellm_calls_total', { route: '/team/member_add', status: '400' })).toBe(2);
    expect(metricValue(metrics, 'litellm_calls_total', { route: '/team/new', status: '200' })).toBe(2);
    expect(
      metricValue(metrics, 'litellm_compensations_total', { operation: 'migrateEntries', outcome: 'compensated' })
    ).toBe(3);
    expect(metricValue(metrics, 'litellm_awaiting_operator_total', { operation: 'migrateEntries' })).toBe(1);

    // A second worker takes over bob: it replays the wait (not counted again), then rolls back.
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const secondPort = await freePort();
    startWorker(taskQueue, { METRICS_BIND_ADDRESS: `127.0.0.1:${secondPort}` });
    await client.rollback(bob.workflowId);
    await expect(bob.result()).rejects.toThrow();
    const replayed = await scrape(secondPort);
    expect(
      metricValue(replayed, 'litellm_compensations_total', { operation: 'migrateEntries', outcome: 'compensated' })
    ).toBe(3);
    expect(metricValue(replayed, 'litellm_awaiting_operator_total', {})).toBe(0);
  });
});
