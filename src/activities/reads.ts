/**
 * Reads a workflow needs together, in one activity: the calls run in parallel and are all idempotent, so a
 * retry simply reads again. One activity instead of one per read saves the Temporal server their activity
 * tasks and the workflow tasks their completions wake (issue 9: events and CPU per migration).
 */
import { readTeam, toMembership, toTeamSnapshot } from './teams';
import { listKeys } from './keys';
import { runActivity } from './failures';
import type { ActivityDeps, KeySummary, Membership, ProvisioningSettings, TeamSnapshot, UserSnapshot } from './types';
import { readUser } from './users';

/** The provisioning settings workflows decide with (configuration, no HTTP). */
export function provisioningSettings(
  deps: Pick<ActivityDeps, 'provisioning' | 'liteLLMBaseUrl'>
): ProvisioningSettings {
  const { provisioning } = deps;
  return {
    defaultTeamId: provisioning.defaultTeamId ?? null,
    defaultInitialBudget: provisioning.defaultInitialBudget,
    liteLLMBaseUrl: deps.liteLLMBaseUrl,
    defaultModel: provisioning.defaultModel,
    orgSettingsVersion: provisioning.orgSettingsVersion,
  };
}

/**
 * Each returns the provisioning settings with its reads, so the local activity that reads is the only one a
 * workflow's first task runs.
 */
export function readActivities(deps: ActivityDeps) {
  const settings = () => provisioningSettings(deps);

  return {
    /** A migration's reads: the user (null: unknown to LiteLLM), the team (null: none), every key of the user. */
    async readMigrationState(input: { userId: string; teamId: string }): Promise<{
      settings: ProvisioningSettings;
      user: UserSnapshot | null;
      team: TeamSnapshot | null;
      keys: KeySummary[];
    }> {
      const { userId, teamId } = input;
      return runActivity('readMigrationState', { userId, teamId }, async (signal) => {
        const [user, team, keys] = await Promise.all([
          readUser(deps, userId, signal),
          readTeam(deps, teamId, signal),
          listKeys(deps, userId, signal),
        ]);
        return { settings: settings(), user, team: team && toTeamSnapshot(team), keys };
      });
    },

    /** A sign-in's reads: the org's team (null: none) and whether LiteLLM knows the user. */
    async readSignInState(input: { teamId: string; userId: string }): Promise<{
      settings: ProvisioningSettings;
      team: TeamSnapshot | null;
      userExists: boolean;
    }> {
      const { userId, teamId } = input;
      return runActivity('readSignInState', { userId, teamId }, async (signal) => {
        const [team, user] = await Promise.all([readTeam(deps, teamId, signal), readUser(deps, userId, signal)]);
        return { settings: settings(), team: team && toTeamSnapshot(team), userExists: user !== null };
      });
    },

    /**
     * What a downgrade reads before it writes: the org team and the user's membership of it (one
     * `/team/info`), the user, the configured default team (when there is one) and every key of the user.
     */
    async readDowngradeState(input: { userId: string; teamId: string }): Promise<{
      settings: ProvisioningSettings;
      team: TeamSnapshot | null;
      membership: Membership | null;
      user: UserSnapshot | null;
      defaultTeam: TeamSnapshot | null;
      keys: KeySummary[];
    }> {
      const { userId, teamId } = input;
      const current = settings();
      const { defaultTeamId } = current;
      return runActivity('readDowngradeState', { userId, teamId }, async (signal) => {
        const [team, user, defaultTeam, keys] = await Promise.all([
          readTeam(deps, teamId, signal),
          readUser(deps, userId, signal),
          defaultTeamId ? readTeam(deps, defaultTeamId, signal) : Promise.resolve(null),
          listKeys(deps, userId, signal),
        ]);
        return {
          settings: current,
          team: team && toTeamSnapshot(team),
          membership: team && toMembership(team, userId, teamId),
          user,
          defaultTeam: defaultTeam && toTeamSnapshot(defaultTeam),
          keys,
        };
      });
    },
  };
}
