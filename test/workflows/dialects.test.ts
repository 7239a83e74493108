/**
 * The workflows against the emulator answering as each real LiteLLM version: a migration into a team that
 * already existed, refused at the key move by LiteLLM itself (403 for the key's tpm limit), then rolled back
 * exactly (team metadata and budget rows included) or resumed; a key deleted while paused; an undo that
 * stalls and is skipped by the operator; "unlimited" member budgets with the proxy admin left alone.
 */
import type { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { LITELLM_VERSIONS, type Emulator } from '../../emulator';
import type { LiteLLMWorkflowsClient } from '../../src/client';
import { hashKey } from '../../src/litellm/keys';
import type { MigrateEntriesInput } from '../../src/workflows/definitions';
import { eventually, MASTER_KEY, useBench } from '../helpers/harness';
import { cliEnv, runCli } from '../helpers/processes';

async function admin(emu: Emulator, path: string, body: unknown): Promise<void> {
  const res = await fetch(emu.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
}

describe.each(LITELLM_VERSIONS)('workflows on LiteLLM %s (emulated)', (version) => {
  const bench = useBench({ litellmVersion: version });
  const user = 'carol';
  const org = 'acme';
  let key: { key: string; token: string };

  /** A legacy user with a key limited to 100 tpm, and an org team that already exists with a 10 tpm limit. */
  beforeEach(async () => {
    const emu = bench.emulator;
    emu.seed.user({ user_id: user, max_budget: 20, spend: 5 });
    key = emu.seed.key({ user_id: user, key_alias: 'legacy' });
    await admin(emu, '/key/update', { key: key.token, tpm_limit: 100 });
    await admin(emu, '/team/new', { team_id: org, team_alias: 'Acme Inc', metadata: { plan: 'gold', version: 1 } });
    await admin(emu, '/team/update', { team_id: org, tpm_limit: 10 });
  });

  const input = (): MigrateEntriesInput => ({
    orgId: org,
    userId: user,
    userSettings: { userVersion: 4 },
    failurePolicy: { onFailure: 'pause' },
  });

  async function pausedAtKeyMove(client: LiteLLMWorkflowsClient) {
    const handle = await client.startMigrateEntries(input());
    const state = await eventually(async () => {
      const s = await client.getState(handle.workflowId);
      return s.phase === 'awaiting_operator' ? s : undefined;
    });
    const failed = state.steps.find((s) => s.status === 'failed');
    expect(failed?.name).toMatch(/^move key/);
    // LiteLLM answers 403 typed auth_error: a refused change, not a bad master key.
    expect(JSON.stringify(failed)).toMatch(/LiteLLMChangeRefused/);
    return handle;
  }

  it('a key move refused by LiteLLM, rolled back: the pre-existing team comes back exactly, budget rows included', async () => {
    const before = bench.emulator.snapshot({ budgets: true });
    await bench.withWorker(async (client) => {
      const handle = await pausedAtKeyMove(client);
      await client.rollback(handle.workflowId);
      const failure = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect((failure.cause as ApplicationFailure).type).toBe('OperationRolledBack');
    });
    expect(bench.emulator.snapshot({ budgets: true })).toEqual(before);
  });

  it('a key move refused by LiteLLM, resumed once the team allows it', async () => {
    await bench.withWorker(async (client) => {
      const handle = await pausedAtKeyMove(client);
      await admin(bench.emulator, '/team/update', { team_id: org, tpm_limit: 1000 });
      await client.resume(handle.workflowId);
      await expect(handle.result()).resolves.toMatchObject({ status: 'migrated', movedKeys: 1, unknownKeys: 0 });
    });
    const state = bench.emulator.snapshot();
    expect(state.keys.find((k) => k.token === key.token)).toMatchObject({ team_id: org });
    expect(state.teams.find((t) => t.team_id === org)?.metadata).toMatchObject({ plan: 'gold' });
  });

  it('a key deleted while paused: resume reports it unknown instead of pausing again', async () => {
    await bench.withWorker(async (client) => {
      const handle = await pausedAtKeyMove(client);
      await admin(bench.emulator, '/key/delete', { keys: [hashKey(key.key)] });
      await client.resume(handle.workflowId);
      await expect(handle.result()).resolves.toMatchObject({ status: 'migrated', movedKeys: 0, unknownKeys: 1 });
    });
  });

  it('an undo that fails for good waits for the operator, who skips it from the client', async () => {
    await bench.withWorker(async (client) => {
      const handle = await pausedAtKeyMove(client);
      // Removing the user from the team fails for good during the rollback.
      bench.emulator.faults.add({ route: '/team/member_delete', kind: 'status', status: 400 });
      await client.rollback(handle.workflowId);
      const awaiting = await eventually(async () => (await client.getState(handle.workflowId)).awaiting);
      expect(awaiting).toMatchObject({ during: 'compensation', allowed: ['retry', 'skip'] });
      await client.skip(handle.workflowId);
      const failure = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect((failure.cause as ApplicationFailure).type).toBe('OperationRolledBack');
      const steps = (await client.getState(handle.workflowId)).steps;
      // The skipped undo stays failed (its change is left); the undo went on with the steps before it.
      expect(steps.find((s) => s.name === 'add user to team')?.status).toBe('failed');
      expect(steps.find((s) => s.name === 'create or update team')?.status).toBe('compensated');
      expect(steps.find((s) => s.name === 'set user budget unlimited')?.status).toBe('compensated');
    });
  });

  it('the CLI sends skip too: `litellm-workflows skip` clears a stalled undo', async () => {
    await bench.withWorker(async (client) => {
      const handle = await pausedAtKeyMove(client);
      bench.emulator.faults.add({ route: '/team/member_delete', kind: 'status', status: 400 });
      await client.rollback(handle.workflowId);
      await eventually(async () => (await client.getState(handle.workflowId)).awaiting);
      const run = await runCli(['skip', '--org', org, '--user', user], cliEnv(bench.env.address, client.taskQueue));
      expect(run.code).toBe(0);
      const failure = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect((failure.cause as ApplicationFailure).type).toBe('OperationRolledBack');
    });
  });

  it('"unlimited" clears every member budget and leaves the proxy admin alone', async () => {
    for (const member of ['m1', 'm2']) {
      await admin(bench.emulator, '/team/member_add', {
        team_id: org,
        member: { user_id: member, role: 'user' },
        max_budget_in_team: 125,
      });
    }
    const result = await bench.withWorker((client) => client.executeSetTeamBudget({ teamId: org, maxBudget: null }));
    expect(result).toMatchObject({ teamId: org, maxBudget: null, membersUpdated: 2 });
    const memberships = bench.emulator.snapshot().memberships.filter((m) => m.team_id === org);
    expect(memberships).toEqual([
      expect.objectContaining({ user_id: 'm1', max_budget: null }),
      expect.objectContaining({ user_id: 'm2', max_budget: null }),
    ]);
  });
});
