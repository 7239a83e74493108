/**
 * The workflows against each configured real LiteLLM (targets.ts): the worker's real activities on a real
 * Temporal dev server, every end state read back through LiteLLM's admin API. Create, migrate (billing
 * margin, two keys, a valid and an unknown stored key), downgrade, team budget (a number and unlimited),
 * credits (the same purchase twice), and a key move LiteLLM refuses (403 for the key's tpm limit) while
 * paused: rolled back exactly (a full before/after read: team metadata, members, keys, budget rows), or
 * resumed once the team allows it. Ids are unique per run: the proxies are shared.
 */
// Read-back bodies are LiteLLM's raw JSON, checked by value here (the contract suite checks their shape).
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { LiteLLMWorkflowsClient } from '../../src/client';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { hashKey } from '../../src/litellm/keys';
import { createLiteLLMActivities } from '../../src/worker';
import { liteLLMConfig, PROVISIONING } from '../helpers/fixtures';
import { eventually } from '../helpers/harness';
import { createTestEnvironment, testDataConverter, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { realProxies, type RealProxy } from './targets';

const proxies = realProxies('workflow suite against a real LiteLLM');

if (proxies.length === 0) {
  it('is not configured (see the line above)', () => undefined);
}

let env: TestWorkflowEnvironment | undefined;
if (proxies.length > 0) {
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });
}

/** Admin calls straight to the proxy (set-up and read-back). */
function adminOf(proxy: RealProxy) {
  return async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(proxy.url + path, {
      method,
      headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

async function withWorker<T>(proxy: RealProxy, fn: (client: LiteLLMWorkflowsClient) => Promise<T>): Promise<T> {
  if (!env) throw new Error('no Temporal environment');
  const taskQueue = uniqueTaskQueue('real');
  const { client, activities } = createLiteLLMActivities(
    liteLLMConfig(proxy.url, { masterKey: proxy.masterKey }),
    PROVISIONING
  );
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities,
  });
  try {
    return await worker.runUntil(() => fn(new LiteLLMWorkflowsClient(env!.client, taskQueue)));
  } finally {
    await client.close();
  }
}

for (const proxy of proxies)
  describe(`workflows against the real LiteLLM at ${proxy.url}`, () => {
    const admin = adminOf(proxy);
    const run = `rw-${randomUUID().slice(0, 8)}`;
    const key = () => `sk-${run}-${randomUUID().replace(/-/g, '')}`;

    // The legacy shared team the worker's provisioning names (new users join it, downgrades return to it).
    beforeAll(async () => {
      await admin('POST', '/team/new', { team_id: PROVISIONING.defaultTeamId });
    });

    /** A legacy user: a personal budget, spend, and the given keys (each with a tpm limit of 100). */
    async function legacyUser(userId: string, keys: string[]): Promise<void> {
      expect(
        (await admin('POST', '/user/new', { user_id: userId, auto_create_key: false, max_budget: 20 })).status
      ).toBe(200);
      await admin('POST', '/user/update', { user_id: userId, spend: 5 });
      for (const k of keys) {
        expect(
          (await admin('POST', '/key/generate', { key: k, user_id: userId, models: [], tpm_limit: 100 })).status
        ).toBe(200);
      }
    }

    /** Everything a rollback must restore, read through the admin API. */
    async function fullRead(userId: string, teamId: string): Promise<unknown> {
      const team = await admin('GET', `/team/info?team_id=${teamId}`);
      const user = await admin('GET', `/user/info?user_id=${userId}`);
      const keys = await admin('GET', `/key/list?user_id=${userId}&return_full_object=true&size=100`);
      const budgets = await admin('GET', '/budget/list');
      const t = team.body?.team_info;
      return {
        team: t && {
          alias: t.team_alias,
          maxBudget: t.max_budget,
          tpm: t.tpm_limit,
          metadata: t.metadata,
          members: (t.members_with_roles as Array<{ user_id: string; role: string }>)
            .map((m) => `${m.user_id}:${m.role}`)
            .sort(),
          memberships: (team.body.team_memberships as Array<{ user_id: string; budget_id: string | null }>)
            .map((m) => `${m.user_id}:${m.budget_id ?? 'none'}`)
            .sort(),
        },
        user: {
          maxBudget: user.body.user_info.max_budget,
          spend: user.body.user_info.spend,
          teams: user.body.user_info.teams,
        },
        keys: (keys.body.keys as Array<{ token: string; team_id: string | null; key_alias: string | null }>)
          .map((k) => `${k.token}:${k.team_id ?? 'none'}:${k.key_alias ?? 'none'}`)
          .sort(),
        budgetRows: (budgets.body as Array<{ budget_id: string }>).map((b) => b.budget_id).sort(),
      };
    }

    async function preExistingTeam(teamId: string): Promise<void> {
      await admin('POST', '/team/new', {
        team_id: teamId,
        team_alias: 'Acme Inc',
        metadata: { plan: 'gold', version: 1 },
      });
      await admin('POST', '/team/update', { team_id: teamId, tpm_limit: 10 });
    }

    async function pausedAtKeyMove(client: LiteLLMWorkflowsClient, userId: string, orgId: string) {
      const handle = await client.startMigrateEntries({
        orgId,
        userId,
        userSettings: { userVersion: 4 },
        failurePolicy: { onFailure: 'pause' },
      });
      const state = await eventually(async () => {
        const s = await client.getState(handle.workflowId);
        return s.phase === 'awaiting_operator' ? s : undefined;
      }, 120_000);
      const failed = state.steps.find((s) => s.status === 'failed');
      expect(failed?.name).toMatch(/^move key/);
      expect(JSON.stringify(failed)).toMatch(/LiteLLMChangeRefused/);
      return handle;
    }

    it('a key move refused by LiteLLM, rolled back: the pre-existing team and everything else come back exactly', async () => {
      const userId = `${run}-rb`;
      const orgId = `${run}-rb-org`;
      await legacyUser(userId, [key()]);
      await preExistingTeam(orgId);
      const { budgetRows: rowsBefore, ...before } = (await fullRead(userId, orgId)) as { budgetRows: string[] };
      let membershipRow: string | undefined;
      await withWorker(proxy, async (client) => {
        const handle = await pausedAtKeyMove(client, userId, orgId);
        const paused = await admin('GET', `/team/info?team_id=${orgId}`);
        membershipRow = paused.body.team_memberships.find((m: { user_id: string }) => m.user_id === userId)?.budget_id;
        await client.rollback(handle.workflowId);
        await expect(handle.result()).rejects.toThrow();
      });
      const { budgetRows: rowsAfter, ...after } = (await fullRead(userId, orgId)) as { budgetRows: string[] };
      expect(after).toEqual(before);
      // Budget rows are global and the proxy may be shared: the row our membership had is gone, and every row
      // there before the run is still there.
      expect(membershipRow).toEqual(expect.any(String));
      expect(rowsAfter).not.toContain(membershipRow);
      expect(rowsBefore.filter((id) => !rowsAfter.includes(id))).toEqual([]);
    });

    it('a key move refused by LiteLLM, resumed once the team allows it', async () => {
      const userId = `${run}-rs`;
      const orgId = `${run}-rs-org`;
      await legacyUser(userId, [key()]);
      await preExistingTeam(orgId);
      await withWorker(proxy, async (client) => {
        const handle = await pausedAtKeyMove(client, userId, orgId);
        await admin('POST', '/team/update', { team_id: orgId, tpm_limit: 1000 });
        await client.resume(handle.workflowId);
        await expect(handle.result()).resolves.toMatchObject({ status: 'migrated', movedKeys: 1 });
      });
      const team = await admin('GET', `/team/info?team_id=${orgId}`);
      expect(team.body.team_info.metadata).toMatchObject({ plan: 'gold' });
    });

    it('migrate with a billing margin, two keys and a valid stored key; again: already migrated; then downgrade', async () => {
      const userId = `${run}-mg`;
      const [k1, k2] = [key(), key()];
      await legacyUser(userId, [k1, k2]);
      const migrate = (c: LiteLLMWorkflowsClient) =>
        c.executeMigrateEntries({
          orgId: userId,
          userId,
          userSettings: { userVersion: 3, billingMargin: 2, llmApiKey: k1, llmBaseUrl: proxy.url },
        });
      await withWorker(proxy, async (client) => {
        await expect(migrate(client)).resolves.toMatchObject({
          status: 'migrated',
          credits: 30,
          movedKeys: 2,
          storedKey: 'valid',
        });
        await expect(migrate(client)).resolves.toMatchObject({ status: 'already_migrated' });
      });
      const user = await admin('GET', `/user/info?user_id=${userId}`);
      expect(user.body.user_info.max_budget).toBe(UNLIMITED_USER_BUDGET);
      const info = await admin('GET', `/key/info?key=${hashKey(k2)}`);
      expect(info.body.info.team_id).toBe(userId);

      const rowsBefore = new Set(
        (await admin('GET', '/budget/list')).body.map((b: { budget_id: string }) => b.budget_id)
      );
      const membership = (await admin('GET', `/team/info?team_id=${userId}`)).body.team_memberships.find(
        (m: { user_id: string }) => m.user_id === userId
      );
      await withWorker(proxy, async (client) => {
        await expect(client.executeDowngradeEntries({ orgId: userId, userId })).resolves.toMatchObject({
          status: 'downgraded',
          restoredBudget: 30,
        });
      });
      expect((await admin('GET', `/team/info?team_id=${userId}`)).status).toBe(404);
      expect((await admin('GET', `/user/info?user_id=${userId}`)).body.user_info.max_budget).toBe(30);
      const rowsAfter = new Set(
        (await admin('GET', '/budget/list')).body.map((b: { budget_id: string }) => b.budget_id)
      );
      // The org membership's budget row went with it.
      if (membership?.budget_id) {
        expect(rowsBefore.has(membership.budget_id)).toBe(true);
        expect(rowsAfter.has(membership.budget_id)).toBe(false);
      }
    });

    it('migrate with an unknown stored key issues a new one', async () => {
      const userId = `${run}-uk`;
      await legacyUser(userId, [key()]);
      const result = await withWorker(proxy, (client) =>
        client.executeMigrateEntries({
          orgId: userId,
          userId,
          userSettings: { userVersion: 4, llmApiKey: key(), llmBaseUrl: proxy.url },
        })
      );
      expect(result).toMatchObject({ status: 'migrated', storedKey: 'invalid', newKey: expect.stringMatching(/^sk-/) });
      const info = await admin('GET', `/key/info?key=${hashKey(result.newKey!)}`);
      expect(info.body.info.team_id).toBe(userId);
    });

    it('create-entries, team budget (a number, then unlimited) and the same purchase twice', async () => {
      const orgId = `${run}-org`;
      const members = [`${run}-a`, `${run}-b`];
      await withWorker(proxy, async (client) => {
        for (const userId of members) {
          const created = await client.executeCreateEntries({ orgId, userId, createUser: true, email: null });
          expect(created).toMatchObject({ status: 'created', teamId: orgId });
          expect(
            (await fetch(`${proxy.url}/v1/models`, { headers: { authorization: `Bearer ${created.key}` } })).status
          ).toBe(200);
        }
        await admin('POST', '/team/member_update', { team_id: orgId, user_id: members[0], max_budget_in_team: 125 });
        await admin('POST', '/team/member_update', { team_id: orgId, user_id: members[1], max_budget_in_team: 125 });
        await expect(client.executeSetTeamBudget({ teamId: orgId, maxBudget: 40 })).resolves.toMatchObject({
          membersUpdated: 2,
        });
        const budgets = async () =>
          (
            (await admin('GET', `/team/info?team_id=${orgId}`)).body.team_memberships as Array<{
              user_id: string;
              litellm_budget_table: { max_budget: number | null } | null;
            }>
          )
            .filter((m) => m.user_id !== 'default_user_id')
            .map((m) => m.litellm_budget_table?.max_budget ?? null);
        expect(await budgets()).toEqual([40, 40]);
        await expect(client.executeSetTeamBudget({ teamId: orgId, maxBudget: null })).resolves.toMatchObject({
          membersUpdated: 2,
        });
        expect(await budgets()).toEqual([null, null]);
        expect((await admin('GET', `/team/info?team_id=${orgId}`)).body.team_info.max_budget).toBeNull();

        await client.executeSetTeamBudget({ teamId: orgId, maxBudget: 10 });
        const purchase = { purchaseId: `${run}-purchase`, orgId, userId: members[0]!, amount: 25 };
        const first = await client.executeAddTeamCredits(purchase);
        expect(first).toMatchObject({ previousMaxBudget: 10, newMaxBudget: 35 });
        await client.executeAddTeamCredits(purchase).catch(() => undefined);
        expect((await admin('GET', `/team/info?team_id=${orgId}`)).body.team_info.max_budget).toBe(35);
      });
    });
  });
