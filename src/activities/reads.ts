/**
 * Reads a workflow needs together, in one activity: the calls run in parallel and are all idempotent, so a
 * retry simply reads again. One activity instead of three saves the Temporal server two activity tasks and
 * the workflow tasks their completions wake (issue 9: events and CPU per migration).
 */
import { toTeamSnapshot, readTeam } from './teams';
import { listKeys } from './keys';
import { runActivity } from './failures';
import type { ActivityDeps, KeySummary, TeamSnapshot, UserSnapshot } from './types';
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
  };
}
