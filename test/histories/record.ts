/**
 * Records the histories of real runs of every workflow path into test/histories/*.json
 * (`npm run record-histories`). test/replay checks that today's workflow code replays every one of them,
 * which is what guards a change to workflow code against breaking runs in flight.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { LiteLLMWorkflowsClient } from '../../src/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { eventually, MASTER_KEY, startBench, type Bench } from '../helpers/harness';
import { primeDefaultUser, stepFailure } from '../helpers/litellm-state';

type Scenario = (bench: Bench, client: LiteLLMWorkflowsClient) => Promise<string>;

const DEFAULT_TEAM = 'openhands-default';

function legacyUser(bench: Bench, userId: string): string {
  bench.emulator.seed.user({ user_id: userId, max_budget: 20, spend: 4.5 });
  bench.emulator.seed.membership({ user_id: userId, team_id: DEFAULT_TEAM });
  return bench.emulator.seed.key({ user_id: userId, team_id: DEFAULT_TEAM }).key;
}

/** A legacy user's migration, paused for an operator after a failure for good at `route`. */
async function pausedMigration(bench: Bench, client: LiteLLMWorkflowsClient, userId: string, route: string) {
  legacyUser(bench, userId);
  bench.emulator.faults.add(stepFailure(route, 0));
  const handle = await client.startMigrateEntries({
    orgId: userId,
    userId,
    userSettings: { userVersion: 4 },
    failurePolicy: { onFailure: 'pause' },
  });
  await eventually(async () =>
    (await client.getState(handle.workflowId)).phase === 'awaiting_operator' ? true : undefined
  );
  return handle;
}

const scenarios: Record<string, Scenario> = {
  'create-entries-completed': async (_bench, client) => {
    const handle = await client.startCreateEntries({ orgId: 'o1', userId: 'u1', email: 'u1@example.com', createUser: true });
    await handle.result();
    return handle.workflowId;
  },
  'migrate-completed': async (bench, client) => {
    const key = legacyUser(bench, 'm1');
    const handle = await client.startMigrateEntries({
      orgId: 'm1',
      userId: 'm1',
      userSettings: { userVersion: 3, billingMargin: 2, llmApiKey: key, llmBaseUrl: bench.emulator.url },
    });
    await handle.result();
    return handle.workflowId;
  },
  'migrate-already-migrated': async (bench, client) => {
    bench.emulator.seed.user({ user_id: 'm2', max_budget: UNLIMITED_USER_BUDGET });
    bench.emulator.seed.team({ team_id: 'm2', max_budget: 15.5 });
    bench.emulator.seed.membership({ user_id: 'm2', team_id: 'm2' });
    const handle = await client.startMigrateEntries({ orgId: 'm2', userId: 'm2', userSettings: { userVersion: 4 } });
    await handle.result();
    return handle.workflowId;
  },
  'migrate-half-migrated-completed': async (bench, client) => {
    legacyUser(bench, 'm3');
    bench.emulator.seed.user({ user_id: 'm3', max_budget: UNLIMITED_USER_BUDGET });
    bench.emulator.seed.team({ team_id: 'm3', max_budget: 15.5 });
    const handle = await client.startMigrateEntries({ orgId: 'm3', userId: 'm3', userSettings: { userVersion: 4 } });
    await handle.result();
    return handle.workflowId;
  },
  'migrate-failure-then-operator-retry': async (bench, client) => {
    const handle = await pausedMigration(bench, client, 'm4', '/team/member_add');
    await client.resume(handle.workflowId);
    await handle.result();
    return handle.workflowId;
  },
  'migrate-failure-then-rollback': async (bench, client) => {
    const handle = await pausedMigration(bench, client, 'm5', '/key/update');
    await client.rollback(handle.workflowId);
    await handle.result().catch(() => undefined);
    return handle.workflowId;
  },
  'migrate-cancelled': async (bench, client) => {
    const handle = await pausedMigration(bench, client, 'm6', '/key/update');
    await handle.cancel();
    await handle.result().catch(() => undefined);
    return handle.workflowId;
  },
  'downgrade-completed': async (bench, client) => {
    legacyUser(bench, 'd1');
    await client.executeMigrateEntries({ orgId: 'd1', userId: 'd1', userSettings: { userVersion: 4 } });
    const handle = await client.startDowngradeEntries({ orgId: 'd1', userId: 'd1' });
    await handle.result();
    return handle.workflowId;
  },
  'team-budget-continued-as-new': async (bench, client) => {
    bench.emulator.seed.team({ team_id: 'big', max_budget: 10 });
    for (let i = 0; i < 5; i++) bench.emulator.seed.membership({ user_id: `b${i}`, team_id: 'big', max_budget_in_team: 10 });
    const handle = await client.startSetTeamBudget({ teamId: 'big', maxBudget: 40, pageSize: 2, pagesPerRun: 1 });
    await handle.result();
    // The first run: the one that continued as new.
    return `${handle.workflowId}@${handle.firstExecutionRunId}`;
  },
  'migrate-fleet-continued-as-new': async (bench, client) => {
    const users = ['f1', 'f2', 'f3'].map((userId) => {
      legacyUser(bench, userId);
      return { orgId: userId, userId, userSettings: { userVersion: 4 } };
    });
    const handle = await client.startMigrateFleet('recorded', { users, liteLLMConcurrency: 8, childrenPerRun: 2 });
    await handle.result();
    // The first run: two children through a window of two, then continue-as-new with the third.
    return `${handle.workflowId}@${handle.firstExecutionRunId}`;
  },
  'add-credits-completed': async (bench, client) => {
    bench.emulator.seed.team({ team_id: 'acme', max_budget: 10 });
    bench.emulator.seed.membership({ user_id: 'buyer', team_id: 'acme' });
    const handle = await client.startAddTeamCredits({ purchaseId: 'cs_1', orgId: 'acme', userId: 'buyer', amount: 5 });
    await handle.result();
    return handle.workflowId;
  },
};

async function main(): Promise<void> {
  const bench = await startBench();
  try {
    await primeDefaultUser(bench.emulator, MASTER_KEY);
    bench.emulator.seed.team({ team_id: DEFAULT_TEAM });
    await bench.withWorker(async (client) => {
      for (const [name, scenario] of Object.entries(scenarios)) {
        bench.emulator.faults.clear();
        const [workflowId, runId] = (await scenario(bench, client)).split('@') as [string, string | undefined];
        const history = await bench.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
        writeFileSync(join(__dirname, `${name}.json`), `${historyToJSON(history)}\n`);
        console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
      }
    });
  } finally {
    await bench.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
