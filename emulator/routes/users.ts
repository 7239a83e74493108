// /user/* endpoints (management_endpoints/internal_user_endpoints.py, reference §3).
import { randomUUID } from 'node:crypto';

import { HttpException } from '../errors';
import { generateKey, nowIso, type Json, type KeyRow, type Store, type TeamRow } from '../state';
import {
  bool,
  defaulted,
  dict,
  float,
  listOf,
  literal,
  model,
  nested,
  optional,
  required,
  str,
  union,
} from '../validate';
import { createKeyRow, generateRequestBase } from './keys';
import {
  eitherUserIdOrEmail,
  keyJson,
  membershipJson,
  METADATA_FIELDS,
  teamJson,
  timeFromNow,
  userJson,
  type RouteContext,
  type RouteDef,
} from './shared';
import { teamMemberAdd } from './teams';

const USER_ROLES = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const;

const NewUserRequestTeam = model('NewUserRequestTeam', {
  team_id: required(str),
  max_budget_in_team: optional(float),
  user_role: defaulted(literal(['user', 'admin']), () => 'user' as const),
});

const NewUserRequest = model('NewUserRequest', {
  ...generateRequestBase,
  user_email: optional(str),
  user_alias: optional(str),
  user_role: optional(literal(USER_ROLES)),
  teams: optional(union(['list[str]', listOf(str)], ['list[NewUserRequestTeam]', listOf(nested(NewUserRequestTeam))])),
  auto_create_key: defaulted(bool, () => true),
  send_invite_email: optional(bool),
  sso_user_id: optional(str),
  organizations: optional(listOf(str)),
});

const UpdateUserRequest = model(
  'UpdateUserRequest',
  {
    ...generateRequestBase,
    password: optional(str),
    spend: optional(float),
    metadata: optional(dict),
    user_alias: optional(str),
    user_role: optional(literal(USER_ROLES)),
    max_budget: optional(float),
    user_email: optional(str),
  },
  {
    before: eitherUserIdOrEmail,
  }
);

const DeleteUserRequest = model('DeleteUserRequest', { user_ids: required(listOf(str)) });

/** Columns of LiteLLM_UserTable that /user/update may write. */
const USER_COLUMNS = new Set([
  'user_id',
  'user_alias',
  'team_id',
  'password',
  'user_role',
  'max_budget',
  'spend',
  'user_email',
  'models',
  'metadata',
  'max_parallel_requests',
  'tpm_limit',
  'rpm_limit',
  'budget_duration',
  'budget_reset_at',
  'allowed_cache_controls',
  'model_max_budget',
]);

function newUser({ store, caller, body }: RouteContext): Json {
  const { value: d } = NewUserRequest.parseBody(body);
  // _check_duplicate_user_email: case-insensitive, on the trimmed input.
  if (d.user_email) {
    const wanted = d.user_email.trim().toLowerCase();
    const clash = [...store.users.values()].find((u) => u.user_email !== null && u.user_email.toLowerCase() === wanted);
    if (clash) {
      throw new HttpException(store.isV108 ? 409 : 400, {
        error: `User with email ${clash.user_email} already exists`,
      });
    }
  }
  if (store.isV108 && d.user_id !== null && store.users.has(d.user_id)) {
    throw new HttpException(409, { error: `User with id ${d.user_id} already exists` });
  }
  const userId = d.user_id ?? randomUUID();
  const metadata: Json = { ...(d.metadata ?? {}) };
  if (d.model_rpm_limit !== null) metadata.model_rpm_limit = d.model_rpm_limit;
  if (d.model_tpm_limit !== null) metadata.model_tpm_limit = d.model_tpm_limit;
  if (d.guardrails !== null) metadata.guardrails = d.guardrails;
  if (d.prompts !== null) metadata.prompts = d.prompts;
  const duration = d.duration !== null ? timeFromNow(d.duration) : null;
  const budgetResetAt = d.budget_duration !== null ? timeFromNow(d.budget_duration) : null;

  // generate_key_helper_fn(request_type="user"): upsert with update={} leaves an existing user untouched.
  let user = store.users.get(userId);
  if (!user) {
    user = store.newUser(userId);
    Object.assign(user, {
      max_budget: d.max_budget,
      user_email: d.user_email,
      user_alias: d.user_alias,
      team_id: d.team_id,
      user_role: d.user_role,
      spend: d.spend ?? 0,
      models: d.models ?? [],
      metadata: structuredClone(metadata),
      max_parallel_requests: d.max_parallel_requests,
      tpm_limit: d.tpm_limit,
      rpm_limit: d.rpm_limit,
      budget_duration: d.budget_duration,
      budget_reset_at: budgetResetAt,
      allowed_cache_controls: d.allowed_cache_controls ?? [],
      sso_user_id: d.sso_user_id,
    });
    store.users.set(userId, user);
  }
  let key: KeyRow | null = null;
  let plaintext = '';
  if (d.auto_create_key) {
    plaintext = generateKey();
    const requestedModels = d.models ?? [];
    key = createKeyRow(store, plaintext, {
      key_alias: d.key_alias,
      expires: duration,
      models: requestedModels.length === 0 && user.models.length > 0 ? [...user.models] : requestedModels,
      aliases: d.aliases ?? {},
      config: d.config ?? {},
      spend: d.spend ?? 0,
      user_id: userId,
      team_id: d.team_id,
      max_parallel_requests: d.max_parallel_requests,
      metadata: structuredClone(metadata),
      tpm_limit: d.tpm_limit,
      rpm_limit: d.rpm_limit,
      allowed_cache_controls: d.allowed_cache_controls ?? [],
      permissions: d.permissions ?? {},
      model_max_budget: d.model_max_budget ?? {},
      blocked: d.blocked,
    });
  }
  // Team joins: every failure (unknown team, already a member, admin without licence) is swallowed.
  const joins =
    d.team_id !== null
      ? [{ team_id: d.team_id, role: 'user' as const }]
      : (d.teams ?? []).map((t) =>
          typeof t === 'string' ? { team_id: t, role: 'user' as const } : { team_id: t.team_id, role: t.user_role }
        );
  for (const join of joins) {
    try {
      teamMemberAdd(store, caller, {
        team_id: join.team_id,
        member: { user_id: userId, user_email: d.user_email, role: join.role },
        max_budget_in_team: null,
      });
    } catch {
      // new_user logs and continues
    }
  }
  // NewUserResponse echoes the request (not the stored row); token/token_id are withheld.
  return {
    key: plaintext,
    key_name: key?.key_name ?? null,
    expires: key ? duration : null,
    user_id: userId,
    user_email: d.user_email,
    user_alias: d.user_alias,
    user_role: d.user_role,
    max_budget: d.max_budget,
    budget_duration: d.budget_duration,
    budget_id: null,
    models: d.models,
    spend: d.spend,
    metadata,
    tpm_limit: d.tpm_limit,
    rpm_limit: d.rpm_limit,
    max_parallel_requests: d.max_parallel_requests,
    team_id: d.team_id,
    teams: null,
    organization_id: null,
    key_alias: d.key_alias,
    duration: null,
    allowed_cache_controls: d.allowed_cache_controls,
    config: d.config,
    permissions: d.permissions,
    model_max_budget: d.model_max_budget,
    aliases: d.aliases,
    blocked: d.blocked,
    token: null,
    token_id: null,
    litellm_budget_table: null,
    created_by: null,
    updated_by: null,
    created_at: key?.created_at ?? null,
    updated_at: key?.updated_at ?? null,
  };
}

/** user_info: teams the user is listed in (with their memberships and keys), then teams only named in user.teams. */
function userInfo({ store, caller, query, rawQuery }: RouteContext): Json {
  let userId = query.getAll('user_id').pop() ?? null;
  if (userId !== null && userId.includes(' ')) {
    // get_user_id_from_request: re-read the raw query so '+' stays '+'
    const raw = /user_id=([^&]*)/.exec(rawQuery)?.[1];
    if (raw !== undefined) userId = decodeURIComponent(raw);
  }
  const teamAliasSort = (a: { team_alias?: unknown }, b: { team_alias?: unknown }): number => {
    const x = typeof a.team_alias === 'string' ? a.team_alias : '';
    const y = typeof b.team_alias === 'string' ? b.team_alias : '';
    return x < y ? -1 : x > y ? 1 : 0;
  };
  if (userId === null && caller.isAdmin) {
    const teams = [...store.teams.values()].sort(teamAliasSort);
    return {
      user_id: null,
      user_info: null,
      keys: keysForUserInfo(store, [...store.keys.values()], teams),
      teams: teams.map(teamJson),
    };
  }
  if (userId === null) userId = caller.userId;
  const user = userId !== null ? store.users.get(userId) : undefined;
  if (!user) throw new HttpException(404, `User ${userId ?? 'None'} not found`);

  // One pass over keys and memberships, so a user listed in thousands of teams stays cheap.
  const keysByTeam = new Map<string, KeyRow[]>();
  for (const key of store.keys.values()) {
    if (key.team_id === null) continue;
    const list = keysByTeam.get(key.team_id);
    if (list) list.push(key);
    else keysByTeam.set(key.team_id, [key]);
  }
  const ownMemberships = store.memberships().filter((m) => m.user_id === user.user_id);
  const listedIn: TeamRow[] = [];
  for (const team of store.teams.values()) {
    for (const m of team.members_with_roles) if (m.user_id === user.user_id) listedIn.push(team);
  }
  const teams: Array<Json & { team_alias?: unknown }> = listedIn.map((team) => ({
    ...teamJson(team),
    team_memberships: ownMemberships.filter((m) => m.team_id === team.team_id).map((m) => membershipJson(store, m)),
    keys: (keysByTeam.get(team.team_id) ?? []).map((k) => keyJson(store, k)),
  }));
  const seen = new Set(listedIn.map((t) => t.team_id));
  const named = new Set(user.teams);
  for (const team of store.teams.values()) {
    if (named.has(team.team_id) && !seen.has(team.team_id)) {
      seen.add(team.team_id);
      teams.push(teamJson(team));
    }
  }
  const keys = [...store.keys.values()].filter((k) => k.user_id === user.user_id);
  return {
    user_id: user.user_id,
    user_info: userJson(user),
    keys: keysForUserInfo(store, keys, listedIn),
    teams: teams.sort(teamAliasSort),
  };
}

/** _process_keys_for_user_info: hashed token kept, team_alias added ("None" as a string when the key has no team). */
function keysForUserInfo(store: Store, keys: KeyRow[], knownTeams: TeamRow[]): Json[] {
  const aliases = new Map(knownTeams.map((t) => [t.team_id, t.team_alias]));
  return keys
    .filter((k) => k.team_id !== 'litellm-dashboard')
    .map((k) => ({
      ...keyJson(store, k),
      team_alias: k.team_id === null ? 'None' : (aliases.get(k.team_id) ?? null),
    }));
}

function updateUser({ store, body }: RouteContext): Json {
  const { value: d, sent } = UpdateUserRequest.parseBody(body);
  if (!d.user_id && !d.user_email) throw new Error('Either user_id or user_email must be provided');
  // _update_internal_user_params: None, [] and {} are dropped, so nothing can be cleared here.
  const changes: Record<string, unknown> = {};
  for (const name of sent) {
    const value = d[name as keyof typeof d];
    const empty = Array.isArray(value)
      ? value.length === 0
      : typeof value === 'object' && value !== null && Object.keys(value).length === 0;
    if (value !== null && !empty && !(METADATA_FIELDS as readonly string[]).includes(name)) changes[name] = value;
  }
  // 1.108.5 clears a budget sent as an explicit null.
  if (store.isV108 && sent.has('max_budget') && d.max_budget === null) changes.max_budget = null;
  if (typeof changes.budget_duration === 'string') changes.budget_reset_at = timeFromNow(changes.budget_duration);
  const existing = d.user_id
    ? store.users.get(d.user_id)
    : [...store.users.values()].find((u) => u.user_email === d.user_email);
  // prepare_metadata_fields: metadata defaults to the stored one; metadata-only fields are merged into it.
  const metadata = (changes.metadata as Json | undefined) ?? { ...(existing?.metadata ?? {}) };
  for (const field of ['model_rpm_limit', 'model_tpm_limit'] as const)
    if (d[field] !== null) metadata[field] = d[field];
  changes.metadata = metadata;
  const unknown = Object.keys(changes).find((name) => !USER_COLUMNS.has(name));
  if (unknown) {
    throw new Error(`Could not find field at \`upsert.create.${unknown}\``); // Prisma rejects non-columns
  }
  let user = existing;
  if (!user) {
    user = store.newUser(d.user_id || randomUUID());
    if (!d.user_id) user.user_email = d.user_email;
    store.users.set(user.user_id, user);
  }
  Object.assign(user, changes, { user_id: user.user_id, updated_at: nowIso() });
  return { user_id: user.user_id, data: userJson(user) };
}

function deleteUser({ store, body }: RouteContext): number {
  const { value: d } = DeleteUserRequest.parseBody(body);
  for (const userId of d.user_ids) {
    const user = store.users.get(userId);
    if (!user) throw new HttpException(404, { error: `User not found, passed user_id=${userId}` });
    for (const team of store.teams.values()) {
      if (!user.teams.includes(team.team_id)) continue;
      // _cleanup_members_with_roles only: the user row and its keys go below.
      team.members_with_roles = team.members_with_roles.filter(
        (m) =>
          !(
            (m.user_id !== null && m.user_id === user.user_id) ||
            (user.user_email !== null && m.user_email !== null && m.user_email === user.user_email)
          )
      );
    }
  }
  const ids = new Set(d.user_ids);
  for (const key of [...store.keys.values()])
    if (key.user_id !== null && ids.has(key.user_id)) store.deleteKey(key.token);
  for (const m of store.memberships()) if (ids.has(m.user_id)) store.deleteMembership(m.user_id, m.team_id);
  let deleted = 0;
  for (const id of ids) if (store.users.delete(id)) deleted++;
  return deleted;
}

export const userRoutes: RouteDef[] = [
  { method: 'POST', path: '/user/new', access: 'admin', errors: 'proxy', handle: newUser },
  { method: 'GET', path: '/user/info', access: 'info', errors: 'proxy', handle: userInfo },
  { method: 'POST', path: '/user/update', access: 'admin', errors: 'auth', handle: updateUser },
  { method: 'POST', path: '/user/delete', access: 'admin', errors: 'raw', handle: deleteUser },
];
