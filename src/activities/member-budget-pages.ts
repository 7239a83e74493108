/**
 * A page of team members' budgets set in one activity (setTeamBudget's fan-out, and its undo): one
 * activity task per page instead of one per member, so the Temporal server records 3 events per page,
 * not 3 per member.
 *
 * - Bounded HTTP concurrency: at most `concurrency` `/team/member_update` calls in flight.
 * - Resumable: it heartbeats the offset below which every member is done; a retry starts there.
 * - Safe to retry: every write is absolute (this member's budget := the given value), so writing a member
 *   twice changes nothing.
 * - Stops clean (`forEachStoppingOnFailure`): on the first failure no further member is started, and the
 *   calls in flight are awaited before the failure is reported.
 */
import { forEachStoppingOnFailure } from './bounded';
import { lastHeartbeatDetails } from './context';
import { runActivity } from './failures';
import type { ActivityDeps } from './types';

export interface MemberBudget {
  userId: string;
  /** null = unlimited. */
  maxBudgetInTeam: number | null;
}

export interface MemberBudgetsPage {
  teamId: string;
  budgets: MemberBudget[];
  /** `/team/member_update` calls in flight at most. */
  concurrency: number;
}

/** Where a previous attempt got to (heartbeat details), within the page. */
function resumeOffset(size: number): number {
  const details = lastHeartbeatDetails();
  return typeof details === 'number' && Number.isInteger(details) && details >= 0 && details <= size ? details : 0;
}

export function memberBudgetPageActivities(deps: ActivityDeps) {
  return {
    /** Sets each listed member's budget in the team; returns how many this attempt wrote. */
    async setMemberBudgets(input: MemberBudgetsPage): Promise<{ updated: number; resumedAt: number }> {
      const { teamId, budgets } = input;
      const resumedAt = resumeOffset(budgets.length);
      const done: boolean[] = budgets.map((_, i) => i < resumedAt);
      let doneBelow = resumedAt;
      let updated = 0;

      return runActivity(
        'setMemberBudgets',
        { teamId, members: budgets.length, resumedAt },
        async (signal) => {
          await forEachStoppingOnFailure(
            budgets,
            { concurrency: input.concurrency, startAt: resumedAt, signal },
            async (member, index) => {
              await deps.client.teamMemberUpdate(
                { teamId, userId: member.userId, maxBudgetInTeam: member.maxBudgetInTeam },
                { signal }
              );
              updated += 1;
              done[index] = true;
              while (doneBelow < budgets.length && done[doneBelow]) doneBelow += 1;
            }
          );
          return { updated, resumedAt };
        },
        { heartbeatDetails: () => doneBelow }
      );
    },
  };
}
