// Audit attribution (issue 13): every call an activity makes carries its operation and workflow id in
// `LiteLLM-Changed-By`, read by the worker's client from the running activity's context.
import { MockActivityEnvironment } from '@temporalio/testing';
import { startEmulator, type Emulator } from '../../emulator';
import { createActivities } from '../../src/activities';
import { activityChangedBy } from '../../src/activities/context';
import { LiteLLMClient } from '../../src/litellm/client';
import { DERIVATION_SECRET, PROVISIONING } from './helpers';

const MASTER_KEY = 'sk-audit-master-0123456789';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ masterKey: MASTER_KEY, litellmVersion: '1.108.5' });
});
afterAll(() => emu.stop());

function activities(client: LiteLLMClient) {
  return createActivities({
    client,
    provisioning: PROVISIONING,
    liteLLMBaseUrl: emu.url,
    keyDerivationSecret: DERIVATION_SECRET,
  });
}

function clientFor(): LiteLLMClient {
  return new LiteLLMClient(
    {
      baseUrl: emu.url,
      masterKey: MASTER_KEY,
      authHeader: 'authorization',
      changedBy: 'litellm-workflows',
      connectTimeoutMs: 2_000,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      maxConnections: 4,
      keyVerifyTimeoutMs: 500,
    },
    { changedBy: activityChangedBy }
  );
}

it('every write of a run names its operation and workflow id; outside an activity the configured name', async () => {
  const client = clientFor();
  try {
    const acts = activities(client);
    const env = new MockActivityEnvironment({
      workflowType: 'migrateEntries',
      workflowExecution: { workflowId: 'litellm-tenancy:acme:älice', runId: 'run-1' },
    });
    emu.clearJournal();
    await env.run(() => acts.createTeam({ teamId: 'acme', teamAlias: 'Acme', maxBudget: 10 }));
    await env.run(() => acts.createUser({ userId: 'älice', email: null }));
    await env.run(() => acts.addUserToTeam({ userId: 'älice', teamId: 'acme', maxBudgetInTeam: 5 }));
    const journal = emu.journal();
    expect(journal.filter((e) => e.method === 'POST').length).toBeGreaterThanOrEqual(3);
    expect(new Set(journal.map((e) => e.changedBy))).toEqual(
      new Set([`litellm-workflows/migrateEntries/${encodeURIComponent('litellm-tenancy:acme:älice')}`])
    );

    emu.clearJournal();
    await acts.getTeam({ teamId: 'acme' });
    expect(emu.journal().map((e) => e.changedBy)).toEqual(['litellm-workflows']);
  } finally {
    await client.close();
  }
});
