/**
 * `npm run bench`: the seed's sequential LiteLLM calls against the workflows, side by side in one run, on a
 * Temporal dev server, the LiteLLM emulator (a fixed latency on every call) and an in-process worker with the
 * project's real activities. Prints one table, a PASS/FAIL line per target; exit code 1 when one fails.
 *
 * Knobs (environment): BENCH_ROUNDS (up to 3: no round starts that would end past BENCH_BUDGET_S, 175 s after
 * the start), BENCH_LATENCY_MS (60: a LiteLLM proxy over the network whose admin routes
 * query PostgreSQL; at 15 ms the dev server's own per-step cost dominates, see the README), BENCH_TEAM_MEMBERS (400), BENCH_MIGRATIONS (40), BENCH_SINGLES (3 per round),
 * BENCH_TIMEOUT_MS (300000, hard stop); WORKER_MAX_CONCURRENT_ACTIVITIES and LITELLM_MAX_CONNECTIONS pass through
 * to the worker configuration (defaults: the worker's, 32 and 16); BENCH_DEV_SERVER_ARGS adds
 * `temporal server start-dev` arguments (e.g. `--dynamic-config-value=system.enableActivityEagerExecution=true`).
 */
import { cpus, loadavg } from 'node:os';
import { z } from 'zod';
import { configOrExit, parseEnv, positiveInt } from '../src/config-fields';
import { DEFAULT_TEAM_ID, startBenchEnvironment, type BenchEnvironment } from './environment';
import { memoryNow, MemorySampler, settledMemory, type MemoryPoint } from './memory';
import { totalRequests, type Cost } from './probes';
import {
  checkTeamBudget,
  compareMigrations,
  fanOutBaseline,
  fanOutControl,
  fanOutWorkflow,
  migrateBaseline,
  migrateWorkflow,
  seedLegacyUser,
  seedTeam,
  teamState,
  timed,
  type LegacyUser,
  type MeasureContext,
  type Timed,
} from './scenarios';
import { SeedLiteLlmManager } from './seed-baseline';
import { isDeepStrictEqual } from 'node:util';
import * as fmt from './stats';

/** The knobs, read through the project's configuration fields (plain positive integers, named when wrong). */
const knobs = configOrExit(() =>
  parseEnv(
    z.object({
      BENCH_ROUNDS: positiveInt.default(3),
      BENCH_LATENCY_MS: positiveInt.default(60),
      BENCH_TEAM_MEMBERS: positiveInt.default(400),
      BENCH_MIGRATIONS: positiveInt.default(40),
      BENCH_SINGLES: positiveInt.default(3),
      BENCH_BUDGET_S: positiveInt.default(175),
      BENCH_TIMEOUT_MS: positiveInt.default(300_000),
    }),
    process.env
  )
);

const CONFIG = {
  rounds: knobs.BENCH_ROUNDS,
  latencyMs: knobs.BENCH_LATENCY_MS,
  teamMembers: knobs.BENCH_TEAM_MEMBERS,
  migrations: knobs.BENCH_MIGRATIONS,
  singles: knobs.BENCH_SINGLES,
  budgetMs: knobs.BENCH_BUDGET_S * 1000,
  timeoutMs: knobs.BENCH_TIMEOUT_MS,
};

const TARGETS = { fanOutSpeedup: 3, migrationThroughput: 2, heapGrowthBytes: 150 * 2 ** 20 };

/** Worker settings a bench run may vary (everything else is the worker's defaults). */
const WORKER_KNOBS = [
  'WORKER_MAX_CONCURRENT_ACTIVITIES',
  'LITELLM_MAX_CONNECTIONS',
  'WORKER_MAX_ACTIVITIES_PER_SECOND',
];

type MigrationBatch = Timed<unknown> & { latencies: number[] };

interface RoundResult {
  fanOut: { baseline: Timed<unknown>; c8: Timed<unknown>; c16: Timed<unknown>; control: Timed<unknown> };
  migrations: { baseline: MigrationBatch; workflow: MigrationBatch };
  singles: { baseline: number[]; workflow: number[] };
  problems: string[];
}

const pad = (i: number) => String(i).padStart(3, '0');
const log = (line: string) => process.stderr.write(`${line}\n`);

function seedFor(b: BenchEnvironment): SeedLiteLlmManager {
  return new SeedLiteLlmManager({
    apiUrl: b.config.litellm.baseUrl,
    apiKey: b.config.litellm.masterKey,
    orgSettingsVersion: b.config.provisioning.orgSettingsVersion,
    defaultModel: b.config.provisioning.defaultModel,
  });
}

/** One round: fresh emulator state, then each scenario baseline and workflow, order alternating per round. */
async function runRound(
  b: BenchEnvironment,
  round: number,
  sizes: { members: number; migrations: number; singles: number }
): Promise<RoundResult> {
  const { emulator, client } = b;
  const seed = seedFor(b);
  const baseUrl = b.config.litellm.baseUrl;
  const problems: string[] = [];
  // Temporal requests of the workflow runs are counted in the first round only (each count waits for the dev
  // server to publish its counters). Round 1 runs the seed port first, so the counters are settled before.
  const ctx: MeasureContext = { emulator, metricsUrl: b.metricsUrl, countRequests: round === 1 && !!b.metricsUrl };
  const uncounted: MeasureContext = { ...ctx, countRequests: false };
  b.resetEmulator();
  const metadata = { version: b.config.provisioning.orgSettingsVersion, model: b.config.provisioning.defaultModel };
  const teams = {
    baseline: `team-${round}-seed`,
    c8: `team-${round}-c8`,
    c16: `team-${round}-c16`,
    control: `team-${round}-control`,
  };
  for (const team of Object.values(teams)) seedTeam(emulator, team, sizes.members, metadata);
  const users = (kind: string, n: number): LegacyUser[] =>
    Array.from({ length: n }, (_, i) => seedLegacyUser(emulator, `legacy-${round}-${kind}-${pad(i)}`));
  const batchUsers = { baseline: users('seed', sizes.migrations), workflow: users('wf', sizes.migrations) };
  const singleUsers = { baseline: users('seed1', sizes.singles), workflow: users('wf1', sizes.singles) };
  const workflowFirst = round % 2 === 0;

  // 1. Team budget fan-out.
  const fanOut: Partial<RoundResult['fanOut']> = {};
  const fanOrder = workflowFirst
    ? (['c8', 'c16', 'control', 'baseline'] as const)
    : (['baseline', 'c8', 'c16', 'control'] as const);
  for (const which of fanOrder) {
    fanOut[which] = await timed(which === 'baseline' ? uncounted : ctx, (): Promise<unknown> => {
      if (which === 'baseline') return fanOutBaseline(seed, teams.baseline);
      if (which === 'control') return fanOutControl(client, teams.control, sizes.members, 8);
      return fanOutWorkflow(client, teams[which], which === 'c8' ? 8 : 16);
    });
  }
  const snapshot1 = emulator.snapshot();
  const states = { baseline: teamState(snapshot1, teams.baseline), c8: teamState(snapshot1, teams.c8) };
  const c16State = teamState(snapshot1, teams.c16);
  for (const [which, state] of Object.entries({ ...states, c16: c16State })) {
    for (const p of checkTeamBudget(state, sizes.members)) problems.push(`fan-out ${which}: ${p}`);
  }
  for (const p of checkTeamBudget(teamState(snapshot1, teams.control), sizes.members, false)) {
    problems.push(`fan-out control: ${p}`);
  }
  if (!isDeepStrictEqual(states.baseline, states.c8) || !isDeepStrictEqual(states.baseline, c16State)) {
    problems.push('fan-out: the seed port and the workflow left different team states');
  }

  // 2. Migrations: the seed port one user after the other; the workflows all started at once.
  const migrateSequentially = async (): Promise<MigrationBatch> => {
    const latencies: number[] = [];
    const run = await timed(uncounted, async () => {
      for (const user of batchUsers.baseline) {
        const start = performance.now();
        await migrateBaseline(seed, user, baseUrl);
        latencies.push(performance.now() - start);
      }
    });
    return { ...run, latencies };
  };
  const migrateConcurrently = async (): Promise<MigrationBatch> => {
    const latencies: number[] = [];
    const run = await timed(ctx, () =>
      Promise.all(
        batchUsers.workflow.map(async (user) => {
          const start = performance.now();
          await migrateWorkflow(client, user, baseUrl);
          latencies.push(performance.now() - start);
        })
      )
    );
    return { ...run, latencies };
  };
  let baselineBatch: MigrationBatch;
  let workflowBatch: MigrationBatch;
  if (workflowFirst) {
    workflowBatch = await migrateConcurrently();
    baselineBatch = await migrateSequentially();
  } else {
    baselineBatch = await migrateSequentially();
    workflowBatch = await migrateConcurrently();
  }

  // 4. One migration alone, alternating seed port and workflow.
  const singles = { baseline: [] as number[], workflow: [] as number[] };
  for (let i = 0; i < sizes.singles; i++) {
    for (const which of workflowFirst ? (['workflow', 'baseline'] as const) : (['baseline', 'workflow'] as const)) {
      const user = singleUsers[which][i]!;
      const run = await timed(uncounted, async (): Promise<unknown> =>
        which === 'baseline' ? migrateBaseline(seed, user, baseUrl) : migrateWorkflow(client, user, baseUrl)
      );
      singles[which].push(run.wallMs);
    }
  }

  const snapshot2 = emulator.snapshot();
  const pairs = (a: LegacyUser[], w: LegacyUser[]) => a.map((u, i): [string, string] => [u.userId, w[i]!.userId]);
  problems.push(
    ...compareMigrations(snapshot2, [
      ...pairs(batchUsers.baseline, batchUsers.workflow),
      ...pairs(singleUsers.baseline, singleUsers.workflow),
    ])
  );
  // The legacy shared team stays (migrations move keys out of it, never delete it).
  if (!snapshot2.teams.some((t) => t.team_id === DEFAULT_TEAM_ID)) problems.push('default team is gone');

  return {
    fanOut: fanOut as RoundResult['fanOut'],
    migrations: { baseline: baselineBatch, workflow: workflowBatch },
    singles,
    problems,
  };
}

/** Same scenarios, small, not measured: JIT, connection pools, workflow bundle and worker caches warm. */
async function warmUp(b: BenchEnvironment): Promise<void> {
  await runRound(b, 0, { members: 24, migrations: 4, singles: 1 }).then((r) => {
    if (r.problems.length > 0) throw new Error(`warm-up: ${r.problems.join('; ')}`);
  });
  b.resetEmulator();
}

interface Verdict {
  name: string;
  pass: boolean;
  detail: string;
}

const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${fmt.mb(bytes)}`;

/** CPU of this process and of the dev server as percent of one core over the wall time ("120% / 85%"). */
function cpuShare(costs: Array<{ cost: Cost; wallMs: number }>): string {
  const pct = (pick: (c: Cost) => number) =>
    fmt.median(costs.map(({ cost, wallMs }) => (pick(cost) / (wallMs / 1000)) * 100));
  const self = pct((c) => c.selfCpu);
  const server = pct((c) => c.serverCpu);
  return `${self.toFixed(0)}% / ${Number.isFinite(server) ? `${server.toFixed(0)}%` : 'n/a'}`;
}

/** Temporal frontend requests per LiteLLM call, and heartbeats among them (first round). */
function requestsPerCall(run: Timed<unknown> | undefined): string {
  if (!run) return 'n/a';
  const total = totalRequests(run.cost);
  if (!Number.isFinite(total)) return 'n/a';
  const heartbeats = run.cost.requests.get('RecordActivityTaskHeartbeat') ?? 0;
  return `${(total / run.calls).toFixed(1)} (${(heartbeats / run.calls).toFixed(1)} heartbeats)`;
}

function report(
  b: BenchEnvironment,
  rounds: RoundResult[],
  memory: { start: MemoryPoint; before: MemoryPoint; after: MemoryPoint; peak: MemoryPoint; samples: number },
  elapsedMs: number,
  load: { start: number[]; end: number[] }
): Verdict[] {
  const { teamMembers: members, migrations: n } = CONFIG;
  const per = <T>(pick: (r: RoundResult) => T): T[] => rounds.map(pick);
  const fanBase = per((r) => r.fanOut.baseline.wallMs);
  const fanWall = (which: 'c8' | 'c16' | 'control') => per((r) => r.fanOut[which].wallMs);
  const fanSpeedup = (which: 'c8' | 'c16' | 'control') => per((r) => r.fanOut.baseline.wallMs / r.fanOut[which].wallMs);
  const callRate = (t: Timed<unknown>) => (t.calls / t.wallMs) * 1000;
  const callRates = (pick: (r: RoundResult) => Timed<unknown>) =>
    fmt.summary(
      per((r) => callRate(pick(r))),
      (v) => v.toFixed(0)
    );
  const throughput = (m: MigrationBatch) => (m.latencies.length / m.wallMs) * 1000;
  const tpBase = per((r) => throughput(r.migrations.baseline));
  const tpWf = per((r) => throughput(r.migrations.workflow));
  const latBase = rounds.flatMap((r) => r.migrations.baseline.latencies);
  const latWf = rounds.flatMap((r) => r.migrations.workflow.latencies);
  const singleBase = rounds.flatMap((r) => r.singles.baseline);
  const singleWf = rounds.flatMap((r) => r.singles.workflow);
  const problems = rounds.flatMap((r) => r.problems);
  const growth = memory.after.heapUsed - memory.before.heapUsed;
  const first = rounds[0];

  // Targets are judged on the median of per-round ratios (each round compares runs made minutes apart).
  const speedup = fmt.median(fanSpeedup('c8'));
  const tpRatios = per((r) => throughput(r.migrations.workflow) / throughput(r.migrations.baseline));
  const tpGain = fmt.median(tpRatios);
  const verdicts: Verdict[] = [
    {
      name: `team budget fan-out (${members} members), workflow at concurrency 8 vs the seed loop`,
      pass: speedup >= TARGETS.fanOutSpeedup,
      detail: `${fmt.ratio(speedup)} as fast, target ≥ ${TARGETS.fanOutSpeedup}×`,
    },
    {
      name: `${n} concurrent migrations, throughput vs the sequential seed port`,
      pass: tpGain >= TARGETS.migrationThroughput,
      detail: `${fmt.ratio(tpGain)}, target ≥ ${TARGETS.migrationThroughput}×`,
    },
    {
      name: 'worker heap growth after the runs',
      pass: growth < TARGETS.heapGrowthBytes,
      detail: `${fmt.mb(growth)}, target < ${fmt.mb(TARGETS.heapGrowthBytes)}`,
    },
    {
      name: 'same end state in LiteLLM (seed port vs workflow, every round)',
      pass: problems.length === 0,
      detail:
        problems.length === 0 ? 'identical' : `${problems.length} difference(s): ${problems.slice(0, 3).join('; ')}`,
    },
  ];
  const verdictOf = (i: number) => (verdicts[i]!.pass ? 'PASS' : 'FAIL');
  const pctl = (v: number[]) => `${fmt.ms(fmt.percentile(v, 50))} / ${fmt.ms(fmt.percentile(v, 95))}`;
  const range = (v: number[]) => `${fmt.ms(fmt.median(v))} (${fmt.ms(fmt.min(v))}–${fmt.ms(fmt.max(v))})`;

  const rows: string[][] = [
    [
      `1 fan-out ${members} members: wall`,
      fmt.summary(fanBase, fmt.seconds),
      `c=8: ${fmt.summary(fanWall('c8'), fmt.seconds)}`,
      fmt.summary(fanSpeedup('c8'), fmt.ratio),
      `≥ ${TARGETS.fanOutSpeedup}×`,
      verdictOf(0),
    ],
    [
      `1 fan-out ${members} members: wall`,
      '(same)',
      `c=16: ${fmt.summary(fanWall('c16'), fmt.seconds)}`,
      fmt.summary(fanSpeedup('c16'), fmt.ratio),
      'informative',
      '',
    ],
    [
      '1 control: bare Temporal fan-out, c=8',
      '(same)',
      `${fmt.summary(fanWall('control'), fmt.seconds)}`,
      fmt.summary(fanSpeedup('control'), fmt.ratio),
      'platform floor',
      '',
    ],
    [
      '1 fan-out: LiteLLM calls/s (calls/run)',
      `${callRates((r) => r.fanOut.baseline)} (${first?.fanOut.baseline.calls ?? 0})`,
      `c=8: ${callRates((r) => r.fanOut.c8)} (${first?.fanOut.c8.calls ?? 0}); c=16: ${callRates((r) => r.fanOut.c16)}; control: ${callRates((r) => r.fanOut.control)}`,
      '',
      'informative',
      '',
    ],
    [
      '1 fan-out CPU, % of a core: bench process / dev server',
      cpuShare(per((r) => r.fanOut.baseline)),
      `c=8: ${cpuShare(per((r) => r.fanOut.c8))}; c=16: ${cpuShare(per((r) => r.fanOut.c16))}`,
      '',
      '2 cores = 200%',
      '',
    ],
    [
      `2 ${n} migrations: total wall`,
      fmt.summary(
        per((r) => r.migrations.baseline.wallMs),
        fmt.seconds
      ),
      fmt.summary(
        per((r) => r.migrations.workflow.wallMs),
        fmt.seconds
      ),
      fmt.summary(
        per((r) => r.migrations.baseline.wallMs / r.migrations.workflow.wallMs),
        fmt.ratio
      ),
      '',
      '',
    ],
    [
      `2 ${n} migrations: throughput`,
      fmt.summary(tpBase, (v) => fmt.perSecond(v, 'migr')),
      fmt.summary(tpWf, (v) => fmt.perSecond(v, 'migr')),
      fmt.summary(tpRatios, fmt.ratio),
      `≥ ${TARGETS.migrationThroughput}×`,
      verdictOf(1),
    ],
    ['2 per-migration latency p50 / p95', pctl(latBase), pctl(latWf), '', 'informative', ''],
    [
      '2 LiteLLM calls per migration',
      ((first?.migrations.baseline.calls ?? 0) / n).toFixed(1),
      ((first?.migrations.workflow.calls ?? 0) / n).toFixed(1),
      '',
      'informative',
      '',
    ],
    [
      '2 migrations CPU, % of a core: bench process / dev server',
      cpuShare(per((r) => r.migrations.baseline)),
      cpuShare(per((r) => r.migrations.workflow)),
      '',
      '2 cores = 200%',
      '',
    ],
    [
      '1+2 Temporal requests per LiteLLM call (round 1)',
      '0',
      `fan-out c=8: ${requestsPerCall(first?.fanOut.c8)}; control: ${requestsPerCall(first?.fanOut.control)}; migrations: ${requestsPerCall(first?.migrations.workflow)}`,
      '',
      'informative',
      '',
    ],
    [
      '1+2 end state seed port vs workflow',
      'all budgets, memberships, keys',
      problems.length === 0 ? 'identical' : `${problems.length} difference(s)`,
      '',
      'identical',
      verdictOf(3),
    ],
    [
      '3 process RSS: before → after (peak)',
      `start ${fmt.mb(memory.start.rss)}, before ${fmt.mb(memory.before.rss)}`,
      `after ${fmt.mb(memory.after.rss)} (peak ${fmt.mb(memory.peak.rss)})`,
      signed(memory.after.rss - memory.before.rss),
      'informative',
      '',
    ],
    [
      '3 heapUsed after full GC: before → after (peak)',
      `before ${fmt.mb(memory.before.heapUsed)}`,
      `after ${fmt.mb(memory.after.heapUsed)} (peak ${fmt.mb(memory.peak.heapUsed)})`,
      signed(growth),
      `< ${fmt.mb(TARGETS.heapGrowthBytes)}`,
      verdictOf(2),
    ],
    [
      '4 one migration alone: p50 (min–max)',
      range(singleBase),
      range(singleWf),
      `wf/seed ${fmt.ratio(fmt.median(singleWf) / fmt.median(singleBase))}`,
      `+${fmt.ms(fmt.median(singleWf) - fmt.median(singleBase))} durability`,
      '',
    ],
  ];

  const cfg = b.config;
  const lines = [
    '',
    `litellm-workflows bench — ${rounds.length} round(s), values: median (min–max) over rounds; total ${(elapsedMs / 1000).toFixed(0)} s`,
    `${cpus().length} cores, load avg ${load.start.map((l) => l.toFixed(2)).join('/')} at start, ${load.end.map((l) => l.toFixed(2)).join('/')} at end; ` +
      `emulator latency ${CONFIG.latencyMs} ms/call on every route; Temporal: ${b.temporalCli}`,
    `worker: maxConcurrentActivityTaskExecutions ${cfg.worker.maxConcurrentActivities}, LiteLLM pool ${cfg.litellm.maxConnections} connections, ` +
      `encrypting data converter; memory sampled every 100 ms (${memory.samples} samples); bench process = worker + emulator + seed port + client`,
    '',
    fmt.renderTable(
      ['measurement', 'seed port (sequential HTTP)', 'workflow', 'ratio (>1: workflow better)', 'target', 'result'],
      rows
    ),
    '',
    ...verdicts.map((v) => `${v.pass ? 'PASS' : 'FAIL'}  ${v.name}: ${v.detail}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (problems.length > 3) for (const p of problems.slice(3, 20)) log(`  difference: ${p}`);
  return verdicts;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  const load = { start: loadavg(), end: [] as number[] };
  const start = memoryNow();
  const workerEnv = Object.fromEntries(
    WORKER_KNOBS.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))
  );
  log('bench: starting the Temporal dev server, the emulator and the worker…');
  const devServerArgs = (process.env.BENCH_DEV_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean);
  const b = await startBenchEnvironment({ latencyMs: CONFIG.latencyMs, workerEnv, devServerArgs });
  const sampler = new MemorySampler();
  sampler.start(100);
  try {
    const outcome = await withTimeout(
      b.withWorker(async () => {
        log('bench: warming up…');
        await warmUp(b);
        const before = await settledMemory();
        sampler.resetPeak();
        const rounds: RoundResult[] = [];
        let longestRoundMs = 0;
        for (let r = 1; r <= CONFIG.rounds; r++) {
          // Keep the run bounded on a busy machine: start a round only if it should end within the budget.
          if (r > 1 && performance.now() - startedAt + longestRoundMs > CONFIG.budgetMs) {
            log(`bench: time budget of ${CONFIG.budgetMs / 1000} s reached, stopping after ${r - 1} round(s)`);
            break;
          }
          const roundStart = performance.now();
          rounds.push(
            await runRound(b, r, {
              members: CONFIG.teamMembers,
              migrations: CONFIG.migrations,
              singles: CONFIG.singles,
            })
          );
          longestRoundMs = Math.max(longestRoundMs, performance.now() - roundStart);
          log(`bench: round ${r}/${CONFIG.rounds} done in ${((performance.now() - roundStart) / 1000).toFixed(1)} s`);
        }
        b.resetEmulator(); // the emulator's rows are not the worker's memory
        const after = await settledMemory();
        return { rounds, before, after };
      }),
      CONFIG.timeoutMs,
      'the benchmark'
    );
    sampler.stop();
    load.end = loadavg();
    const verdicts = report(
      b,
      outcome.rounds,
      { start, before: outcome.before, after: outcome.after, peak: sampler.peak, samples: sampler.samples },
      performance.now() - startedAt,
      load
    );
    return verdicts.every((v) => v.pass) ? 0 : 1;
  } finally {
    sampler.stop();
    await b.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.stdout.write('FAIL  the benchmark did not complete\n');
    process.exit(1);
  }
);
