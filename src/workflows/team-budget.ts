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
export async function setTeamBudget(input: SetTeamBudgetInput): Promise<SetTeamBudgetResult> {
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
 * for the buyer, adds the amount, and sets the team and member budgets. The workflow id is the purchase id,
 * so a retried callback finds this run and adds nothing twice; the read is recorded in history, so a replay
 * or a worker crash never reads a budget that already includes the purchase.
 */
export async function addTeamCredits(input: AddTeamCreditsInput): Promise<AddTeamCreditsResult> {
  const saga = new Saga('addTeamCredits', input.failurePolicy);
  const { orgId, userId, amount, purchaseId } = input;

  return saga.run(async () => {
    const membership = await saga.step('read budget', () => forward.getUserTeamInfo({ userId, teamId: orgId }));
    const { maxBudget } = budgetFromTeamInfo(membership, userId, orgId);
    const newMaxBudget = maxBudget + amount;
    const result = await saga.step('set team budget', () =>
      executeChild(setTeamBudget, {
        workflowId: workflowIds.teamBudget(orgId),
        args: [{ teamId: orgId, maxBudget: newMaxBudget, failurePolicy: input.failurePolicy }],
      })
    );
    return {
      purchaseId,
      teamId: orgId,
      previousMaxBudget: maxBudget,
      newMaxBudget,
      membersUpdated: result.membersUpdated,
    };
  });
}
