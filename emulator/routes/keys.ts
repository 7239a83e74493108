// /key/* endpoints (management_endpoints/key_management_endpoints.py, reference §4.1–4.5).
import { HttpException, ProxyException, type PydanticError, ValidationFailure } from '../errors';
import { pyRepr } from '../pyrepr';
import {
  generateKey,
  hashIfNeeded,
  nowIso,
  PROXY_ADMIN_ID,
  sha256,
  type Json,
  type KeyRow,
  type Store,
  type TeamRow,
} from '../state';
import {
  anyList,
  bool,
  datetime,
  dict,
  float,
  int,
  isDict,
  listOf,
  literal,
  model,
  optional,
  optionalDefaulted,
  queryParam,
  required,
  str,
} from '../validate';
import {
  firstPremiumField,
  keyJson,
  METADATA_FIELDS,
  PREMIUM_FIELDS,
  premiumRequired,
  timeFromNow,
  type RouteContext,
  type RouteDef,
} from './shared';

/** Python truthiness of a JSON value. */
const truthy = (v: unknown): boolean =>
  Array.isArray(v) ? v.length > 0 : isDict(v) ? Object.keys(v).length > 0 : Boolean(v);

/** GenerateRequestBase: fields /key/generate shares with /user/new and /user/update. */
export const generateRequestBase = {
  key_alias: optional(str),
  duration: optional(str),
  models: optionalDefaulted(listOf(str), () => []),
  spend: optionalDefaulted(float, () => 0),
  max_budget: optional(float),
  user_id: optional(str),
  team_id: optional(str),
  max_parallel_requests: optional(int),
  metadata: optionalDefaulted(dict, () => ({})),
  tpm_limit: optional(int),
  rpm_limit: optional(int),
  budget_duration: optional(str),
  allowed_cache_controls: optionalDefaulted(listOf(str), () => []),
  config: optionalDefaulted(dict, () => ({})),
  permissions: optionalDefaulted(dict, () => ({})),
  model_max_budget: optionalDefaulted(dict, () => ({})),
  model_rpm_limit: optional(dict),
  model_tpm_limit: optional(dict),
  guardrails: optional(listOf(str)),
  prompts: optional(listOf(str)),
  blocked: optional(bool),
  aliases: optionalDefaulted(dict, () => ({})),
  object_permission: optional(dict),
};

const THROUGHPUT = ['guaranteed_throughput', 'best_effort_throughput', 'dynamic'] as const;

const keyRequestBase = {
  ...generateRequestBase,
  key: optional(str),
  budget_id: optional(str),
  tags: optional(listOf(str)),
  enforced_params: optional(listOf(str)),
  allowed_routes: optionalDefaulted(listOf(str), () => []),
  allowed_passthrough_routes: optional(anyList),
  allowed_vector_store_indexes: optional(anyList),
  rpm_limit_type: optional(literal(THROUGHPUT)),
  tpm_limit_type: optional(literal(THROUGHPUT)),
};

const GenerateKeyRequest = model('GenerateKeyRequest', {
  ...keyRequestBase,
  soft_budget: optional(float),
  send_invite_email: optional(bool),
  key_type: optionalDefaulted(
    literal(['llm_api', 'management', 'read_only', 'default'], 'enum'),
    () => 'default' as const
  ),
  auto_rotate: optionalDefaulted(bool, () => false),
  rotation_interval: optional(str),
  organization_id: optional(str),
});

const UpdateKeyRequest = model(
  'UpdateKeyRequest',
  {
    ...keyRequestBase,
    key: required(str),
    spend: optional(float),
    metadata: optional(dict),
    temp_budget_increase: optional(float),
    temp_budget_expiry: optional(datetime),
    auto_rotate: optional(bool),
    rotation_interval: optional(str),
  },
  {
    after: (v) =>
      (v.temp_budget_increase === null) !== (v.temp_budget_expiry === null)
        ? 'temp_budget_increase and temp_budget_expiry must be set together'
        : undefined,
  }
);

const KeyRequest = model(
  'KeyRequest',
  { keys: optional(listOf(str)), key_aliases: optional(listOf(str)) },
  {
    before: (raw) =>
      isDict(raw) && !truthy(raw.keys) && !truthy(raw.key_aliases)
        ? "At least one of 'keys' or 'key_aliases' must be provided."
        : undefined,
  }
);

/** Columns /key/update writes; the NOT NULL ones ignore an explicit null. */
const KEY_COLUMNS = new Set([
  'key_alias',
  'spend',
  'expires',
  'models',
  'aliases',
  'config',
  'user_id',
  'team_id',
  'permissions',
  'max_parallel_requests',
  'metadata',
  'blocked',
  'tpm_limit',
  'rpm_limit',
  'max_budget',
  'budget_duration',
  'budget_reset_at',
  'allowed_cache_controls',
  'allowed_routes',
  'model_max_budget',
  'budget_id',
  'organization_id',
  'auto_rotate',
  'rotation_interval',
]);
const NOT_NULL_KEY_COLUMNS = new Set([
  'spend',
  'models',
  'aliases',
  'config',
  'permissions',
  'metadata',
  'allowed_cache_controls',
  'allowed_routes',
  'model_max_budget',
]);

/** insert_data(table "key"): an upsert with update={}, so an existing token is returned untouched. */
export function createKeyRow(store: Store, plaintext: string, fields: Partial<KeyRow>): KeyRow {
  const existing = store.keys.get(sha256(plaintext));
  if (existing) return existing;
  const row = Object.assign(store.newKey(plaintext), fields);
  store.insertKey(row);
  return row;
}

function assertUniqueAlias(store: Store, alias: string | null, exceptToken?: string): void {
  if (alias === null) return;
  for (const key of store.keys.values()) {
    if (key.key_alias === alias && key.token !== exceptToken) {
      throw new ProxyException(
        400,
        `Key with alias '${alias}' already exists. Unique key aliases across all keys are required.`,
        'bad_request_error',
        'key_alias'
      );
    }
  }
}

const KEY_TYPE_ROUTES: Record<string, string[]> = {
  llm_api: ['llm_api_routes'],
  management: ['management_routes'],
  read_only: ['info_routes'],
};

function generate({ store, caller, body }: RouteContext): Json {
  const { value: d } = GenerateKeyRequest.parseBody(body);
  const createdBy = caller.userId ?? PROXY_ADMIN_ID;
  const budgetId =
    d.soft_budget !== null
      ? store.createBudget({ soft_budget: d.soft_budget, model_max_budget: d.model_max_budget ?? {} }, createdBy)
          .budget_id
      : d.budget_id;
  const premium = firstPremiumField(d);
  if (premium) throw premiumRequired(premium);
  let metadata = d.metadata;
  for (const field of METADATA_FIELDS) {
    const value = (d as Record<string, unknown>)[field];
    if (value != null) metadata = { ...(metadata ?? {}), [field]: value };
  }
  assertUniqueAlias(store, d.key_alias);
  if (d.key !== null && !d.key.startsWith('sk-')) {
    throw new HttpException(400, {
      error: `Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: ${d.key}`,
    });
  }
  if (d.organization_id !== null) {
    throw new HttpException(400, `Organization not found for organization_id=${d.organization_id}`);
  }
  // generate_key_helper_fn: team and user existence are NOT checked.
  const plaintext = d.key ?? generateKey();
  const fields = {
    key_alias: d.key_alias,
    expires: d.duration !== null ? timeFromNow(d.duration) : null,
    models: d.models ?? [],
    aliases: d.aliases ?? {},
    config: d.config ?? {},
    spend: d.spend ?? 0,
    max_budget: d.max_budget,
    user_id: d.user_id,
    team_id: d.team_id,
    max_parallel_requests: d.max_parallel_requests,
    metadata: metadata ?? {},
    tpm_limit: d.tpm_limit,
    rpm_limit: d.rpm_limit,
    budget_duration: d.budget_duration,
    budget_reset_at: d.budget_duration !== null ? timeFromNow(d.budget_duration) : null,
    allowed_cache_controls: d.allowed_cache_controls ?? [],
    permissions: d.permissions ?? {},
    model_max_budget: d.model_max_budget ?? {},
    budget_id: budgetId,
    blocked: d.blocked,
    created_by: caller.userId,
    updated_by: caller.userId,
    allowed_routes: KEY_TYPE_ROUTES[d.key_type ?? 'default'] ?? d.allowed_routes ?? [],
    auto_rotate: d.auto_rotate ?? false,
    rotation_interval: d.rotation_interval,
  } satisfies Partial<KeyRow>;
  const row = createKeyRow(store, plaintext, fields);
  // GenerateKeyResponse echoes the request; only token ids and timestamps come from the stored row.
  const { budget_reset_at: _resetAt, auto_rotate: _autoRotate, rotation_interval: _interval, ...echo } = fields;
  return {
    ...echo,
    key: plaintext,
    key_name: `sk-...${plaintext.slice(-4)}`,
    token: row.token,
    token_id: row.token,
    duration: null,
    organization_id: null,
    litellm_budget_table: keyJson(store, row).litellm_budget_table,
    model_rpm_limit: null,
    model_tpm_limit: null,
    guardrails: null,
    prompts: null,
    object_permission: null,
    tags: null,
    enforced_params: null,
    allowed_passthrough_routes: null,
    allowed_vector_store_indexes: null,
    rpm_limit_type: null,
    tpm_limit_type: null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** _model_matches_any_wildcard_pattern_in_list + the [] / '*' / all-proxy-models shortcuts. */
function teamAllowsModel(teamModels: string[], modelName: string): boolean {
  if (teamModels.length === 0 || teamModels.includes('*') || teamModels.includes('all-proxy-models')) return true;
  return teamModels.some(
    (m) =>
      m === modelName ||
      (m.includes('*') &&
        new RegExp(`^${m.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(modelName))
  );
}

/** validate_key_team_change (the caller is always a proxy admin here). */
function validateKeyTeamChange(key: KeyRow, team: TeamRow): void {
  for (const m of key.models) {
    if (!teamAllowsModel(team.models, m)) {
      throw new ProxyException(
        401,
        `team not allowed to access model. This team can only access models=${pyRepr(team.models)}. Tried to access ${m}`,
        'team_model_access_denied',
        'model'
      );
    }
  }
  if (key.user_id !== null && !team.members_with_roles.some((m) => m.user_id === key.user_id)) {
    throw new HttpException(
      403,
      `User=${key.user_id} is not a member of the team=${team.team_id}. Check team members via \`/team/info\`.`
    );
  }
  if (key.tpm_limit !== null) {
    if (team.tpm_limit && key.tpm_limit > team.tpm_limit) {
      throw new HttpException(
        403,
        `Key=${key.token} has a tpm_limit=${key.tpm_limit} which is greater than the team's tpm_limit=${team.tpm_limit}.`
      );
    }
    if (team.rpm_limit && key.rpm_limit && key.rpm_limit > team.rpm_limit) {
      throw new HttpException(
        403,
        `Key=${key.token} has a rpm_limit=${key.rpm_limit} which is greater than the team's rpm_limit=${team.rpm_limit}.`
      );
    }
  }
}

function update({ store, body, models }: RouteContext): Json {
  const { value: d, sent } = UpdateKeyRequest.parseBody(body);
  const row = store.keys.get(hashIfNeeded(d.key));
  if (!row && store.isV108) throw new ProxyException(404, 'Key not found.', 'not_found_error', 'key');
  if (!row) {
    throw new HttpException(
      401,
      `Authentication Error: invalid user key - user key does not exist in db. User Key=${d.key}`
    );
  }
  if (d.team_id !== null) {
    const team = store.teams.get(d.team_id);
    if (!team) {
      throw new HttpException(404, {
        error: `Team doesn't exist in db. Team=${d.team_id}. Create team via \`/team/new\` call.`,
      });
    }
    if (row.team_id !== team.team_id) {
      if (models.length === 0) {
        throw new HttpException(400, {
          error:
            'LLM router not found. Please set it up by passing in a valid config.yaml or adding models via the UI.',
        });
      }
      validateKeyTeamChange(row, team);
    }
  }
  // prepare_key_update_data (exclude_unset: an explicit null clears nullable columns)
  const premium = firstPremiumField(d);
  if (premium) throw premiumRequired(premium);
  const skip = new Set<string>(['key', 'object_permission', ...METADATA_FIELDS, ...PREMIUM_FIELDS]);
  const changes: Record<string, unknown> = {};
  for (const name of sent) if (!skip.has(name)) changes[name] = d[name as keyof typeof d];
  delete changes.duration;
  if (d.duration) changes.expires = timeFromNow(d.duration);
  delete changes.budget_duration;
  if (d.budget_duration) {
    changes.budget_duration = d.budget_duration;
    changes.budget_reset_at = timeFromNow(d.budget_duration);
  }
  const metadata = sent.has('metadata') ? d.metadata : { ...row.metadata };
  if (metadata !== null) {
    for (const field of METADATA_FIELDS) {
      const value = (d as Record<string, unknown>)[field];
      if (value != null) metadata[field] = value;
    }
  }
  changes.metadata = metadata;
  assertUniqueAlias(store, typeof changes.key_alias === 'string' ? changes.key_alias : null, row.token);
  for (const [column, value] of Object.entries(changes)) {
    if (!KEY_COLUMNS.has(column) || (value === null && NOT_NULL_KEY_COLUMNS.has(column))) continue;
    Object.assign(row, { [column]: value });
  }
  row.updated_at = nowIso();
  return { key: d.key, ...keyJson(store, row) };
}

function remove({ store, body }: RouteContext): Json {
  const { value: d } = KeyRequest.parseBody(body);
  const requested = d.keys && d.keys.length > 0 ? d.keys : (d.key_aliases ?? []);
  const tokens =
    d.keys && d.keys.length > 0
      ? d.keys.map(hashIfNeeded).filter((t) => store.keys.has(t))
      : [...store.keys.values()]
          .filter((k) => k.key_alias !== null && requested.includes(k.key_alias))
          .map((k) => k.token);
  if (tokens.length === 0) throw new HttpException(404, { error: 'No keys found' });
  for (const token of tokens) store.deleteKey(token);
  return { deleted_keys: requested };
}

const BlockKeyRequest = model('BlockKeyRequest', { key: required(str) });

/** `/key/block`: the key stays, refused on every call until unblocked. */
function block({ store, body }: RouteContext): Json {
  const { value: d } = BlockKeyRequest.parseBody(body);
  const row = store.keys.get(hashIfNeeded(d.key));
  if (!row) throw new ProxyException(404, `Key not found. Passed key=${d.key}`, 'not_found_error', 'key');
  row.blocked = true;
  row.updated_at = nowIso();
  return keyJson(store, row);
}

function info({ store, caller, query }: RouteContext): Json {
  const key = query.getAll('key').pop() || caller.apiKey; // `key or user_api_key_dict.api_key`
  const row = store.keys.get(hashIfNeeded(key));
  const deleted = store.isV108 ? store.deletedKeys.get(hashIfNeeded(key)) : undefined;
  if (!row && deleted && caller.isAdmin) {
    const { token: _token, deleted_at, ...details } = keyJson(store, deleted);
    return { key, info: { ...details, status: 'deleted', deleted_at, deleted_by: caller.userId } };
  }
  if (!row) throw new ProxyException(404, 'Key not found in database', 'not_found_error', 'key');
  const allowed =
    caller.isAdmin || caller.role === 'proxy_admin_viewer' || caller.apiKey === key || row.user_id === caller.userId;
  if (!allowed) throw new HttpException(403, `You are not allowed to access this key's info. Your role=${caller.role}`);
  const { token: _token, ...details } = keyJson(store, row);
  return { key, info: details };
}

const SORT_COLUMNS = ['spend', 'max_budget', 'created_at', 'updated_at', 'token', 'key_alias'] as const;

/** Postgres ordering: ASC puts NULLs last, DESC first; ties fall back to creation order (newest first). */
function compareKeys(
  store: Store,
  column: (typeof SORT_COLUMNS)[number],
  order: 'asc' | 'desc'
): (a: KeyRow, b: KeyRow) => number {
  return (a, b) => {
    const x = column === 'created_at' ? store.keyRank(a.token) : a[column];
    const y = column === 'created_at' ? store.keyRank(b.token) : b[column];
    let result = 0;
    if (x === null || y === null) result = x === y ? 0 : x === null ? 1 : -1;
    else result = x < y ? -1 : x > y ? 1 : 0;
    if (order === 'desc') result = -result;
    return result || store.keyRank(b.token) - store.keyRank(a.token);
  };
}

function list({ store, caller, query }: RouteContext): Json {
  const errors: PydanticError[] = [];
  const page = queryParam(query, 'page', int, 1, errors);
  const size = queryParam(query, 'size', int, 10, errors);
  const returnFullObject = queryParam(query, 'return_full_object', bool, false, errors);
  const includeCreatedBy = queryParam(query, 'include_created_by_keys', bool, false, errors);
  queryParam(query, 'include_team_keys', bool, false, errors);
  if (query.has('page') && page < 1) {
    errors.push({
      type: 'greater_than_equal',
      loc: ['query', 'page'],
      msg: 'Input should be greater than or equal to 1',
      input: query.getAll('page').pop(),
      ctx: { ge: 1 },
    });
  }
  if (query.has('size') && size < 1) {
    errors.push({
      type: 'greater_than_equal',
      loc: ['query', 'size'],
      msg: 'Input should be greater than or equal to 1',
      input: query.getAll('size').pop(),
      ctx: { ge: 1 },
    });
  }
  if (size > 100) {
    errors.push({
      type: 'less_than_equal',
      loc: ['query', 'size'],
      msg: 'Input should be less than or equal to 100',
      input: query.getAll('size').pop(),
      ctx: { le: 100 },
    });
  }
  if (errors.length > 0) throw new ValidationFailure(errors);
  const last = (name: string): string | undefined => query.getAll(name).pop() || undefined;
  let userId = last('user_id');
  const teamId = last('team_id');
  const keyAlias = last('key_alias');
  const organizationId = last('organization_id');
  const keyHash = last('key_hash');
  const sortBy = query.getAll('sort_by').pop();
  const sortOrder = (query.getAll('sort_order').pop() ?? 'desc').toLowerCase();

  if (!caller.isAdmin) {
    // validate_key_list_check: a user may only list their own keys (and their teams').
    const notAuthorized = (message: string, param: string): ProxyException =>
      new ProxyException(403, message, 'bad_request_error', param);
    const user = caller.userId !== null ? store.users.get(caller.userId) : undefined;
    if (!user)
      throw notAuthorized(
        "You are not authorized to access this endpoint. No 'user_id' is associated with your API key.",
        'user_id'
      );
    if (userId && userId !== user.user_id)
      throw notAuthorized("You are not authorized to check another user's keys", 'user_id');
    if (teamId && !user.teams.includes(teamId))
      throw notAuthorized("You are not authorized to check this team's keys", 'team_id');
    if (organizationId)
      throw notAuthorized("You are not authorized to check this organization's keys", 'organization_id');
    userId ??= user.user_id;
  }
  let order = compareKeys(store, 'created_at', 'desc');
  if (sortBy !== undefined) {
    if (!(SORT_COLUMNS as readonly string[]).includes(sortBy)) {
      throw new HttpException(400, { error: `Invalid sort column. Must be one of: ${SORT_COLUMNS.join(', ')}` });
    }
    if (sortOrder !== 'asc' && sortOrder !== 'desc') {
      throw new HttpException(400, { error: "Invalid sort order. Must be 'asc' or 'desc'" });
    }
    order = compareKeys(store, sortBy as (typeof SORT_COLUMNS)[number], sortOrder);
  }
  const ownFilter = (k: KeyRow): boolean =>
    (!userId || k.user_id === userId) &&
    (!teamId || k.team_id === teamId) &&
    (!keyAlias || k.key_alias === keyAlias) &&
    (!organizationId || k.organization_id === organizationId) &&
    (!keyHash || k.token === keyHash);
  const matches = [...store.keys.values()]
    .filter((k) => k.team_id !== 'litellm-dashboard')
    .filter((k) => ownFilter(k) || (includeCreatedBy && !!userId && k.created_by === userId))
    .sort(order);
  const pageRows = matches.slice((page - 1) * size, page * size);
  return {
    keys: pageRows.map((k) => (returnFullObject ? { ...keyJson(store, k), object_permission: null } : k.token)),
    total_count: matches.length,
    current_page: page,
    total_pages: Math.ceil(matches.length / size),
  };
}

export const keyRoutes: RouteDef[] = [
  { method: 'POST', path: '/key/generate', access: 'admin', errors: 'proxy', handle: generate },
  { method: 'POST', path: '/key/update', access: 'admin', errors: 'auth', handle: update },
  { method: 'POST', path: '/key/delete', access: 'admin', errors: 'proxy', handle: remove },
  { method: 'GET', path: '/key/info', access: 'info', errors: 'proxy', handle: info },
  { method: 'POST', path: '/key/block', access: 'admin', errors: 'proxy', handle: block },
  { method: 'GET', path: '/key/list', access: 'info', errors: 'list', handle: list },
];
