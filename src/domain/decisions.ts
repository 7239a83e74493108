/**
 * What each operation decides from what it read, as pure functions: the workflows run them before they
 * write, and `plan` runs the very same functions to say what a workflow would do, without doing it.
 */
import { budgetFromTeamInfo, isUnlimitedUserBudget, type MembershipBudget } from './budgets';
import { creditsFromUserBudget, type BillingSettings, type UserBudget } from './migration';

interface TeamFacts {
  maxBudget: number | null;
  memberUserIds: string[];
}

interface KeyFacts {
  tokenHash: string;
  teamId: string | null;
}

export type MigrationDecision<K extends KeyFacts> =
  | { status: 'already_migrated' }
  | {
      status: 'migrated' | 'completed_partial_migration';
      /** Credits moved into the org team (a fresh migration only). */
      credits?: number;
      /** Create or update the org team with this budget (a fresh migration; a missing team of a half-done one). */
      teamBudget?: number | null;
      /** Set the user's budget to the unlimited sentinel (a fresh migration only). */
      setUserUnlimited: boolean;
      /** Add the user to the org team with this member budget; undefined when already a member. */
      addMember?: { maxBudgetInTeam: number | null };
      keysToMove: K[];
    };

/**
 * `migrateEntries`' decision (seed: `migrate_entries`, plus finishing a half-done migration): a user at the
 * "migrated" sentinel whose org team, membership or keys were never made or moved is completed (a missing
 * team starts with the default initial budget: the credits can no longer be computed from the user); a
 * budget never set (null) with no org team is a user the seed never migrated, left alone as there.
 */
export function decideMigration<K extends KeyFacts>(
  read: { user: UserBudget; team: TeamFacts | null; keys: K[] },
  input: { orgId: string; userId: string; userSettings: BillingSettings },
  defaultInitialBudget: number | null
): MigrationDecision<K> {
  const { user, team, keys } = read;
  const keysToMove = keys.filter((key) => key.teamId !== input.orgId);
  const isMember = team?.memberUserIds.includes(input.userId) ?? false;
  if (isUnlimitedUserBudget(user.maxBudget)) {
    if (team && isMember && keysToMove.length === 0) return { status: 'already_migrated' };
    if (!team && user.maxBudget === null) return { status: 'already_migrated' };
    const memberBudget = team ? team.maxBudget : defaultInitialBudget;
    return {
      status: 'completed_partial_migration',
      ...(team ? {} : { teamBudget: defaultInitialBudget }),
      setUserUnlimited: false,
      ...(isMember ? {} : { addMember: { maxBudgetInTeam: memberBudget } }),
      keysToMove,
    };
  }
  const credits = creditsFromUserBudget(user, input.userSettings);
  return {
    status: 'migrated',
    credits,
    teamBudget: credits,
    setUserUnlimited: true,
    ...(isMember ? {} : { addMember: { maxBudgetInTeam: credits } }),
    keysToMove,
  };
}

/** `createEntries`: new members of an existing org inherit its budget (null = unlimited); a new team gets the default. */
export function createTeamBudget(team: { maxBudget: number | null } | null, defaultInitialBudget: number | null) {
  return team ? team.maxBudget : defaultInitialBudget;
}

/**
 * `downgradeEntries`: the budget and spend the user gets back. The member's own budget in the team wins over
 * the team's (seed: `downgrade_entries`, step 1); a missing budget restores 0.
 */
export function downgradeRestore(
  team: { maxBudget: number | null; spend: number },
  membership: { maxBudgetInTeam: number | null; spend: number } | null
): { restoredBudget: number; restoredSpend: number } {
  const fromMember = membership?.maxBudgetInTeam != null;
  const restoredBudget = (fromMember ? membership.maxBudgetInTeam : team.maxBudget) || 0;
  return { restoredBudget, restoredSpend: fromMember ? membership.spend : team.spend };
}

/** `addTeamCredits`: the buyer's budget as it counts now, and the team budget after the purchase. */
export function creditsPurchase(
  membership: MembershipBudget | null,
  input: { userId: string; orgId: string; amount: number }
): { previousMaxBudget: number; newMaxBudget: number } {
  const { maxBudget } = budgetFromTeamInfo(membership, input.userId, input.orgId);
  return { previousMaxBudget: maxBudget, newMaxBudget: maxBudget + input.amount };
}
