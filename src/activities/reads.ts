/**
 * Reads a workflow needs together, in one activity: the calls run in parallel and are all idempotent, so a
 * retry simply reads again. One activity instead of one per read saves the Temporal server their activity
 * tasks and the workflow tasks their completions wake (issue 9: events and CPU per migration).
 */
import { readTeam, toMembership, toTeamSnapshot } from './teams';
import { listKeys } from './keys';
import { runActivity } from './failures';
import type { ActivityDeps, KeySummary, Membership, TeamSnapshot, UserSnapshot } from './types';
import { readUser } from './users';

export function readActivities(deps: ActivityDeps) {
  return {
    /** The user (null: unknown to LiteLLM), the team (null: none) and every key of the user, read at once. */
    async readUserTeamAndKeys(input: { userId: string; teamId: string }): Promise<{
      user: UserSnapshot | null;
      team: TeamSnapshot | null;
      keys: KeySummary[];
    }> {
      const { userId, teamId } = input;
      return runActivity('readUserTeamAndKeys', { userId, teamId }, async (signal) => {
        const [user, team, keys] = await Promise.all([
          readUser(deps, userId, signal),
          readTeam(deps, teamId, signal),
          listKeys(deps, userId, signal),
        ]);
        return { user, team: team && toTeamSnapshot(team), keys };
      });
    },

    /** The org's team (null: none) and whether LiteLLM knows the user, read at once (a sign-in's first level). */
    async readTeamAndUser(input: { teamId: string; userId: string }): Promise<{
      team: TeamSnapshot | null;
      userExists: boolean;
    }> {
      const { userId, teamId } = input;
      return runActivity('readTeamAndUser', { userId, teamId }, async (signal) => {
        const [team, user] = await Promise.all([readTeam(deps, teamId, signal), readUser(deps, userId, signal)]);
        return { team: team && toTeamSnapshot(team), userExists: user !== null };
      });
    },

    /**
     * What a downgrade reads before it writes: the org team and the user's membership of it (one
     * `/team/info`), the user, the default team (when there is one) and every key of the user, at once.
     */
    async readDowngradeState(input: { userId: string; teamId: string; defaultTeamId: string | null }): Promise<{
      team: TeamSnapshot | null;
      membership: Membership | null;
      user: UserSnapshot | null;
      defaultTeam: TeamSnapshot | null;
      keys: KeySummary[];
    }> {
      const { userId, teamId, defaultTeamId } = input;
      return runActivity('readDowngradeState', { userId, teamId }, async (signal) => {
        const [team, user, defaultTeam, keys] = await Promise.all([
          readTeam(deps, teamId, signal),
          readUser(deps, userId, signal),
          defaultTeamId ? readTeam(deps, defaultTeamId, signal) : Promise.resolve(null),
          listKeys(deps, userId, signal),
        ]);
        return {
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
