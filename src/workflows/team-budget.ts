import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';
import { budgetFromTeamInfo } from '../domain/budgets';
import { compensation, forward, local } from './activity-options';
import {
  workflowIds,
  type AddTeamCreditsInput,
  type AddTeamCreditsResult,
  type SetTeamBudgetInput,
  type SetTeamBudgetResult,
} from './definitions';
import { beginOperation } from './begin-operation';
import { Saga } from './saga';

/** Defaults of {@link SetTeamBudgetInput}. */
export const TEAM_BUDGET_DEFAULTS = { concurrency: 8, pageSize: 200, pagesPerRun: 25 };

/** Runs `fn` over `items` with at most `limit` at once (deterministic: completion order comes from history). */
async function forEachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

/**
 * Sets a team's budget, then the budget of every member with a membership row (seed:
 * `update_team_and_users_budget`), a page of members at a time with bounded concurrency instead of one by one.
 * A team larger than `pagesPerRun` pages continues as new with its progress carried, so history stays bounded
 * at any team size; the pages done in earlier runs are then final, and a rollback undoes the current run's.
 */
export async function setTeamBudget(raw: SetTeamBudgetInput): Promise<SetTeamBudgetResult> {
  const input = beginOperation('setTeamBudget', raw);
  const saga = new Saga('setTeamBudget', input.failurePolicy);
  const { teamId, maxBudget } = input;
  const concurrency = input.concurrency ?? TEAM_BUDGET_DEFAULTS.concurrency;
  const pageSize = input.pageSize ?? TEAM_BUDGET_DEFAULTS.pageSize;
  const pagesPerRun = input.pagesPerRun ?? TEAM_BUDGET_DEFAULTS.pagesPerRun;
  let { offset, membersUpdated, teamUpdated } = input.progress ?? { offset: 0, membersUpdated: 0, teamUpdated: false };

  return saga.run(async () => {
    if (!teamUpdated) {
      const settings = await local.getProvisioningSettings();
      const team = await saga.step('read team', () => forward.getTeam({ teamId }));
      if (!team) throw new Error(`LiteLLM has no team ${teamId}`);
      // The seed's `_update_team` rewrites the settings version and default model on every team update; the
      // team's other metadata is kept (LiteLLM replaces metadata whole), and the undo puts back what was there.
      const metadata = { ...team.metadata, version: settings.orgSettingsVersion, model: settings.defaultModel };
      await saga.step('set team budget', () => forward.updateTeam({ teamId, maxBudget, metadata }), {
        undo: () => compensation.updateTeam({ teamId, maxBudget: team.maxBudget, metadata: team.metadata }),
      });
      teamUpdated = true;
    }

    for (let page = 0; page < pagesPerRun; page++) {
      const batch = await saga.step(`read members from ${offset}`, () =>
        forward.listTeamMemberships({ teamId, offset, limit: pageSize })
      );
      if (batch.memberships.length === 0) return { teamId, maxBudget, membersUpdated };
      await saga.step(
        `set budget of members ${offset + 1}-${offset + batch.memberships.length}`,
        () =>
          forEachBounded(batch.memberships, concurrency, (m) =>
            forward.updateUserInTeam({ userId: m.userId, teamId, maxBudgetInTeam: maxBudget })
          ),
        {
          undo: () =>
            forEachBounded(batch.memberships, concurrency, (m) =>
              compensation.updateUserInTeam({ userId: m.userId, teamId, maxBudgetInTeam: m.maxBudgetInTeam })
            ),
        }
      );
      offset += batch.memberships.length;
      membersUpdated += batch.memberships.length;
      if (offset >= batch.total) return { teamId, maxBudget, membersUpdated };
      if (workflowInfo().continueAsNewSuggested) break;
    }
    return continueAsNew<typeof setTeamBudget>({ ...input, progress: { offset, membersUpdated, teamUpdated } });
  });
}

/**
 * Adds purchased credits to an org's team (the app's Stripe success callback): reads the budget that counts
 * for the buyer, then raises the team's budget by the amount and records the purchase id in LiteLLM in the
 * same write, then sets the members' budgets. Exactly once whoever starts it: a run that finds its purchase
 * recorded in LiteLLM (a duplicate callback under any id reuse policy, a restart of a terminated run) adds
 * nothing and reports `alreadyApplied`; a retry after a lost answer recognises its own write.
 */
export async function addTeamCredits(raw: AddTeamCreditsInput): Promise<AddTeamCreditsResult> {
  const input = beginOperation('addTeamCredits', raw);
  const saga = new Saga('addTeamCredits', input.failurePolicy);
  const { orgId, userId, amount, purchaseId } = input;
  const { runId } = workflowInfo();

  return saga.run(async () => {
    const membership = await saga.step('read budget', () => forward.getUserTeamInfo({ userId, teamId: orgId }));
    const { maxBudget } = budgetFromTeamInfo(membership, userId, orgId);
    const credited = await saga.step(
      'credit team once',
      () =>
        forward.creditTeamOnce({
          teamId: orgId,
          purchaseId,
          runId,
          previousMaxBudget: maxBudget,
          newMaxBudget: maxBudget + amount,
        }),
      { undo: () => compensation.uncreditTeam({ teamId: orgId, purchaseId, runId }) }
    );
    // Members follow the team's budget as it is now, also when an earlier run added this purchase (it may
    // have been terminated before its members were set): that adds nothing.
    const result = await saga.step('set team budget', () =>
      executeChild(setTeamBudget, {
        workflowId: workflowIds.teamBudget(orgId),
        args: [{ teamId: orgId, maxBudget: credited.teamMaxBudget, failurePolicy: input.failurePolicy }],
      })
    );
    return {
      purchaseId,
      teamId: orgId,
      previousMaxBudget: credited.record.previousMaxBudget,
      newMaxBudget: credited.record.newMaxBudget,
      membersUpdated: result.membersUpdated,
      alreadyApplied: !credited.appliedByThisRun,
    };
  });
}
