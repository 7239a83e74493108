// Team membership side effects shared by /team/new, /team/member_add, /user/new, /team/member_delete,
// /team/delete and the seeder (management_helpers/utils.py::add_new_member and team_member_delete).
import { randomUUID } from 'node:crypto';

import { HttpException } from './errors';
import { pyModelRepr, pyModelStr, pyStr } from './pyrepr';
import type { Member, MembershipRow, Store, TeamRow, UserRow } from './state';

const memberRepr = (m: Member): string =>
  pyModelRepr('Member', { user_id: m.user_id, user_email: m.user_email, role: m.role });
export const memberStr = (m: Member): string =>
  pyModelStr({ user_id: m.user_id, user_email: m.user_email, role: m.role });
export const membersRepr = (members: Member[]): string => `[${members.map(memberRepr).join(', ')}]`;

/** get_new_internal_user_defaults: new users created by a team add are internal users with no models. */
function createInternalUser(store: Store, userId: string, teamId: string, email: string | null): UserRow {
  const user = store.newUser(userId);
  user.user_role = 'internal_user';
  user.user_email = email;
  user.teams = [teamId];
  store.users.set(userId, user);
  return user;
}

/** Upsert the member's user row and push the team (a Prisma `push`: duplicates are kept). */
function upsertMemberUser(store: Store, member: Member, teamId: string): UserRow {
  if (member.user_id !== null) {
    const existing = store.users.get(member.user_id);
    if (!existing) return createInternalUser(store, member.user_id, teamId, null);
    existing.teams.push(teamId);
    return existing;
  }
  const email = member.user_email ?? '';
  const matches = [...store.users.values()].filter((u) => u.user_email === email);
  const [only] = matches;
  if (!only) return createInternalUser(store, randomUUID(), teamId, email);
  if (matches.length > 1) {
    throw new HttpException(400, {
      error: "Multiple users with this email found in db. Please use 'user_id' instead.",
    });
  }
  only.teams.push(teamId);
  return only;
}

function addOneMember(
  store: Store,
  member: Member,
  team: TeamRow,
  maxBudgetInTeam: number | null,
  createdBy: string
): { user: UserRow; membership: MembershipRow | null } {
  try {
    const user = upsertMemberUser(store, member, team.team_id);
    const teamBudgetId =
      typeof team.metadata.team_member_budget_id === 'string' ? team.metadata.team_member_budget_id : null;
    const budgetId =
      maxBudgetInTeam !== null
        ? store.createBudget({ max_budget: maxBudgetInTeam }, createdBy).budget_id
        : teamBudgetId;
    if (!budgetId) return { user, membership: null };
    if (store.membership(user.user_id, team.team_id)) {
      throw new Error('Unique constraint failed on the fields: (`user_id`,`team_id`)');
    }
    const membership: MembershipRow = { user_id: user.user_id, team_id: team.team_id, spend: 0, budget_id: budgetId };
    store.putMembership(membership);
    return { user, membership };
  } catch (e) {
    // _process_team_members turns any failure into a 500 naming the member (str(HTTPException) is "<status>: <detail>").
    const reason =
      e instanceof HttpException ? `${e.status}: ${pyStr(e.detail)}` : e instanceof Error ? e.message : String(e);
    throw new HttpException(500, {
      error: `Unable to add user - ${memberStr(member)}, to team - ${team.team_id}, for reason - ${reason}`,
    });
  }
}

/**
 * _add_team_members_to_team: upsert each user (and a budget + membership row when a member budget applies),
 * then append the members not yet listed in members_with_roles.
 */
export function addMembersToTeam(
  store: Store,
  team: TeamRow,
  members: Member[],
  maxBudgetInTeam: number | null,
  createdBy: string
): { users: UserRow[]; memberships: MembershipRow[] } {
  const results = members.map((m) => addOneMember(store, m, team, maxBudgetInTeam, createdBy));
  for (const original of members) {
    const member = { ...original };
    if (member.user_id === null && member.user_email !== null) {
      const match = results.find((r) => r.user.user_email !== null && r.user.user_email === member.user_email);
      if (match) member.user_id = match.user.user_id;
    }
    const listed = team.members_with_roles.some(
      (e) =>
        (member.user_id !== null && e.user_id === member.user_id) ||
        (member.user_email !== null && e.user_email === member.user_email)
    );
    if (!listed) team.members_with_roles.push(member);
  }
  return {
    users: results.map((r) => r.user),
    memberships: results.flatMap((r) => (r.membership ? [r.membership] : [])),
  };
}

/** team_member_delete's effects once the member is known to be listed. Returns false when not a member. */
export function removeMemberFromTeam(
  store: Store,
  team: TeamRow,
  userId: string | null,
  userEmail: string | null
): boolean {
  const remaining = team.members_with_roles.filter(
    (m) =>
      !(
        (userId !== null && m.user_id !== null && m.user_id === userId) ||
        (userEmail !== null && m.user_email !== null && m.user_email === userEmail)
      )
  );
  if (remaining.length === team.members_with_roles.length) return false;
  team.members_with_roles = remaining;

  const users =
    userId !== null
      ? [store.users.get(userId)].filter((u): u is UserRow => u !== undefined)
      : [...store.users.values()].filter((u) => u.user_email === userEmail);
  for (const user of users) {
    const index = user.teams.indexOf(team.team_id);
    if (index >= 0) user.teams.splice(index, 1); // list.remove(): first occurrence only
  }
  const userIds = new Set(users.map((u) => u.user_id));
  if (userId !== null) userIds.add(userId);
  for (const uid of userIds) store.deleteMembership(uid, team.team_id);
  for (const key of [...store.keys.values()]) {
    if (key.team_id === team.team_id && key.user_id !== null && userIds.has(key.user_id)) store.deleteKey(key.token);
  }
  return true;
}
