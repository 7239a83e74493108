/**
 * The LiteLLM admin endpoints the activities call, each one method over the one request path of
 * `LiteLLMTransport` (transport.ts). Ids are checked before any call (`LiteLLMInputError`, input.ts).
 *
 * The methods speak LiteLLM's vocabulary (snake_case answers) and encode its quirks (how "unlimited" is sent
 * per endpoint, keys by hash); deciding what an answer means for an operation is the activities' job.
 * Both real versions the project verifies (1.80.9 and 1.108.5, test/contract) accept every request as sent.
 */
import type { Dispatcher } from 'undici';
import type { LiteLLMConfig } from '../config';
import { LiteLLMInputError } from './errors';
import {
  clearWithNull,
  CONTROL_CHARS,
  KEY_LIST_MAX_PAGE_SIZE,
  omitWhenUnlimited,
  validateBudget,
  validateId,
  validateKeyOrHash,
} from './input';
import { isPlaintextKey } from './keys';
import * as S from './schemas';
import { LiteLLMTransport, type CallOptions } from './transport';

export type { CallOptions } from './transport';
// The client's input contract, as the activities import it.
export { KEY_LIST_MAX_PAGE_SIZE, validateId } from './input';

/** LiteLLM's `/user/list` page size ceiling. */
export const USER_LIST_MAX_PAGE_SIZE = 100;

function checkPage(page: number, size: number, max: number, sizeField: string): void {
  if (!Number.isInteger(page) || page < 1) throw new LiteLLMInputError('page', 'must be an integer ≥ 1');
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new LiteLLMInputError(sizeField, `must be an integer between 1 and ${max}`);
  }
}

/**
 * Whether page `page` of a LiteLLM list answer (`rows` rows asked `size` at a time) is its last: by
 * `total_pages` when the answer has it, else by a short page.
 */
export function isLastPage(page: number, rows: number, size: number, totalPages: number | null | undefined): boolean {
  return totalPages != null ? page >= totalPages : rows < size;
}

export interface LiteLLMClientOptions {
  /** Use this dispatcher instead of an own `Pool` (tests: undici `MockAgent`). The client does not close it. */
  dispatcher?: Dispatcher;
  /** Told the outcome of every call, for metrics: the HTTP status, or `timeout` / `connection` / `aborted`. */
  onCall?: (route: string, outcome: string) => void;
  /** `LiteLLM-Changed-By` of each call, from the configured name (see `TransportOptions.changedBy`). */
  changedBy?: (configured: string) => string | undefined;
}

export class LiteLLMClient {
  private readonly http: LiteLLMTransport;

  constructor(config: LiteLLMConfig, options: LiteLLMClientOptions = {}) {
    this.http = new LiteLLMTransport(config, options);
  }

  /** Close the connection pool (waits for calls in flight). */
  async close(): Promise<void> {
    await this.http.close();
  }

  // ---- teams --------------------------------------------------------------------------------------------

  /** `POST /team/new`. A null budget is omitted (unlimited; see input.ts). */
  async teamNew(
    input: { teamId: string; teamAlias: string | null; maxBudget: number | null; metadata: Record<string, unknown> },
    opts: CallOptions = {}
  ) {
    const teamAlias = input.teamAlias === null ? null : validateId('teamAlias', input.teamAlias);
    const body = {
      team_id: validateId('teamId', input.teamId),
      ...(teamAlias !== null ? { team_alias: teamAlias } : {}),
      models: [],
      metadata: input.metadata,
      ...omitWhenUnlimited('max_budget', validateBudget('maxBudget', input.maxBudget)),
    };
    return this.http.post('/team/new', body, S.TeamNewResponse, opts);
  }

  /** `GET /team/info?team_id=`. */
  async teamInfo(teamId: string, opts: CallOptions = {}) {
    return this.http.get('/team/info', { team_id: validateId('teamId', teamId) }, S.TeamInfoResponse, opts);
  }

  /**
   * `POST /team/update`: `undefined` fields are not sent; `null` clears the budget (unlimited) or the alias;
   * `metadata` replaces the stored metadata as a whole.
   */
  async teamUpdate(
    input: {
      teamId: string;
      teamAlias?: string | null;
      maxBudget?: number | null;
      metadata?: Record<string, unknown>;
    },
    opts: CallOptions = {}
  ) {
    const { teamAlias } = input;
    const body = {
      team_id: validateId('teamId', input.teamId),
      ...(teamAlias !== undefined
        ? { team_alias: teamAlias === null ? null : validateId('teamAlias', teamAlias) }
        : {}),
      ...clearWithNull('max_budget', validateBudget('maxBudget', input.maxBudget)),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
    };
    return this.http.post('/team/update', body, S.TeamUpdateResponse, opts);
  }

  /** `POST /team/delete` (also deletes the team's keys and memberships). */
  async teamDelete(teamIds: string[], opts: CallOptions = {}) {
    const body = { team_ids: teamIds.map((t) => validateId('teamId', t)) };
    return this.http.post('/team/delete', body, S.TeamDeleteResponse, opts);
  }

  /** `POST /team/member_add` for one member. A null budget is omitted (no membership budget = unlimited). */
  async teamMemberAdd(
    input: { teamId: string; userId: string; role: 'user' | 'admin'; maxBudgetInTeam: number | null },
    opts: CallOptions = {}
  ) {
    const body = {
      team_id: validateId('teamId', input.teamId),
      member: { user_id: validateId('userId', input.userId), role: input.role },
      ...omitWhenUnlimited('max_budget_in_team', validateBudget('maxBudgetInTeam', input.maxBudgetInTeam)),
    };
    return this.http.post('/team/member_add', body, S.TeamMemberAddResponse, opts);
  }

  /**
   * `POST /team/member_update`. A null budget is sent as an explicit `null`: both versions then disconnect
   * the member's budget row (unlimited in the team); 1.108.5 leaves it unchanged when the field is omitted.
   */
  async teamMemberUpdate(
    input: { teamId: string; userId: string; maxBudgetInTeam: number | null },
    opts: CallOptions = {}
  ) {
    const body = {
      team_id: validateId('teamId', input.teamId),
      user_id: validateId('userId', input.userId),
      ...clearWithNull('max_budget_in_team', validateBudget('maxBudgetInTeam', input.maxBudgetInTeam) ?? null),
    };
    return this.http.post('/team/member_update', body, S.TeamMemberUpdateResponse, opts);
  }

  /** `POST /team/member_delete` (LiteLLM also deletes the user's keys of that team; its budget row stays). */
  async teamMemberDelete(input: { teamId: string; userId: string }, opts: CallOptions = {}) {
    const body = { team_id: validateId('teamId', input.teamId), user_id: validateId('userId', input.userId) };
    return this.http.post('/team/member_delete', body, S.TeamMemberDeleteResponse, opts);
  }

  // ---- budget rows --------------------------------------------------------------------------------------

  /** `GET /budget/list`: every budget row (`LiteLLM_BudgetTable`). */
  async budgetList(opts: CallOptions = {}) {
    return this.http.get('/budget/list', undefined, S.BudgetListResponse, opts);
  }

  /** `POST /budget/delete` of one row by id (a missing row answers 200 as well). */
  async budgetDelete(budgetId: string, opts: CallOptions = {}) {
    return this.http.post('/budget/delete', { id: validateId('budgetId', budgetId) }, S.BudgetDeleteResponse, opts);
  }

  // ---- users --------------------------------------------------------------------------------------------

  /** `POST /user/new` without an auto-created key and without an invitation e-mail. */
  async userNew(
    input: { userId: string; email: string | null; teams: string[]; metadata: Record<string, unknown> },
    opts: CallOptions = {}
  ) {
    const email = input.email === null ? null : validateId('email', input.email, 320);
    const body = {
      user_id: validateId('userId', input.userId),
      ...(email !== null ? { user_email: email } : {}),
      models: [],
      teams: input.teams.map((t) => validateId('teams[]', t)),
      auto_create_key: false,
      send_invite_email: false,
      metadata: input.metadata,
    };
    return this.http.post('/user/new', body, S.UserNewResponse, opts);
  }

  /** `GET /user/info?user_id=`. */
  async userInfo(userId: string, opts: CallOptions = {}) {
    return this.http.get('/user/info', { user_id: validateId('userId', userId) }, S.UserInfoResponse, opts);
  }

  /**
   * `POST /user/update`: `undefined` → not sent; `maxBudget: null` is an explicit `null`, which 1.108.5 takes
   * as "clear" and 1.80.9 ignores (the activity reads back and writes the sentinel there).
   * Note: LiteLLM CREATES an unknown user here; callers that must not do that check first.
   */
  async userUpdate(input: { userId: string; maxBudget?: number | null; spend?: number }, opts: CallOptions = {}) {
    const spend = validateBudget('spend', input.spend);
    const body = {
      user_id: validateId('userId', input.userId),
      ...clearWithNull('max_budget', validateBudget('maxBudget', input.maxBudget)),
      ...(spend != null ? { spend } : {}),
    };
    return this.http.post('/user/update', body, S.UserUpdateResponse, opts);
  }

  /** `POST /user/delete` (also deletes the user's keys and memberships). */
  async userDelete(userIds: string[], opts: CallOptions = {}) {
    const body = { user_ids: userIds.map((u) => validateId('userId', u)) };
    return this.http.post('/user/delete', body, S.UserDeleteResponse, opts);
  }

  // ---- keys ---------------------------------------------------------------------------------------------

  /** `POST /key/generate`. `key` is our own chosen plaintext (deterministic issuance); `models: []` = all. */
  async keyGenerate(
    input: {
      key: string;
      userId: string;
      teamId: string | null;
      keyAlias: string | null;
      metadata?: Record<string, unknown>;
    },
    opts: CallOptions = {}
  ) {
    if (!isPlaintextKey(input.key) || CONTROL_CHARS.test(input.key)) {
      throw new LiteLLMInputError('key', 'must start with sk-');
    }
    const body = {
      key: input.key,
      user_id: validateId('userId', input.userId),
      models: [],
      ...(input.teamId !== null ? { team_id: validateId('teamId', input.teamId) } : {}),
      ...(input.keyAlias !== null ? { key_alias: validateId('keyAlias', input.keyAlias) } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
    };
    return this.http.post('/key/generate', body, S.KeyGenerateResponse, opts);
  }

  /**
   * `POST /key/update`, addressing the key by its hash. `teamId`/`maxBudget`: `undefined` → unchanged,
   * `null` → cleared.
   */
  async keyUpdate(
    input: { keyOrHash: string; teamId?: string | null; maxBudget?: number | null },
    opts: CallOptions = {}
  ) {
    const teamId = input.teamId == null ? input.teamId : validateId('teamId', input.teamId);
    const body = {
      key: validateKeyOrHash('keyOrHash', input.keyOrHash),
      ...(teamId !== undefined ? { team_id: teamId } : {}),
      ...clearWithNull('max_budget', validateBudget('maxBudget', input.maxBudget)),
    };
    return this.http.post('/key/update', body, S.KeyUpdateResponse, opts);
  }

  /** `POST /key/delete` by keys (sent as hashes) or by aliases. */
  async keyDelete(input: { keysOrHashes: string[] } | { keyAliases: string[] }, opts: CallOptions = {}) {
    let body: { keys: string[] } | { key_aliases: string[] };
    if ('keysOrHashes' in input) {
      if (input.keysOrHashes.length === 0) throw new LiteLLMInputError('keys', 'must not be empty');
      body = { keys: input.keysOrHashes.map((k) => validateKeyOrHash('keyOrHash', k)) };
    } else {
      if (input.keyAliases.length === 0) throw new LiteLLMInputError('keyAliases', 'must not be empty');
      body = { key_aliases: input.keyAliases.map((a) => validateId('keyAlias', a)) };
    }
    return this.http.post('/key/delete', body, S.KeyDeleteResponse, opts);
  }

  /** `GET /key/list?user_id=&return_full_object=true` — one page. */
  async keyList(input: { userId: string; page: number; size: number }, opts: CallOptions = {}) {
    const userId = validateId('userId', input.userId);
    if (!Number.isInteger(input.page) || input.page < 1) throw new LiteLLMInputError('page', 'must be an integer ≥ 1');
    if (!Number.isInteger(input.size) || input.size < 1 || input.size > KEY_LIST_MAX_PAGE_SIZE) {
      throw new LiteLLMInputError('size', `must be an integer between 1 and ${KEY_LIST_MAX_PAGE_SIZE}`);
    }
    const query = { user_id: userId, return_full_object: 'true', page: input.page, size: input.size };
    return this.http.get('/key/list', query, S.KeyListResponse, opts);
  }

  /**
   * `GET /key/list?return_full_object=true&sort_by=token&sort_order=asc` — one page of every key (the fleet
   * doctor). Ordered by hash, a unique column, so pages neither overlap nor skip while nothing writes.
   */
  async keyListAll(input: { page: number; size: number }, opts: CallOptions = {}) {
    checkPage(input.page, input.size, KEY_LIST_MAX_PAGE_SIZE, 'size');
    const query = {
      return_full_object: 'true',
      sort_by: 'token',
      sort_order: 'asc',
      page: input.page,
      size: input.size,
    };
    return this.http.get('/key/list', query, S.KeyListResponse, opts);
  }

  /**
   * `GET /user/list?user_ids=<id>`: the user's row alone, without what `/user/info` adds (each of the user's
   * teams with every member, which grows with the default team). LiteLLM matches `user_ids` as a
   * case-insensitive pattern (ILIKE: `%` and `_` are wildcards, a backslash escapes) and splits it on commas,
   * so the answer may hold other users: the caller picks the exact id. An id with a comma or a backslash
   * cannot be asked this way.
   */
  async userRowsMatching(userId: string, opts: CallOptions = {}) {
    const id = validateId('userId', userId);
    if (/[,\\]/.test(id)) {
      throw new LiteLLMInputError('userId', 'must not contain a comma or a backslash to be listed by id');
    }
    return this.http.get('/user/list', { user_ids: id, page_size: USER_LIST_MAX_PAGE_SIZE }, S.UserListResponse, opts);
  }

  /** `GET /user/list?sort_by=user_id&sort_order=asc` — one page of users, in an order that pages stably. */
  async userList(input: { page: number; pageSize: number }, opts: CallOptions = {}) {
    checkPage(input.page, input.pageSize, USER_LIST_MAX_PAGE_SIZE, 'pageSize');
    const query = { sort_by: 'user_id', sort_order: 'asc', page: input.page, page_size: input.pageSize };
    return this.http.get('/user/list', query, S.UserListResponse, opts);
  }

  /**
   * `GET /key/info?key=<sha256>`: always by hash, so no plaintext key ends up in a URL or an access log.
   * 1.108.5 still answers 200 for a deleted key, with `info.status: "deleted"` (see `isDeletedKeyInfo`).
   */
  async keyInfo(keyOrHash: string, opts: CallOptions = {}) {
    const query = { key: validateKeyOrHash('keyOrHash', keyOrHash) };
    return this.http.get('/key/info', query, S.KeyInfoResponse, opts);
  }

  /**
   * `GET /v1/models` authenticated with the virtual key itself (never with the master key), bounded by
   * `keyVerifyTimeoutMs`.
   */
  async listModels(virtualKey: string, opts: CallOptions & { timeoutMs?: number } = {}) {
    validateId('key', virtualKey, 512);
    const timeoutMs = opts.timeoutMs ?? this.http.keyVerifyTimeoutMs;
    return this.http.request({
      method: 'GET',
      route: '/v1/models',
      schema: S.ModelsResponse,
      ...opts,
      timeoutMs,
      virtualKey,
    });
  }

  // ---- the proxy itself ---------------------------------------------------------------------------------

  /**
   * `GET /key/list?page=1&size=1` with the master key: the cheapest call that proves LiteLLM is up, has its
   * database, and accepts the master key (the health check; `/health/liveliness` asks for no key).
   */
  async checkAccess(opts: CallOptions & { timeoutMs?: number } = {}) {
    return this.http.request({
      method: 'GET',
      route: '/key/list',
      query: { page: 1, size: 1 },
      schema: S.KeyHashListResponse,
      ...opts,
    });
  }

  /**
   * The proxy's LiteLLM version: `/health/readiness` names it without a key on 1.80.9; 1.108.5 names it only
   * in `/health/readiness/details`, which takes the master key. Null when neither says.
   */
  async proxyVersion(opts: CallOptions = {}): Promise<string | null> {
    const open = await this.http.request({
      method: 'GET',
      route: '/health/readiness',
      schema: S.ReadinessResponse,
      ...opts,
      anonymous: true,
    });
    if (open.litellm_version) return open.litellm_version;
    const details = await this.http.get('/health/readiness/details', undefined, S.ReadinessResponse, opts);
    return details.litellm_version ?? null;
  }
}
