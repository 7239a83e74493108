/**
 * `npm run bench`: the seed's sequential LiteLLM calls (bench/seed-baseline.ts) against the workflows, in
 * one run, each side on its own processes: the Temporal dev server (eager activity dispatch on), the LiteLLM
 * emulator (bench/emulator-process.ts, a fixed latency on every route) and the worker
 * (bench/worker-process.ts, the production worker's defaults, Node flags and malloc settings, and the
 * prebuilt workflow bundle); this
 * process is the client and the seed port. Prints a table and writes the figures as JSON to BENCH_JSON.
 *
 * Sizes, from flags or environment (flag wins): --latency-ms / BENCH_LATENCY_MS (20), --fan-out-members /
 * BENCH_FAN_OUT_MEMBERS (1000), --fleet-users / BENCH_FLEET_USERS (1000), --migrations / BENCH_MIGRATIONS
 * (100 concurrent), --singles / BENCH_SINGLES (21 single migrations per side: an odd count, enough for a
 * median that one noisy run does not move). BENCH_DEV_SERVER_ARGS adds
 * `temporal server start-dev` arguments; WORKER_* and LITELLM_MAX_CONNECTIONS pass to the worker.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import type { StateSnapshot } from '../emulator';
import { LiteLLMWorkflowsClient } from '../src/client';
import { freePort } from '../scripts/processes';
import { FAST_DEV_SERVER_ARGS } from '../scripts/temporal-cli';
import { loadWorkerConfig } from '../src/config';
import { configOrExit, parseEnv, positiveInt } from '../src/config-fields';
import { workflowBundleOptions } from '../src/workflow-bundle';
import { createTestEnvironment, TEST_ENCRYPTION_KEYS_SPEC, testDataConverter } from '../test/helpers/temporal';
import { forkChild, forkWorker, type ChildHandle } from './ipc';
import { cpuDiff, cpuNow, cpuText, cpuTotal, persistenceShare, persistenceTotals } from './probes';
import {
  checkMigrated,
  checkTeamBudget,
  compareMigrations,
  DEFAULT_TEAM_ID,
  migrateBaseline,
  migrateWorkflow,
  migrationInput,
  NEW_BUDGET,
  teamState,
  type LegacyUser,
} from './scenarios';
import { SeedLiteLlmManager } from './seed-baseline';
import * as fmt from './stats';

const MASTER_KEY = 'sk-bench-master-key-0123456789';
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function sizes() {
  const { values } = parseArgs({
    options: {
      'latency-ms': { type: 'string' },
      'fan-out-members': { type: 'string' },
      'fleet-users': { type: 'string' },
      migrations: { type: 'string' },
      singles: { type: 'string' },
    },
    strict: true,
  });
  // A flag wins over its variable; both go through the project's configuration fields (exit 2 naming it).
  const flags = {
    BENCH_LATENCY_MS: values['latency-ms'],
    BENCH_FAN_OUT_MEMBERS: values['fan-out-members'],
    BENCH_FLEET_USERS: values['fleet-users'],
    BENCH_MIGRATIONS: values.migrations,
    BENCH_SINGLES: values.singles,
  };
  const env = { ...process.env, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  const knobs = configOrExit(() =>
    parseEnv(
      z.object({
        BENCH_LATENCY_MS: positiveInt.default(20),
        BENCH_FAN_OUT_MEMBERS: positiveInt.default(1000),
        BENCH_FLEET_USERS: positiveInt.default(1000),
        BENCH_MIGRATIONS: positiveInt.default(100),
        BENCH_SINGLES: positiveInt.default(21),
      }),
      env
    )
  );
  return {
    latencyMs: knobs.BENCH_LATENCY_MS,
    fanOutMembers: knobs.BENCH_FAN_OUT_MEMBERS,
    fleetUsers: knobs.BENCH_FLEET_USERS,
    migrations: knobs.BENCH_MIGRATIONS,
    singles: knobs.BENCH_SINGLES,
  };
}

const TARGETS = {
  singleMigrationRatio: 1,
  fanOutRatio: 10,
  fleetRatio: 3,
  eventsPerMigration: 40,
  workerRssMb: 250,
};

async function timedMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function main(): Promise<number> {
  const size = sizes();
  const load = { start: loadavg() };
  Runtime.install({
    logger: new DefaultLogger('WARN', (e) => process.stderr.write(`[${e.level}] ${e.message}\n`)),
  });
  const stops: Array<() => Promise<void>> = [];
  const bundlePath = join(tmpdir(), `litellm-bench-bundle-${randomUUID()}.js`);
  try {
    log('starting the Temporal dev server (eager activity dispatch on), the emulator process…');
    const devServerArgs = (process.env.BENCH_DEV_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean);
    const metricsPort = await freePort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const [env, emulator, bundle] = await Promise.all([
      createTestEnvironment({
        extraArgs: [...FAST_DEV_SERVER_ARGS, '--metrics-port', String(metricsPort), ...devServerArgs],
      }),
      forkChild(require.resolve('./emulator-process'), {
        BENCH_MASTER_KEY: MASTER_KEY,
        BENCH_LATENCY_MS: String(size.latencyMs),
      }),
      bundleWorkflowCode(workflowBundleOptions(new DefaultLogger('WARN'))),
    ]);
    stops.push(
      () => env.teardown(),
      () => emulator.stop()
    );
    writeFileSync(bundlePath, bundle.code);
    const emulatorUrl = await emulator.call<string>('url');
    const taskQueue = `bench-${randomUUID()}`;
    const workerEnv: Record<string, string> = {
      TEMPORAL_ADDRESS: env.address,
      LITELLM_TASK_QUEUE: taskQueue,
      LITELLM_API_URL: emulatorUrl,
      LITELLM_API_KEY: MASTER_KEY,
      LITELLM_DEFAULT_TEAM_ID: DEFAULT_TEAM_ID,
      LITELLM_WORKFLOWS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_SPEC,
      BENCH_WORKFLOW_BUNDLE: bundlePath,
    };
    const config = loadWorkerConfig({ ...process.env, ...workerEnv });
    log('starting the worker process…');
    const worker: ChildHandle = await forkWorker(require.resolve('./worker-process'), workerEnv);
    stops.push(() => worker.stop());
    const pids = { worker: worker.pid, emulator: emulator.pid };
    const client = new LiteLLMWorkflowsClient(
      new Client({ connection: env.connection, namespace: env.namespace, dataConverter: testDataConverter() }),
      taskQueue
    );
    const seed = new SeedLiteLlmManager({
      apiUrl: config.litellm.baseUrl,
      apiKey: MASTER_KEY,
      orgSettingsVersion: config.provisioning.orgSettingsVersion,
      defaultModel: config.provisioning.defaultModel,
    });
    const baseUrl = config.litellm.baseUrl;
    const metadata = { version: config.provisioning.orgSettingsVersion, model: config.provisioning.defaultModel };
    const users = (prefix: string, n: number, keys = 1) =>
      emulator.call<LegacyUser[]>('seedLegacyUsers', prefix, n, keys);
    const problems: string[] = [];
    const pairs: Array<[string, string]> = [];

    log('warming up…');
    const [wb, ww] = [await users('warm-seed', 3), await users('warm-wf', 3)];
    for (let i = 0; i < 3; i++) {
      await migrateBaseline(seed, wb[i]!, baseUrl);
      await migrateWorkflow(client, ww[i]!, baseUrl);
    }
    await emulator.call('seedTeam', 'warm-team', 20, metadata);
    await client.executeSetTeamBudget({ teamId: 'warm-team', maxBudget: NEW_BUDGET });

    // 1. One migration alone, alternating sides.
    log(`single migrations (${size.singles} per side)…`);
    const singleSeed = await users('single-seed', size.singles);
    const singleWf = await users('single-wf', size.singles);
    const singles = { seed: [] as number[], workflow: [] as number[] };
    for (let i = 0; i < size.singles; i++) {
      singles.seed.push(await timedMs(() => migrateBaseline(seed, singleSeed[i]!, baseUrl)));
      singles.workflow.push(await timedMs(() => migrateWorkflow(client, singleWf[i]!, baseUrl)));
      pairs.push([singleSeed[i]!.userId, singleWf[i]!.userId]);
    }

    // 2. History events of one migration with two keys.
    const [twoSeed] = await users('two-keys-seed', 1, 2);
    const [twoWf] = await users('two-keys-wf', 1, 2);
    await migrateBaseline(seed, twoSeed!, baseUrl, 2);
    const twoKeysId = await client.startMigrateEntries(migrationInput(twoWf!, baseUrl));
    await twoKeysId.result();
    const eventsPerMigration = (await twoKeysId.fetchHistory()).events?.length ?? Number.NaN;
    pairs.push([twoSeed!.userId, twoWf!.userId]);

    // 3. Concurrent migrations: the seed port one after the other, the workflows all at once.
    log(`${size.migrations} migrations: seed sequential, then workflows concurrently…`);
    const batchSeed = await users('batch-seed', size.migrations);
    const batchWf = await users('batch-wf', size.migrations);
    const seedBatchMs = await timedMs(async () => {
      for (const user of batchSeed) await migrateBaseline(seed, user, baseUrl);
    });
    await worker.call('resetPeak');
    const wfBatchMs = await timedMs(() => Promise.all(batchWf.map((u) => migrateWorkflow(client, u, baseUrl))));
    const workerMemory = await worker.call<{ rssMb: number; peakRssMb: number }>('memory');
    batchSeed.forEach((u, i) => pairs.push([u.userId, batchWf[i]!.userId]));
    const seedPerSecond = (size.migrations / seedBatchMs) * 1000;
    const wfPerSecond = (size.migrations / wfBatchMs) * 1000;

    // 4. Team budget fan-out at the default concurrency.
    log(`fan-out of ${size.fanOutMembers} members: seed loop, then the workflow…`);
    await emulator.call('seedTeam', 'fan-seed', size.fanOutMembers, metadata);
    await emulator.call('seedTeam', 'fan-wf', size.fanOutMembers, metadata);
    const fanSeedMs = await timedMs(() => seed.updateTeamAndUsersBudget('fan-seed', NEW_BUDGET));
    const fanCpu0 = cpuNow(pids);
    const fanWfMs = await timedMs(() => client.executeSetTeamBudget({ teamId: 'fan-wf', maxBudget: NEW_BUDGET }));
    const fanCpu = cpuDiff(fanCpu0, cpuNow(pids));

    // 5. The fleet: every user a child migration through the window.
    log(`fleet of ${size.fleetUsers} users…`);
    const fleet = await users('fleet', size.fleetUsers);
    const fleetId = `bench-${randomUUID()}`;
    const fleetCpu0 = cpuNow(pids);
    const fleetPersistence0 = await persistenceTotals(metricsUrl);
    const fleetStart = performance.now();
    const handle = await client.startMigrateFleet(fleetId, { users: fleet.map((u) => migrationInput(u, baseUrl)) });
    const ticker = setInterval(() => {
      client.fleetProgress(fleetId).then(
        (p) =>
          log(
            `fleet: ${p.completed} done, ${p.failed} failed, ${p.rolledBack} rolled back, ${p.running} running, ` +
              `${p.perMinute}/min, ETA ${p.etaSeconds ?? '?'} s`
          ),
        () => undefined
      );
    }, 10_000);
    const fleetResult = await handle.result().finally(() => clearInterval(ticker));
    const fleetMs = performance.now() - fleetStart;
    const fleetCpu = cpuDiff(fleetCpu0, cpuNow(pids));
    const fleetPersistence = persistenceShare(
      fleetPersistence0,
      await persistenceTotals(metricsUrl),
      fleetMs,
      size.fleetUsers
    );
    const fleetPerSecond = (fleetResult.completed / fleetMs) * 1000;

    // End state: the seed port and the workflows left LiteLLM the same.
    const snapshot = await emulator.call<StateSnapshot>('snapshot');
    problems.push(...compareMigrations(snapshot, pairs));
    const fanSeed = teamState(snapshot, 'fan-seed');
    const fanWf = teamState(snapshot, 'fan-wf');
    problems.push(...checkTeamBudget(fanSeed, size.fanOutMembers).map((p) => `fan-out seed: ${p}`));
    problems.push(...checkTeamBudget(fanWf, size.fanOutMembers).map((p) => `fan-out workflow: ${p}`));
    if (!isDeepStrictEqual(fanSeed, fanWf)) problems.push('fan-out: different team states');
    for (const u of fleet) problems.push(...checkMigrated(snapshot, u.userId).map((p) => `fleet ${u.userId}: ${p}`));
    if (!snapshot.teams.some((t) => t.team_id === DEFAULT_TEAM_ID)) problems.push('default team is gone');

    const seedP50 = fmt.percentile(singles.seed, 50);
    const wfP50 = fmt.percentile(singles.workflow, 50);
    const result = {
      latencyMs: size.latencyMs,
      singleMigrationRatio: seedP50 / wfP50,
      singleMigrationP50Ms: { seed: seedP50, workflow: wfP50 },
      fanOutRatio: fanSeedMs / fanWfMs,
      fanOutMembers: size.fanOutMembers,
      fanOutMs: { seed: fanSeedMs, workflow: fanWfMs },
      migrationsConcurrent: size.migrations,
      migrationsPerSecond: { seed: seedPerSecond, workflow: wfPerSecond },
      migrationsRatio: wfPerSecond / seedPerSecond,
      fleetRatio: fleetPerSecond / seedPerSecond,
      fleetUsers: size.fleetUsers,
      fleetCompleted: fleetResult.completed === size.fleetUsers,
      fleetOutcome: { ...fleetResult, outcomes: undefined },
      fleetPerSecond,
      fleetCpuSecondsPerMigration: {
        ...Object.fromEntries(Object.entries(fleetCpu).map(([k, v]) => [k, v / size.fleetUsers])),
        total: cpuTotal(fleetCpu) / size.fleetUsers,
      },
      fleetCpuShareOfMachine: cpuTotal(fleetCpu) / (fleetMs / 1000) / cpus().length,
      fleetPersistence,
      eventsPerMigration,
      workerRssMb: workerMemory.peakRssMb,
      endStateIdentical: problems.length === 0,
      problems: problems.slice(0, 20),
      machine: { cores: cpus().length, loadAverageStart: load.start, loadAverageEnd: loadavg() },
    };

    const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const rows = [
      [
        'one migration alone, p50',
        fmt.ms(seedP50),
        fmt.ms(wfP50),
        fmt.ratio(result.singleMigrationRatio),
        '≥ 1.0×',
        pass(result.singleMigrationRatio >= TARGETS.singleMigrationRatio),
      ],
      [
        `${size.migrations} migrations, throughput`,
        fmt.perSecond(seedPerSecond, 'migr'),
        fmt.perSecond(wfPerSecond, 'migr'),
        fmt.ratio(result.migrationsRatio),
        'informative',
        '',
      ],
      [
        `fan-out ${size.fanOutMembers} members (default concurrency)`,
        fmt.seconds(fanSeedMs),
        fmt.seconds(fanWfMs),
        fmt.ratio(result.fanOutRatio),
        '≥ 10×',
        pass(result.fanOutRatio >= TARGETS.fanOutRatio),
      ],
      [
        `fleet ${size.fleetUsers} users, throughput (seed: sequential rate above)`,
        fmt.perSecond(seedPerSecond, 'migr'),
        `${fmt.perSecond(fleetPerSecond, 'migr')} (${fleetResult.completed} completed, ${fleetResult.failed + fleetResult.rolledBack} not)`,
        fmt.ratio(result.fleetRatio),
        '≥ 3×, completes',
        pass(result.fleetRatio >= TARGETS.fleetRatio && result.fleetCompleted),
      ],
      ['fleet CPU per migration', '', cpuText(fleetCpu, size.fleetUsers), '', 'informative', ''],
      [
        'fleet CPU, share of the machine',
        '',
        `${(result.fleetCpuShareOfMachine * 100).toFixed(0)}% of ${cpus().length} cores`,
        '',
        'informative',
        '',
      ],
      [
        'fleet persistence (dev server: one SQLite connection)',
        '',
        `${fleetPersistence.requestsPerMigration.toFixed(0)} requests per migration ` +
          `(${fleetPersistence.workflowUpdatesPerMigration.toFixed(0)} workflow updates); ` +
          `${fleetPersistence.inFlightAverage.toFixed(1)} in flight on average`,
        '',
        'informative',
        '',
      ],
      ['fan-out CPU (whole run)', '', cpuText(fanCpu, 1), '', 'informative', ''],
      [
        'history events per migration (two keys)',
        '',
        String(eventsPerMigration),
        '',
        '≤ 40',
        pass(eventsPerMigration <= TARGETS.eventsPerMigration),
      ],
      [
        `worker RSS peak at ${size.migrations} concurrent migrations`,
        '',
        `${workerMemory.peakRssMb.toFixed(0)} MB`,
        '',
        '≤ 250 MB',
        pass(workerMemory.peakRssMb <= TARGETS.workerRssMb),
      ],
      [
        'end state seed vs workflow',
        'budgets, memberships, keys',
        problems.length === 0 ? 'identical' : `${problems.length} difference(s)`,
        '',
        'identical',
        pass(problems.length === 0),
      ],
    ];
    process.stdout.write(
      [
        '',
        `litellm-workflows bench — emulator latency ${size.latencyMs} ms; ${cpus().length} cores, load average ` +
          `${load.start.map((l) => l.toFixed(1)).join('/')} at start, ${loadavg()
            .map((l) => l.toFixed(1))
            .join('/')} at end`,
        '',
        fmt.renderTable(
          ['measurement', 'seed (sequential HTTP)', 'workflow', 'ratio (>1: workflow better)', 'target', 'result'],
          rows
        ),
        '',
        ...problems.slice(0, 5).map((p) => `difference: ${p}`),
        '',
      ].join('\n')
    );
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(result, null, 2)}\n`);
    return rows.every((r) => r[5] !== 'FAIL') ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(bundlePath, { force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
);
