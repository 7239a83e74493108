/**
 * Budget rules shared by activities and workflows (pure TypeScript: no Node imports, no I/O).
 */

/**
 * The user budget that stands for "unlimited".
 *
 * LiteLLM's `/user/update` drops a `null` `max_budget`, so a user's budget can never be cleared back to
 * unlimited once set; OpenHands writes this very large number instead. It also marks a user as
 * "already migrated" (the user's budget moved to the org team). This is the one definition.
 */
export const UNLIMITED_USER_BUDGET = 1_000_000_000;

/** True when a user budget means "no limit": null (never set) or the sentinel (or above). */
export function isUnlimitedUserBudget(maxBudget: number | null | undefined): boolean {
  return maxBudget == null || maxBudget >= UNLIMITED_USER_BUDGET;
}

/** The part of a team membership the budget helpers read (the `Membership` activity result fits). */
export interface MembershipBudget {
  spend: number;
  /** For a team org: the team's shared budget; for a personal org: a per-member budget if LiteLLM reported one. */
  maxBudgetInTeam: number | null;
  /** The member's own budget row (`litellm_budget_table.max_budget`). */
  budgetMaxBudget: number | null;
}

/**
 * The seed's `get_budget_from_team_info`: the budget and spend that count for `userId` in org `orgId`.
 *
 * - Personal org (`userId === orgId`): the member's budget row (`litellm_budget_table.max_budget`).
 * - Team org: the team-level budget (already folded into `maxBudgetInTeam` by `getUserTeamInfo`).
 * - No membership: 0 / 0. A missing budget counts as 0, exactly like the seed.
 */
export function budgetFromTeamInfo(
  membership: MembershipBudget | null,
  userId: string,
  orgId: string
): { maxBudget: number; spend: number } {
  if (!membership) return { maxBudget: 0, spend: 0 };
  const maxBudget = userId === orgId ? (membership.budgetMaxBudget ?? 0) : (membership.maxBudgetInTeam ?? 0);
  return { maxBudget, spend: membership.spend };
}

/** Credits left: `max(maxBudget - spend, 0)`, as the seed computes them. */
export function remainingCredits(maxBudget: number, spend: number): number {
  return Math.max(maxBudget - spend, 0);
}
