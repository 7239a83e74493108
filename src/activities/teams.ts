/**
 * Team and membership activities. Idempotency rule of each is in docs/activities.md.
 */
import {
  LiteLLMInputError,
  isAlreadyInTeam,
  isHttpStatus,
  isMemberAbsent,
  isTeamAlreadyExists,
} from '../litellm/errors';
import { PROXY_ADMIN_USER_ID } from '../domain/proxy-admin';
import type { TeamInfoResponse } from '../litellm/schemas';
import { logEvent } from './context';
import { runActivity } from './failures';
import type { ActivityDeps, Membership, TeamSnapshot } from './types';

/** `/team/info`, with 404 → null. */
export async function readTeam(
  deps: ActivityDeps,
  teamId: string,
  signal: AbortSignal | undefined
): Promise<TeamInfoResponse | null> {
  try {
    return await deps.client.teamInfo(teamId, { signal });
  } catch (e) {
    if (isHttpStatus(e, 404)) return null;
    throw e;
  }
}

/**
 * `team_memberships` rows of this team (LiteLLM returns only this team's, but we don't rely on it), without
 * the proxy admin: 1.108.5 lists it as a member of every team created with the master key.
 */
function membershipRows(info: TeamInfoResponse) {
  return (info.team_memberships ?? []).filter((m) => m.team_id === info.team_id && m.user_id !== PROXY_ADMIN_USER_ID);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The user's membership of `teamId`, from that team's `/team/info` answer, or null. In a team org
 * (user ≠ team), budget and spend are the team's shared ones; in a personal org, the member's own.
 */
export function toMembership(info: TeamInfoResponse, userId: string, teamId: string): Membership | null {
  const row = membershipRows(info).find((m) => m.user_id === userId);
  if (!row) return null;
  const budgetMaxBudget = row.litellm_budget_table?.max_budget ?? null;
  if (userId !== teamId) {
    return {
      userId,
      teamId,
      spend: info.team_info.spend ?? 0,
      maxBudgetInTeam: info.team_info.max_budget ?? null,
      budgetMaxBudget,
    };
  }
  const own = (row as Record<string, unknown>).max_budget_in_team;
  return {
    userId,
    teamId,
    spend: row.spend ?? 0,
    maxBudgetInTeam: typeof own === 'number' ? own : null,
    budgetMaxBudget,
  };
}

export function toTeamSnapshot(info: TeamInfoResponse): TeamSnapshot {
  const t = info.team_info;
  const memberUserIds = sortedUnique(
    (t.members_with_roles ?? [])
      .map((m) => m.user_id)
      .filter((u): u is string => typeof u === 'string' && u !== '' && u !== PROXY_ADMIN_USER_ID)
  );
  const seen = new Set<string>();
  const memberships = membershipRows(info)
    .filter((m) => !seen.has(m.user_id) && seen.add(m.user_id))
    .map((m) => ({
      userId: m.user_id,
      maxBudgetInTeam: m.litellm_budget_table?.max_budget ?? null,
      spend: m.spend ?? 0,
    }))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return {
    teamId: info.team_id,
    teamAlias: t.team_alias ?? null,
    maxBudget: t.max_budget ?? null,
    spend: t.spend ?? 0,
    metadata: t.metadata ?? {},
    memberUserIds,
    memberships,
  };
}

/** Delete a budget row no membership of `teamId` and not the team's member budget refers to. */
async function deleteBudgetRowIfUnused(
  deps: ActivityDeps,
  budgetId: string,
  teamId: string,
  signal: AbortSignal | undefined
): Promise<boolean> {
  const after = await readTeam(deps, teamId, signal);
  const used =
    after !== null &&
    ((after.team_memberships ?? []).some((m) => m.budget_id === budgetId) ||
      after.team_info.metadata?.team_member_budget_id === budgetId);
  if (used) return false;
  await deps.client.budgetDelete(budgetId, { signal });
  logEvent('info', 'removeUserFromTeam: deleted the membership budget row left behind', { teamId });
  return true;
}

export function teamActivities(deps: ActivityDeps) {
  const { client, provisioning } = deps;
  const teamMetadata = () => ({ version: provisioning.orgSettingsVersion, model: provisioning.defaultModel });

  return {
    /** The team, or null when LiteLLM does not know it (404). */
    async getTeam(input: { teamId: string }): Promise<TeamSnapshot | null> {
      return runActivity('getTeam', { teamId: input.teamId }, async (signal) => {
        const info = await readTeam(deps, input.teamId, signal);
        return info && toTeamSnapshot(info);
      });
    },

    /**
     * The team's `team_memberships` rows (what the seed's budget fan-out iterates), sorted by user id so that
     * pages are stable: `userIds` and, for undo steps, each row's current budget (`memberships`, same order).
     * A missing team is `LiteLLMNotFound`.
     */
    async listTeamMemberships(input: {
      teamId: string;
      offset: number;
      limit: number;
    }): Promise<{ userIds: string[]; memberships: TeamSnapshot['memberships']; total: number }> {
      return runActivity('listTeamMemberships', { teamId: input.teamId }, async (signal) => {
        if (!Number.isInteger(input.offset) || input.offset < 0) {
          throw new LiteLLMInputError('offset', 'must be an integer ≥ 0');
        }
        if (!Number.isInteger(input.limit) || input.limit < 1) {
          throw new LiteLLMInputError('limit', 'must be an integer ≥ 1');
        }
        const info = await client.teamInfo(input.teamId, { signal });
        const all = toTeamSnapshot(info).memberships;
        const memberships = all.slice(input.offset, input.offset + input.limit);
        return { userIds: memberships.map((m) => m.userId), memberships, total: all.length };
      });
    },

    /**
     * Create the team (`/team/new`, budget omitted when null = unlimited). If it exists — created earlier,
     * or by a previous attempt whose answer was lost — update alias and metadata (metadata merged into the
     * stored one, not replacing it), and the budget only when one is given; then `created: false`.
     */
    async createTeam(input: {
      teamId: string;
      teamAlias: string;
      maxBudget: number | null;
    }): Promise<{ created: boolean }> {
      return runActivity('createTeam', { teamId: input.teamId }, async (signal) => {
        try {
          await client.teamNew(
            { teamId: input.teamId, teamAlias: input.teamAlias, maxBudget: input.maxBudget, metadata: teamMetadata() },
            { signal }
          );
          return { created: true };
        } catch (e) {
          if (!isTeamAlreadyExists(e)) throw e;
        }
        logEvent('info', 'createTeam: team exists, updating it', { teamId: input.teamId });
        const existing = await readTeam(deps, input.teamId, signal);
        await client.teamUpdate(
          {
            teamId: input.teamId,
            teamAlias: input.teamAlias,
            ...(input.maxBudget !== null ? { maxBudget: input.maxBudget } : {}),
            metadata: { ...(existing?.team_info.metadata ?? {}), ...teamMetadata() },
          },
          { signal }
        );
        return { created: false };
      });
    },

    /**
     * `/team/update`: `undefined` → not sent; `maxBudget: null` → cleared (unlimited); `teamAlias: null` →
     * cleared; `metadata` replaces the stored metadata (the undo of `createTeam` restores it exactly).
     * Nothing given → no call.
     */
    async updateTeam(input: {
      teamId: string;
      teamAlias?: string | null;
      maxBudget?: number | null;
      metadata?: Record<string, unknown>;
    }): Promise<void> {
      return runActivity('updateTeam', { teamId: input.teamId }, async (signal) => {
        const { teamId, teamAlias, maxBudget, metadata } = input;
        if (teamAlias === undefined && maxBudget === undefined && metadata === undefined) return;
        await client.teamUpdate({ teamId, teamAlias, maxBudget, metadata }, { signal });
      });
    },

    /** `/team/delete` (LiteLLM deletes the team's keys too). Already gone (404) → `deleted: false`. */
    async deleteTeam(input: { teamId: string }): Promise<{ deleted: boolean }> {
      return runActivity('deleteTeam', { teamId: input.teamId }, async (signal) => {
        try {
          await client.teamDelete([input.teamId], { signal });
          return { deleted: true };
        } catch (e) {
          if (isHttpStatus(e, 404)) return { deleted: false };
          throw e;
        }
      });
    },

    /**
     * `/team/member_add` with role `user`; budget omitted when null. Already a member (type
     * `team_member_already_in_team`) → `added: false`, the existing membership is left as it is.
     */
    async addUserToTeam(input: {
      userId: string;
      teamId: string;
      maxBudgetInTeam: number | null;
    }): Promise<{ added: boolean }> {
      return runActivity('addUserToTeam', { userId: input.userId, teamId: input.teamId }, async (signal) => {
        try {
          await client.teamMemberAdd(
            { teamId: input.teamId, userId: input.userId, role: 'user', maxBudgetInTeam: input.maxBudgetInTeam },
            { signal }
          );
          return { added: true };
        } catch (e) {
          if (!isAlreadyInTeam(e)) throw e;
          logEvent('info', 'addUserToTeam: already in team', { userId: input.userId, teamId: input.teamId });
          return { added: false };
        }
      });
    },

    /**
     * `/team/member_delete`. Not a member, or the team is gone → `removed: false`. LiteLLM leaves the
     * membership's budget row behind in `/budget/list`; it is deleted here once nothing in the team refers
     * to it (no other membership, not the team's member budget), so an undo or a downgrade leaves no residue.
     * (A retry after a lost answer no longer sees the membership, so such a row can be left: counted by doctor.)
     */
    async removeUserFromTeam(input: { userId: string; teamId: string }): Promise<{ removed: boolean }> {
      return runActivity('removeUserFromTeam', { userId: input.userId, teamId: input.teamId }, async (signal) => {
        const before = await readTeam(deps, input.teamId, signal);
        const budgetId = before && membershipRows(before).find((m) => m.user_id === input.userId)?.budget_id;
        let removed = true;
        try {
          await client.teamMemberDelete({ teamId: input.teamId, userId: input.userId }, { signal });
        } catch (e) {
          if (!isMemberAbsent(e)) throw e;
          removed = false;
        }
        if (budgetId) await deleteBudgetRowIfUnused(deps, budgetId, input.teamId, signal);
        return { removed };
      });
    },

    /**
     * The seed's `_get_user_team_info`: the user's `team_memberships` row, or null (team unknown, or no row).
     * For a team org (userId ≠ teamId) budget and spend are the team's shared ones.
     */
    async getUserTeamInfo(input: { userId: string; teamId: string }): Promise<Membership | null> {
      return runActivity('getUserTeamInfo', { userId: input.userId, teamId: input.teamId }, async (signal) => {
        const info = await readTeam(deps, input.teamId, signal);
        return info && toMembership(info, input.userId, input.teamId);
      });
    },

    /** `/team/member_update`: a budget, or null = unlimited (budget omitted, LiteLLM disconnects the row). */
    async updateUserInTeam(input: { userId: string; teamId: string; maxBudgetInTeam: number | null }): Promise<void> {
      return runActivity('updateUserInTeam', { userId: input.userId, teamId: input.teamId }, async (signal) => {
        await client.teamMemberUpdate(
          { teamId: input.teamId, userId: input.userId, maxBudgetInTeam: input.maxBudgetInTeam },
          { signal }
        );
      });
    },
  };
}
