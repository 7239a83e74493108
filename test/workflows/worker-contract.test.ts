/**
 * The worker enforces the contract whoever starts a run (here: Temporal's plain client, as a Python app or
 * `temporal workflow start` would): the input is checked before any write, the run sets its own search
 * attributes, and a purchase adds its credits once under any id reuse policy, a restart or a lost answer.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type ApplicationFailure } from '@temporalio/client';
import { PURCHASES_METADATA_KEY } from '../../src/activities/credits';
import type { LiteLLMWorkflowsClient } from '../../src/client';
import { ORG_ID, STATE, TEAM_ID, USER_ID } from '../../src/search-attributes';
import { legacyWorkflowIds, workflowIds } from '../../src/workflows/definitions';
import { eventually, useBench } from '../helpers/harness';
import { cliEnv, runCli } from '../helpers/processes';

const bench = useBench();

/** Starts a workflow as any Temporal client would: no input check, no search attributes, any reuse policy. */
function startRaw(
  client: LiteLLMWorkflowsClient,
  workflowType: string,
  input: unknown,
  options: { workflowId?: string; reusePolicy?: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' } = {}
) {
  return client.client.workflow.start<(input: unknown) => Promise<unknown>>(workflowType, {
    taskQueue: client.taskQueue,
    workflowId: options.workflowId ?? `raw-${randomUUID()}`,
    args: [input],
    workflowIdReusePolicy: options.reusePolicy ?? 'ALLOW_DUPLICATE',
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

const writes = () => bench.emulator.journal().filter((entry) => entry.method === 'POST');

describe('the workflow checks its own input', () => {
  const settings = { userVersion: 3, billingMargin: 2 };

  it.each([
    [
      'a wrong type',
      { orgId: 'o', userId: 'u', userSettings: { ...settings, billingMargin: '2' } },
      'userSettings.billingMargin',
    ],
    [
      'an unknown field',
      { orgId: 'o', userId: 'u', userSettings: settings, surprise: true },
      'surprise is not a known field',
    ],
    ['a bad id', { orgId: 'o\n', userId: 'u', userSettings: settings }, 'orgId must not contain control characters'],
    ['a missing field', { orgId: 'o', userId: 'u' }, 'userSettings'],
  ])('refuses %s before any write, naming the field, without retrying', async (_what, input, field) => {
    bench.emulator.seed.user({ user_id: 'u', max_budget: 20 });
    const failure = await bench.withWorker(async (client) => {
      const handle = await startRaw(client, 'migrateEntries', input);
      const failed = await failureOf(handle.result());
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(STATE)).toBe('Failed');
      return failed;
    });
    expect(failure.type).toBe('InvalidInput');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(field);
    expect(writes()).toEqual([]);
    expect(bench.emulator.journal()).toEqual([]);
  });

  it('refuses wrong types in every workflow, whoever started it', async () => {
    const bad: Array<[string, unknown, string]> = [
      ['createEntries', { orgId: 'o', userId: 'u', createUser: 'yes' }, 'createUser'],
      ['downgradeEntries', { orgId: 'o', userId: 7 }, 'userId'],
      ['setTeamBudget', { teamId: 't', maxBudget: '50' }, 'maxBudget'],
      ['addTeamCredits', { purchaseId: 'p', orgId: 'o', userId: 'u', amount: '25' }, 'amount'],
    ];
    const messages = await bench.withWorker((client) =>
      Promise.all(
        bad.map(async ([type, input]) => (await failureOf((await startRaw(client, type, input)).result())).message)
      )
    );
    bad.forEach(([type, , field], i) =>
      expect(messages[i]).toMatch(new RegExp(`^Invalid input for ${type}: ${field}`))
    );
    expect(bench.emulator.journal()).toEqual([]);
  });
});

describe('the workflow sets its own search attributes', () => {
  it('makes a run started without any findable by org, user, team and state', async () => {
    const org = `org-${randomUUID()}`;
    const description = await bench.withWorker(async (client) => {
      const handle = await startRaw(client, 'downgradeEntries', { orgId: org, userId: 'someone' });
      expect(await handle.result()).toMatchObject({ status: 'team_not_found' });
      return handle.describe();
    });
    const attributes = description.typedSearchAttributes;
    expect([ORG_ID, USER_ID, TEAM_ID, STATE].map((key) => attributes.get(key))).toEqual([
      org,
      'someone',
      org,
      'Completed',
    ]);
  });
});

describe('a purchase adds its credits once, whoever starts it', () => {
  const team = 'credits-org';
  const teamBudget = () => bench.emulator.snapshot().teams.find((t) => t.team_id === team)?.max_budget;
  const recorded = (): Array<{ purchaseId: string }> => {
    const metadata = bench.emulator.snapshot().teams.find((t) => t.team_id === team)?.metadata ?? {};
    return (metadata[PURCHASES_METADATA_KEY] ?? []) as Array<{ purchaseId: string }>;
  };
  const purchase = (purchaseId: string) => ({ purchaseId, orgId: team, userId: 'buyer', amount: 25 });

  beforeEach(() => {
    bench.emulator.seed.team({ team_id: team, max_budget: 100, metadata: { version: 5, model: 'm' } });
    bench.emulator.seed.membership({ user_id: 'buyer', team_id: team });
  });

  it('a second run of the same purchase under ALLOW_DUPLICATE, or under another id, adds nothing', async () => {
    const id = `cs_${randomUUID()}`;
    const results = await bench.withWorker(async (client): Promise<unknown[]> => {
      const options = { workflowId: workflowIds.credits(id), reusePolicy: 'ALLOW_DUPLICATE' as const };
      const first = await (await startRaw(client, 'addTeamCredits', purchase(id), options)).result();
      const second = await (await startRaw(client, 'addTeamCredits', purchase(id), options)).result();
      const otherId = await (await startRaw(client, 'addTeamCredits', purchase(id))).result();
      return [first, second, otherId];
    });
    expect(results[0]).toMatchObject({ previousMaxBudget: 100, newMaxBudget: 125, alreadyApplied: false });
    expect(results[1]).toMatchObject({ previousMaxBudget: 100, newMaxBudget: 125, alreadyApplied: true });
    expect(results[2]).toMatchObject({ alreadyApplied: true });
    expect(teamBudget()).toBe(125);
    // The record survives the member step, and the seed's metadata keys are kept.
    expect(recorded().map((r) => r.purchaseId)).toEqual([id]);
    expect(bench.emulator.snapshot().teams.find((t) => t.team_id === team)?.metadata).toMatchObject({ version: 5 });
  });

  it('a run terminated after the budget write and started again adds nothing more', async () => {
    const id = `cs_${randomUUID()}`;
    bench.emulator.faults.add({ route: '/team/member_update', kind: 'hang' });
    const result = await bench.withWorker(async (client) => {
      const first = await client.startAddTeamCredits(purchase(id));
      await eventually(() => Promise.resolve(teamBudget() === 125 ? true : undefined));
      await first.terminate('operator restarts the purchase');
      bench.emulator.faults.clear();
      return (await client.startAddTeamCredits(purchase(id))).result();
    });
    expect(result).toMatchObject({ previousMaxBudget: 100, newMaxBudget: 125, alreadyApplied: true });
    expect(teamBudget()).toBe(125);
    const membership = bench.emulator.snapshot().memberships.find((m) => m.team_id === team && m.user_id === 'buyer');
    expect(membership).toBeDefined();
    expect(recorded()).toHaveLength(1);
  });

  it('a retry after the answer to the budget write was lost recognises its own write', async () => {
    const id = `cs_${randomUUID()}`;
    bench.emulator.faults.add({ route: '/team/update', kind: 'drop_after_apply', times: 1 });
    const result = await bench.withWorker((client) => client.executeAddTeamCredits(purchase(id)));
    expect(bench.emulator.journal().some((e) => e.path === '/team/update' && e.fault === 'drop_after_apply')).toBe(
      true
    );
    expect(result).toMatchObject({ previousMaxBudget: 100, newMaxBudget: 125, alreadyApplied: false });
    expect(teamBudget()).toBe(125);
    expect(recorded()).toHaveLength(1);
  });

  it('a purchase rolled back leaves no record, so it may be added again', async () => {
    const id = `cs_${randomUUID()}`;
    const before = bench.emulator.snapshot();
    bench.emulator.faults.add({
      route: '/team/member_update',
      times: 1,
      kind: 'status',
      status: 400,
      body: { error: { message: 'emulated failure for good', type: 'bad_request_error', param: 'None', code: '400' } },
    });
    await bench.withWorker(async (client) => {
      const failure = await failureOf(client.executeAddTeamCredits(purchase(id)));
      expect(failure.type).toBe('OperationRolledBack');
      expect(bench.emulator.snapshot().teams).toEqual(before.teams);
      expect(await client.executeAddTeamCredits(purchase(id))).toMatchObject({ alreadyApplied: false });
    });
    expect(teamBudget()).toBe(125);
  });
});

describe('workflow ids', () => {
  it('runs operations on (a, b:c) and (a:b, c) at once: their ids differ', async () => {
    bench.emulator.faults.add({ route: '/team/info', kind: 'hang' });
    const ids = await bench.withWorker(async (client) => {
      const first = await client.startDowngradeEntries({ orgId: 'a', userId: 'b:c' });
      const second = await client.startDowngradeEntries({ orgId: 'a:b', userId: 'c' });
      expect((await second.describe()).status.name).toBe('RUNNING');
      return [first.workflowId, second.workflowId];
    });
    expect(ids).toEqual(['litellm-tenancy:a:b%3Ac', 'litellm-tenancy:a%3Ab:c']);
  });

  it('the CLI finds a run started under the old, unescaped id', async () => {
    const legacyId = legacyWorkflowIds.tenancy('x:y', 'z');
    const run = await bench.withWorker(async (client) => {
      await (
        await startRaw(client, 'downgradeEntries', { orgId: 'x:y', userId: 'z' }, { workflowId: legacyId })
      ).result();
      return runCli(['status', '--org', 'x:y', '--user', 'z'], cliEnv(bench.env.address, client.taskQueue));
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ workflowId: legacyId, status: 'completed' });
  });
});
