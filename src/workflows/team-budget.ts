import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';
import { creditsPurchase } from '../domain/decisions';
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

/** Defaults of {@link SetTeamBudgetInput}: 16 calls at once is the worker's default LiteLLM connection pool. */
export const TEAM_BUDGET_DEFAULTS = { concurrency: 16, pageSize: 200, pagesPerRun: 25 };

type TeamSnapshot = NonNullable<Awaited<ReturnType<typeof forward.getTeam>>>;
type MembersPage = Awaited<ReturnType<typeof forward.listTeamMemberships>>;
type ProvisioningSettings = Awaited<ReturnType<typeof local.getProvisioningSettings>>;

/**
 * Sets a team's budget, then the budget of every member with a membership row (seed:
 * `update_team_and_users_budget`). Each page of members is one activity with bounded HTTP concurrency
 * (src/activities/member-budget-pages.ts) whose undo restores that page's old budgets the same way; the
 * next page is read while the current one is written, and the team's own budget is set together with the
 * first page. A team larger than `pagesPerRun` pages continues as new with its progress carried, so history
 * stays bounded at any team size; the pages done in earlier runs are then final, and a rollback undoes the
 * current run's.
 */
export async function setTeamBudget(raw: SetTeamBudgetInput): Promise<SetTeamBudgetResult> {
  const input = beginOperation('setTeamBudget', raw);
  const saga = new Saga('setTeamBudget', input.failurePolicy);
  const { teamId, maxBudget } = input;
  const concurrency = input.concurrency ?? TEAM_BUDGET_DEFAULTS.concurrency;
  const pageSize = input.pageSize ?? TEAM_BUDGET_DEFAULTS.pageSize;
  const pagesPerRun = input.pagesPerRun ?? TEAM_BUDGET_DEFAULTS.pagesPerRun;
  let { offset, membersUpdated, teamUpdated } = input.progress ?? { offset: 0, membersUpdated: 0, teamUpdated: false };

  const readPage = (from: number) =>
    saga.step(`read members from ${from}`, () =>
      forward.listTeamMemberships({ teamId, offset: from, limit: pageSize })
    );
  const writePage = (page: MembersPage, from: number) =>
    saga.step(
      `set budget of members ${from + 1}-${from + page.memberships.length}`,
      () =>
        forward.setMemberBudgets({
          teamId,
          budgets: page.memberships.map((m) => ({ userId: m.userId, maxBudgetInTeam: maxBudget })),
          concurrency,
        }),
      {
        undo: () =>
          compensation.setMemberBudgets({
            teamId,
            budgets: page.memberships.map((m) => ({ userId: m.userId, maxBudgetInTeam: m.maxBudgetInTeam })),
            concurrency,
          }),
      }
    );
  const setTeam = async (team: TeamSnapshot, settings: ProvisioningSettings) => {
    // The seed's `_update_team` rewrites the settings version and default model on every team update; the
    // team's other metadata is kept (LiteLLM replaces metadata whole), and the undo puts back what was there.
    const metadata = { ...team.metadata, version: settings.orgSettingsVersion, model: settings.defaultModel };
    await saga.step('set team budget', () => forward.updateTeam({ teamId, maxBudget, metadata }), {
      undo: () => compensation.updateTeam({ teamId, maxBudget: team.maxBudget, metadata: team.metadata }),
    });
  };

  return saga.run(async () => {
    let page: MembersPage;
    let team: TeamSnapshot | null = null;
    let settings: ProvisioningSettings | undefined;
    if (teamUpdated) page = await readPage(offset);
    // Reads only (the local settings read included), all recorded before the first write is scheduled.
    else
      [settings, team, page] = await saga.all([
        () => local.getProvisioningSettings(),
        () => saga.step('read team', () => forward.getTeam({ teamId })),
        () => readPage(offset),
      ]);

    if (!teamUpdated && !team) throw new Error(`LiteLLM has no team ${teamId}`);

    for (let pages = 0; ; pages++) {
      const last = page.memberships.length === 0 || offset + page.memberships.length >= page.total;
      const stop = last || pages + 1 >= pagesPerRun || workflowInfo().continueAsNewSuggested;
      const from = offset;
      const current = page;
      // One level: this page's writes (with the team's own budget the first time) and the next page's read.
      const [, , next] = await saga.all([
        () => (teamUpdated || !team || !settings ? Promise.resolve() : setTeam(team, settings)),
        () => (current.memberships.length > 0 ? writePage(current, from) : Promise.resolve()),
        () => (stop ? Promise.resolve(undefined) : readPage(from + current.memberships.length)),
      ]);
      teamUpdated = true;
      offset += current.memberships.length;
      membersUpdated += current.memberships.length;
      if (last) return { teamId, maxBudget, membersUpdated };
      if (stop || !next) break;
      page = next;
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
  const { orgId, userId, purchaseId } = input;
  const { runId } = workflowInfo();

  return saga.run(async () => {
    const membership = await saga.step('read budget', () => forward.getUserTeamInfo({ userId, teamId: orgId }));
    const { previousMaxBudget: maxBudget, newMaxBudget } = creditsPurchase(membership, input);
    const credited = await saga.step(
      'credit team once',
      () =>
        forward.creditTeamOnce({
          teamId: orgId,
          purchaseId,
          runId,
          previousMaxBudget: maxBudget,
          newMaxBudget,
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
