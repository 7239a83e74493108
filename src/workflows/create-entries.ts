import { patched } from '@temporalio/workflow';
import { openHandsCloudKeyAlias } from '../domain/aliases';
import { createTeamBudget } from '../domain/decisions';
import { compensation, forward, local, localRead, type LiteLLMActivities } from './activity-options';
import type { CreateEntriesInput, CreateEntriesResult } from './definitions';
import { beginOperation } from './begin-operation';
import { Saga } from './saga';
import { createOrUpdateTeam, issueCloudKey } from './steps';

type TeamSnapshot = NonNullable<Awaited<ReturnType<LiteLLMActivities['getTeam']>>>;
type ProvisioningSettings = Awaited<ReturnType<LiteLLMActivities['getProvisioningSettings']>>;

/**
 * Patch id of level 1 as one local activity (issue 9: one server round trip fewer at sign-in). Runs started
 * before it replay their read activities.
 */
const LOCAL_READS = 'create-local-reads';

/**
 * A user's LiteLLM entries in an org (seed: `create_entries`): the org's team, the user, the membership
 * with the team's budget, and a fresh virtual key under the user's cloud alias.
 */
export async function createEntries(raw: CreateEntriesInput): Promise<CreateEntriesResult> {
  const input = beginOperation('createEntries', raw);
  const saga = new Saga('createEntries', input.failurePolicy);
  const { orgId, userId } = input;
  const keyAlias = openHandsCloudKeyAlias(userId, orgId);

  return saga.run(async () => {
    const userExists = () => forward.userExists({ userId });
    // Keys for users LiteLLM does not have escape budgets and spend tracking (OpenHands F5).
    const verifyUserExists = (known?: boolean) =>
      saga.step('verify user exists', async () => {
        if (!(known ?? (await userExists()))) throw new Error(`LiteLLM has no user ${userId}`);
      });

    /** Level 1 as one local activity in the first workflow task (settings and both reads), before any write. */
    async function readLocally(): Promise<[ProvisioningSettings, TeamSnapshot | null, boolean]> {
      const read = await saga.step('read team and user', () => localRead.readSignInState({ teamId: orgId, userId }));
      if (!input.createUser) await verifyUserExists(read.userExists);
      return [read.settings, read.team, read.userExists];
    }

    /** Level 1 of runs started before `LOCAL_READS`: the settings, then one activity per read. */
    async function readWithActivities(): Promise<[ProvisioningSettings, TeamSnapshot | null, boolean]> {
      const settings = await local.getProvisioningSettings();
      const [team, existed] = await saga.all([
        () => saga.step('read team', () => forward.getTeam({ teamId: orgId })),
        (): Promise<boolean> =>
          input.createUser ? saga.step('check user', userExists) : verifyUserExists().then(() => true),
      ]);
      return [settings, team, existed];
    }

    // Level 1, reads only: the org's team, and the user (checked, or required when not created here).
    const [settings, team, existed] = patched(LOCAL_READS) ? await readLocally() : await readWithActivities();
    // New members of an existing org inherit its budget (null = unlimited); a new team gets the default.
    const teamBudget = createTeamBudget(team, settings.defaultInitialBudget);

    // Level 2: the team and the user are independent.
    await saga.all([
      () => createOrUpdateTeam(saga, { teamId: orgId, teamAlias: userId, maxBudget: teamBudget }, team),
      async () => {
        if (!input.createUser) return;
        await saga.step('create user', () => forward.createUser({ userId, email: input.email ?? null }), {
          undo: async () => (existed ? undefined : compensation.deleteUser({ userId })),
        });
        await verifyUserExists();
      },
    ]);

    // Level 3: a member can only be added to a team that exists, and only a user that exists.
    const wasMember = team?.memberUserIds.includes(userId) ?? false;
    await saga.step(
      'add user to team',
      () => forward.addUserToTeam({ userId, teamId: orgId, maxBudgetInTeam: teamBudget }),
      { undo: async () => (wasMember ? undefined : compensation.removeUserFromTeam({ userId, teamId: orgId })) }
    );

    // As the seed: the alias names one key per user and org, so the previous one is replaced.
    await saga.step('delete previous key', () => forward.deleteKeyByAlias({ keyAlias }));
    const issued = await issueCloudKey(saga, userId, orgId);

    return {
      status: 'created',
      teamId: orgId,
      key: issued.key,
      keyAlias,
      agent: 'CodeActAgent',
      llmModel: settings.defaultModel,
      llmBaseUrl: settings.liteLLMBaseUrl,
      teamBudget,
    };
  });
}
