// /team/* endpoints (management_endpoints/team_endpoints.py, reference §2).
import { randomUUID } from 'node:crypto';

import type { Caller } from '../auth';
import { HttpException, ProxyException } from '../errors';
import { addMembersToTeam, memberStr, membersRepr, removeMemberFromTeam } from '../members';
import { pyModelStr, pyOptFloat, pyStr } from '../pyrepr';
import { nowIso, PROXY_ADMIN_ID, type BudgetRow, type Json, type Member, type Store, type TeamRow } from '../state';
import {
  anyList,
  bool,
  defaulted,
  dict,
  float,
  int,
  isDict,
  listOf,
  literal,
  model,
  nested,
  optional,
  required,
  str,
  union,
} from '../validate';
import {
  budgetJson,
  eitherUserIdOrEmail,
  firstPremiumField,
  keyJson,
  keysWhere,
  membershipJson,
  METADATA_FIELDS,
  NOT_PREMIUM,
  premiumRequired,
  teamJson,
  timeFromNow,
  userJson,
  type RouteContext,
  type RouteDef,
} from './shared';

const ROLES = ['admin', 'user'] as const;

/** MemberBase.check_user_info runs before field validation. */
const MemberModel = model(
  'Member',
  { user_id: optional(str), user_email: optional(str), role: required(literal(ROLES)) },
  {
    before: (raw) =>
      !isDict(raw)
        ? 'input needs to be a dictionary'
        : raw.user_id == null && raw.user_email == null
          ? 'Either user id or user email must be provided'
          : undefined,
  }
);
const member = nested(MemberModel);

const NewTeamRequest = model('NewTeamRequest', {
  team_alias: optional(str),
  team_id: optional(str),
  organization_id: optional(str),
  admins: defaulted(listOf(str), () => []),
  members: defaulted(listOf(str), () => []),
  members_with_roles: defaulted(listOf(member), () => []),
  team_member_permissions: optional(listOf(str)),
  metadata: optional(dict),
  tpm_limit: optional(int),
  rpm_limit: optional(int),
  max_budget: optional(float),
  budget_duration: optional(str),
  models: defaulted(listOf(str), () => []),
  blocked: defaulted(bool, () => false),
  model_aliases: optional(dict),
  tags: optional(anyList),
  guardrails: optional(listOf(str)),
  prompts: optional(listOf(str)),
  object_permission: optional(dict),
  allowed_passthrough_routes: optional(anyList),
  model_rpm_limit: optional(dict),
  rpm_limit_type: optional(literal(['guaranteed_throughput', 'best_effort_throughput'])),
  tpm_limit_type: optional(literal(['guaranteed_throughput', 'best_effort_throughput'])),
  model_tpm_limit: optional(dict),
  team_member_budget: optional(float),
  team_member_rpm_limit: optional(int),
  team_member_tpm_limit: optional(int),
  team_member_key_duration: optional(str),
  allowed_vector_store_indexes: optional(anyList),
});

const UpdateTeamRequest = model('UpdateTeamRequest', {
  team_id: required(str),
  team_alias: optional(str),
  organization_id: optional(str),
  metadata: optional(dict),
  tpm_limit: optional(int),
  rpm_limit: optional(int),
  max_budget: optional(float),
  models: optional(listOf(str)),
  blocked: optional(bool),
  budget_duration: optional(str),
  tags: optional(anyList),
  model_aliases: optional(dict),
  guardrails: optional(listOf(str)),
  object_permission: optional(dict),
  team_member_budget: optional(float),
  team_member_rpm_limit: optional(int),
  team_member_tpm_limit: optional(int),
  team_member_key_duration: optional(str),
  allowed_passthrough_routes: optional(anyList),
  model_rpm_limit: optional(dict),
  model_tpm_limit: optional(dict),
  allowed_vector_store_indexes: optional(anyList),
});

const DeleteTeamRequest = model('DeleteTeamRequest', { team_ids: required(listOf(str)) });

const TeamMemberAddRequest = model('TeamMemberAddRequest', {
  member: required(union(['list[Member]', listOf(member)], ['Member', member])),
  team_id: required(str),
  max_budget_in_team: optional(float),
});

const TeamMemberDeleteRequest = model(
  'TeamMemberDeleteRequest',
  { user_id: optional(str), user_email: optional(str), team_id: required(str) },
  { before: eitherUserIdOrEmail }
);

const TeamMemberUpdateRequest = model(
  'TeamMemberUpdateRequest',
  {
    user_id: optional(str),
    user_email: optional(str),
    team_id: required(str),
    max_budget_in_team: optional(float),
    role: optional(literal(ROLES)),
    tpm_limit: optional(int),
    rpm_limit: optional(int),
  },
  { before: eitherUserIdOrEmail }
);

const teamNotFound = (teamId: string): HttpException =>
  new HttpException(404, { error: `Team not found, passed team_id=${teamId}` });
const teamNotInDb = (teamId: string): HttpException =>
  new HttpException(400, { error: `Team id=${teamId} does not exist in db` });

/** TeamMemberBudgetHandler: a shared budget row for every member, referenced from metadata.team_member_budget_id. */
function upsertTeamMemberBudget(
  store: Store,
  metadata: Json,
  limits: { max_budget: number | null; rpm_limit: number | null; tpm_limit: number | null },
  createdBy: string
): void {
  const fields: Partial<BudgetRow> = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== null));
  const existingId = metadata.team_member_budget_id;
  const existing = typeof existingId === 'string' ? store.budgets.get(existingId) : undefined;
  if (existing) Object.assign(existing, fields, { updated_at: nowIso() });
  else metadata.team_member_budget_id = store.createBudget(fields, createdBy).budget_id;
}

function newTeam({ store, caller, body }: RouteContext): Json {
  const { value: d } = NewTeamRequest.parseBody(body);
  if (d.team_id !== null && store.teams.has(d.team_id)) {
    throw new HttpException(400, { error: `Team id = ${d.team_id} already exists. Please use a different team id.` });
  }
  if (d.organization_id !== null) {
    throw new HttpException(400, `Organization not found for organization_id=${d.organization_id}`);
  }
  const members: Member[] = d.members_with_roles.map((m) => ({ ...m }));
  if (caller.userId !== null && !members.some((m) => m.user_id === caller.userId)) {
    members.push({ user_id: caller.userId, user_email: null, role: 'admin' });
  }
  const premium = firstPremiumField(d);
  if (premium) throw premiumRequired(premium);

  const team = store.newTeam(d.team_id ?? randomUUID());
  const metadata: Json = { ...(d.metadata ?? {}) };
  for (const field of METADATA_FIELDS) {
    if (field in d && d[field as keyof typeof d] != null) metadata[field] = d[field as keyof typeof d];
  }
  const createdBy = caller.userId ?? PROXY_ADMIN_ID;
  if (d.team_member_budget !== null || d.team_member_rpm_limit !== null || d.team_member_tpm_limit !== null) {
    const limits = {
      max_budget: d.team_member_budget,
      rpm_limit: d.team_member_rpm_limit,
      tpm_limit: d.team_member_tpm_limit,
    };
    upsertTeamMemberBudget(store, metadata, limits, createdBy);
  }
  Object.assign(team, {
    team_alias: d.team_alias,
    admins: d.admins,
    members: d.members,
    team_member_permissions: d.team_member_permissions ?? [],
    metadata,
    tpm_limit: d.tpm_limit,
    rpm_limit: d.rpm_limit,
    max_budget: d.max_budget,
    budget_duration: d.budget_duration,
    budget_reset_at: d.budget_duration !== null ? timeFromNow(d.budget_duration) : null,
    models: d.models,
    blocked: d.blocked,
  });
  store.teams.set(team.team_id, team);
  addMembersToTeam(store, team, members, null, createdBy);
  return teamJson(team);
}

/** validate_membership: admins, the team's own keys, and members may read a team. */
function assertCanReadTeam(caller: Caller, team: TeamRow): void {
  if (caller.isAdmin || caller.role === 'proxy_admin_viewer' || caller.teamId === team.team_id) return;
  if (team.members_with_roles.some((m) => m.user_id === caller.userId)) return;
  throw new HttpException(403, {
    error: `User=${pyStr(caller.userId)} not authorized to access this team=${team.team_id}`,
  });
}

function teamInfo({ store, caller, query }: RouteContext): Json {
  const teamId = query.getAll('team_id').pop();
  if (teamId === undefined) throw new HttpException(422, { message: 'Malformed request. No team id passed in.' });
  const team = store.teams.get(teamId);
  if (!team) throw new HttpException(404, { message: `Team not found, passed team id: ${teamId}.` });
  assertCanReadTeam(caller, team);
  const budgetId = team.metadata.team_member_budget_id;
  return {
    team_id: teamId,
    team_info: {
      ...teamJson(team),
      team_member_budget_table: typeof budgetId === 'string' ? budgetJson(store.budgets.get(budgetId) ?? null) : null,
    },
    keys: keysWhere(store, (k) => k.team_id === teamId).map((k) => keyJson(store, k)),
    team_memberships: store.isV108 ? everyMembership(store, team) : ownMemberships(store, teamId),
  };
}

function ownMemberships(store: Store, teamId: string): Json[] {
  return store
    .memberships()
    .filter((m) => m.team_id === teamId)
    .map((m) => membershipJson(store, m));
}

/** 1.108.5: one row per listed member (the proxy admin first, as added), with where its budget comes from. */
function everyMembership(store: Store, team: TeamRow): Json[] {
  const rows: Json[] = team.members_with_roles.flatMap((m): Json[] => {
    if (m.user_id === null) return [];
    const row = store.membership(m.user_id, team.team_id) ?? {
      user_id: m.user_id,
      team_id: team.team_id,
      spend: 0,
      budget_id: null,
    };
    const budgetSource = row.budget_id === null ? 'none' : 'member';
    return [{ ...membershipJson(store, row), total_spend: row.spend, budget_source: budgetSource }];
  });
  const listed = new Set(rows.map((r) => r.user_id));
  const unlisted = ownMemberships(store, team.team_id).filter((r) => !listed.has(r.user_id));
  return [...rows, ...unlisted];
}

function updateTeam({ store, caller, body, models }: RouteContext): Json {
  const { value: d, sent } = UpdateTeamRequest.parseBody(body);
  const team = store.teams.get(d.team_id);
  if (!team) throw teamNotFound(d.team_id);
  if (d.organization_id) {
    if (models.length === 0) throw new HttpException(500, { error: 'No models configured on proxy' });
    throw new HttpException(404, { error: `Organization not found, passed organization_id=${d.organization_id}` });
  }
  // exclude_unset: only what was sent changes; an explicit null clears nullable columns.
  const updates: Record<string, unknown> = {};
  for (const name of sent) updates[name] = d[name as keyof typeof d];
  if (d.budget_duration) updates.budget_reset_at = timeFromNow(d.budget_duration);
  if (d.team_member_budget !== null || d.team_member_rpm_limit !== null || d.team_member_tpm_limit !== null) {
    if (updates.metadata == null) updates.metadata = { ...team.metadata };
    const limits = {
      max_budget: d.team_member_budget,
      rpm_limit: d.team_member_rpm_limit,
      tpm_limit: d.team_member_tpm_limit,
    };
    upsertTeamMemberBudget(store, updates.metadata as Json, limits, caller.userId ?? PROXY_ADMIN_ID);
  }
  if (firstPremiumField(updates)) throw premiumRequired();
  for (const field of METADATA_FIELDS) {
    if (updates[field] == null) continue;
    // _update_metadata_field: when no metadata was sent, the stored metadata is REPLACED by just this field.
    updates.metadata = { ...(updates.metadata ?? {}), [field]: updates[field] };
  }
  if ('organization_id' in updates && updates.organization_id === '') updates.organization_id = null;
  const COLUMNS = [
    'team_alias',
    'organization_id',
    'metadata',
    'tpm_limit',
    'rpm_limit',
    'max_budget',
    'models',
    'blocked',
  ];
  const NON_NULL = new Set(['metadata', 'models', 'blocked']);
  for (const column of [...COLUMNS, 'budget_duration', 'budget_reset_at']) {
    if (!(column in updates)) continue;
    const value = updates[column];
    if (value === null && NON_NULL.has(column)) continue; // a null on a required column is not stored
    Object.assign(team, { [column]: value });
  }
  team.updated_at = nowIso();
  return { team_id: team.team_id, data: teamJson(team) };
}

/** /team/member_delete's checks and effects; also run for every member by /team/delete. */
function deleteMember(store: Store, teamId: string, userId: string | null, userEmail: string | null): TeamRow {
  const team = store.teams.get(teamId);
  if (!team) throw teamNotInDb(teamId);
  if (!removeMemberFromTeam(store, team, userId, userEmail)) {
    throw new HttpException(400, { error: 'User not found in team' });
  }
  return team;
}

function deleteTeam({ store, body }: RouteContext): Json {
  const { value: d } = DeleteTeamRequest.parseBody(body);
  const rows = d.team_ids.map((id) => {
    const team = store.teams.get(id);
    if (!team) throw teamNotFound(id);
    return { id, members: structuredClone(team.members_with_roles) };
  });
  const ids = new Set(d.team_ids);
  for (const key of keysWhere(store, (k) => k.team_id !== null && ids.has(k.team_id))) store.deleteKey(key.token);
  for (const row of rows) {
    for (const m of row.members) deleteMember(store, row.id, m.user_id, m.user_email);
  }
  for (const id of ids) store.teams.delete(id);
  return { deleted_teams: d.team_ids };
}

/** team_member_add, shared with /user/new (which swallows its errors). */
export function teamMemberAdd(
  store: Store,
  caller: Caller,
  d: { team_id: string; member: Member | Member[]; max_budget_in_team: number | null }
): Json {
  const list = Array.isArray(d.member) ? d.member : [d.member];
  const admin = list.find((m) => m.role === 'admin');
  if (admin) {
    const error = Array.isArray(d.member)
      ? `Assigning team admins is a premium feature. Got=${memberStr(admin)}. ${NOT_PREMIUM}. `
      : `Assigning team admins is a premium feature. ${NOT_PREMIUM}`;
    throw new HttpException(400, { error });
  }
  const team = store.teams.get(d.team_id);
  if (!team) {
    throw new HttpException(404, {
      error: `Team doesn't exist in db. Team=${d.team_id}. Create team via \`/team/new\` call.`,
    });
  }
  // team_member_add_duplication_check counts one hit per matching listed member, by user_id and by email.
  let duplicates = 0;
  for (const m of list) {
    if (m.user_id !== null) duplicates += team.members_with_roles.filter((e) => e.user_id === m.user_id).length;
    if (m.user_email !== null)
      duplicates += team.members_with_roles.filter((e) => e.user_email === m.user_email).length;
  }
  const existing = membersRepr(team.members_with_roles);
  if (Array.isArray(d.member) && duplicates === list.length) {
    throw new ProxyException(
      400,
      `All users are already in team. Existing members=${existing}`,
      'team_member_already_in_team',
      'member'
    );
  }
  const single = d.member;
  if (!Array.isArray(single) && duplicates === 1) {
    throw new ProxyException(
      400,
      `User already in team. Member: user_id=${pyStr(single.user_id)}, user_email=${pyStr(single.user_email)}. Existing members=${existing}`,
      'team_member_already_in_team',
      'member'
    );
  }
  const { users, memberships } = addMembersToTeam(
    store,
    team,
    list,
    d.max_budget_in_team,
    caller.userId ?? PROXY_ADMIN_ID
  );
  return {
    ...teamJson(team),
    updated_users: users.map(userJson),
    updated_team_memberships: memberships.map((m) => membershipJson(store, m)),
  };
}

function memberAdd({ store, caller, body }: RouteContext): Json {
  return teamMemberAdd(store, caller, TeamMemberAddRequest.parseBody(body).value);
}

function memberUpdate({ store, caller, body }: RouteContext): Json {
  const { value: d, sent } = TeamMemberUpdateRequest.parseBody(body);
  if (d.role === 'admin') {
    throw new HttpException(
      400,
      'Assigning team admins is a premium feature. You must be a LiteLLM Enterprise user to use this feature. If you have a license please set `LITELLM_LICENSE` in your env. Get a 7 day trial key here: https://www.litellm.ai/#trial. Pricing: https://www.litellm.ai/#pricing'
    );
  }
  const team = store.teams.get(d.team_id);
  if (!team) throw teamNotInDb(d.team_id);
  const userId =
    d.user_id ??
    (d.user_email !== null
      ? (team.members_with_roles.find((m) => m.user_email === d.user_email)?.user_id ?? null)
      : null);
  if (userId === null) {
    const data = pyModelStr({
      user_id: d.user_id,
      user_email: d.user_email,
      team_id: d.team_id,
      max_budget_in_team: pyOptFloat(d.max_budget_in_team),
      role: d.role,
      tpm_limit: d.tpm_limit,
      rpm_limit: d.rpm_limit,
    });
    throw new HttpException(400, { error: `User id doesn't exist in team table. Data=${data}` });
  }
  // _upsert_budget_and_membership: a fresh budget row per call, or disconnect when every limit is null.
  const membership = store.membership(userId, d.team_id);
  const limitsSent = ['max_budget_in_team', 'tpm_limit', 'rpm_limit'].some((f) => sent.has(f));
  if (store.isV108 && !limitsSent) {
    // 1.108.5: a field left out is unchanged (1.80.9 took an update without limits as "disconnect").
  } else if (d.max_budget_in_team === null && d.tpm_limit === null && d.rpm_limit === null) {
    if (membership) membership.budget_id = null;
  } else {
    const fields: Partial<BudgetRow> = {};
    if (d.max_budget_in_team !== null) fields.max_budget = d.max_budget_in_team;
    if (d.tpm_limit !== null) fields.tpm_limit = d.tpm_limit;
    if (d.rpm_limit !== null) fields.rpm_limit = d.rpm_limit;
    const own = membership && store.isV108 ? store.budgetOf(membership) : null;
    if (own) Object.assign(own, fields, { updated_at: nowIso() }); // 1.108.5 updates the member's row in place
    const budget = own ?? store.createBudget(fields, caller.userId ?? '');
    if (membership) membership.budget_id = budget.budget_id;
    else store.putMembership({ user_id: userId, team_id: d.team_id, spend: 0, budget_id: budget.budget_id });
  }
  const role = d.role;
  if (role !== null) {
    team.members_with_roles = team.members_with_roles.map((m) =>
      m.user_id === userId ? { user_id: m.user_id, user_email: d.user_email || m.user_email, role } : m
    );
  }
  return {
    team_id: d.team_id,
    user_id: userId,
    user_email: d.user_email,
    max_budget_in_team: d.max_budget_in_team,
    tpm_limit: d.tpm_limit,
    rpm_limit: d.rpm_limit,
  };
}

function memberDelete({ store, body }: RouteContext): Json {
  const { value: d } = TeamMemberDeleteRequest.parseBody(body);
  return teamJson(deleteMember(store, d.team_id, d.user_id, d.user_email));
}

export const teamRoutes: RouteDef[] = [
  { method: 'POST', path: '/team/new', access: 'admin', errors: 'proxy', handle: newTeam },
  { method: 'GET', path: '/team/info', access: 'info', errors: 'auth', handle: teamInfo },
  { method: 'POST', path: '/team/update', access: 'admin', errors: 'proxy', handle: updateTeam },
  { method: 'POST', path: '/team/delete', access: 'admin', errors: 'raw', handle: deleteTeam },
  { method: 'POST', path: '/team/member_add', access: 'admin', errors: 'raw', handle: memberAdd },
  { method: 'POST', path: '/team/member_update', access: 'admin', errors: 'raw', handle: memberUpdate },
  { method: 'POST', path: '/team/member_delete', access: 'admin', errors: 'raw', handle: memberDelete },
];
