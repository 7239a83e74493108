/**
 * The only place that speaks HTTP to LiteLLM.
 *
 * - One undici `Pool` per client (keep-alive, bounded connections, connect/headers/body timeouts from config).
 * - Every method takes an optional `AbortSignal` handed to undici, so a cancelled activity aborts its call.
 * - Every answer is validated with zod; a mismatch is a `LiteLLMResponseError` naming the route and field.
 * - Ids are checked before any call (`LiteLLMInputError`), and every query value is URL-encoded.
 * - Both LiteLLM error shapes become a `LiteLLMHttpError` with a redacted message.
 *
 * The methods speak LiteLLM's vocabulary (snake_case answers) and encode its quirks (how "unlimited" is sent
 * per endpoint, keys by hash); deciding what an answer means for an operation is the activities' job.
 */
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { LiteLLMConfig } from '../config';
import { registerSecret } from '../redact';
import { clearWithNull, isValidBudget, omitWhenUnlimited, userBudgetForUpdate } from './budgets';
import { LiteLLMHttpError, LiteLLMInputError, LiteLLMResponseError, LiteLLMTransportError } from './errors';
import { isKeyHash, isPlaintextKey, toKeyHash } from './keys';
import * as S from './schemas';

export interface LiteLLMClientOptions {
  /** Use this dispatcher instead of an own `Pool` (tests: undici `MockAgent`). The client does not close it. */
  dispatcher?: Dispatcher;
  /** Told the outcome of every call, for metrics: the HTTP status, or `timeout` / `connection` / `aborted`. */
  onCall?: (route: string, outcome: string) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestSpec<T extends z.ZodType> {
  method: 'GET' | 'POST';
  route: string;
  query?: Query;
  body?: Record<string, unknown>;
  schema: T;
  signal?: AbortSignal;
  /** Total deadline of this call (on top of the pool's connect/headers/body timeouts). */
  timeoutMs?: number;
  /** Send this virtual key instead of the master key. */
  virtualKey?: string;
}

/** Headers the proxy reads the key from without configuration (reference §1.1). */
const BUILT_IN_KEY_HEADERS = new Set([
  'authorization',
  'x-litellm-api-key',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'ocp-apim-subscription-key',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_ID_LENGTH = 256;
const MAX_ERROR_MESSAGE = 2_000;
/** LiteLLM's `/key/list` page size ceiling. */
export const KEY_LIST_MAX_PAGE_SIZE = 100;
/** LiteLLM's `/user/list` page size ceiling. */
export const USER_LIST_MAX_PAGE_SIZE = 100;

function checkPage(page: number, size: number, max: number, sizeField: string): void {
  if (!Number.isInteger(page) || page < 1) throw new LiteLLMInputError('page', 'must be an integer ≥ 1');
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new LiteLLMInputError(sizeField, `must be an integer between 1 and ${max}`);
  }
}

/** Check an id (team, user, alias, …) before it goes anywhere: non-empty, ≤ 256 chars, no control characters. */
export function validateId(field: string, value: unknown, maxLength = MAX_ID_LENGTH): string {
  if (typeof value !== 'string') throw new LiteLLMInputError(field, 'must be a string');
  if (value.length === 0) throw new LiteLLMInputError(field, 'must not be empty');
  if (value.length > maxLength) throw new LiteLLMInputError(field, `must be at most ${maxLength} characters`);
  if (CONTROL_CHARS.test(value)) throw new LiteLLMInputError(field, 'must not contain control characters');
  return value;
}

function validateBudget(field: string, value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (!isValidBudget(value)) throw new LiteLLMInputError(field, 'must be null or a finite number ≥ 0');
  return value;
}

/** A key or its hash as an input: plaintext `sk-…` or a 64-hex token. Returns the hash. */
function validateKeyOrHash(field: string, value: unknown): string {
  const v = validateId(field, value, 512);
  if (!isPlaintextKey(v) && !isKeyHash(v)) {
    throw new LiteLLMInputError(field, 'must be a virtual key (sk-…) or its sha256 hash');
  }
  return toKeyHash(v);
}

export class LiteLLMClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly authHeaderName: string;
  private readonly onCall?: (route: string, outcome: string) => void;

  constructor(
    private readonly config: LiteLLMConfig,
    options: LiteLLMClientOptions = {}
  ) {
    const url = new URL(config.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new LiteLLMInputError('baseUrl', 'must be an http(s) URL');
    }
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    validateId('masterKey', config.masterKey, 4096);
    validateId('changedBy', config.changedBy);
    if (!HEADER_NAME.test(config.authHeader)) throw new LiteLLMInputError('authHeader', 'must be an HTTP header name');
    this.authHeaderName = config.authHeader.toLowerCase();
    registerSecret(config.masterKey);
    registerSecret(config.keyDerivationSecret);
    this.onCall = options.onCall;
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Pool(this.origin, {
        connections: config.maxConnections,
        connectTimeout: config.connectTimeoutMs,
        headersTimeout: config.headersTimeoutMs,
        bodyTimeout: config.bodyTimeoutMs,
        keepAliveTimeout: 30_000,
      });
      this.ownsDispatcher = true;
    }
  }

  /** Close the connection pool (waits for calls in flight). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // ---- teams --------------------------------------------------------------------------------------------

  /** `POST /team/new`. A null budget is omitted (unlimited; see budgets.ts). */
  async teamNew(
    input: {
      teamId: string;
      teamAlias: string | null;
      maxBudget: number | null;
      metadata: Record<string, unknown>;
    },
    opts: CallOptions = {}
  ) {
    const teamId = validateId('teamId', input.teamId);
    const teamAlias = input.teamAlias === null ? null : validateId('teamAlias', input.teamAlias);
    const maxBudget = validateBudget('maxBudget', input.maxBudget) ?? null;
    return this.request({
      method: 'POST',
      route: '/team/new',
      body: {
        team_id: teamId,
        ...(teamAlias !== null ? { team_alias: teamAlias } : {}),
        models: [],
        metadata: input.metadata,
        ...omitWhenUnlimited('max_budget', maxBudget),
      },
      schema: S.TeamNewResponse,
      signal: opts.signal,
    });
  }

  /** `GET /team/info?team_id=`. */
  async teamInfo(teamId: string, opts: CallOptions = {}) {
    return this.request({
      method: 'GET',
      route: '/team/info',
      query: { team_id: validateId('teamId', teamId) },
      schema: S.TeamInfoResponse,
      signal: opts.signal,
    });
  }

  /** `POST /team/update`: `undefined` fields are not sent; `maxBudget: null` clears the budget (unlimited). */
  async teamUpdate(
    input: { teamId: string; teamAlias?: string; maxBudget?: number | null; metadata?: Record<string, unknown> },
    opts: CallOptions = {}
  ) {
    const teamId = validateId('teamId', input.teamId);
    const teamAlias = input.teamAlias === undefined ? undefined : validateId('teamAlias', input.teamAlias);
    const maxBudget = validateBudget('maxBudget', input.maxBudget);
    return this.request({
      method: 'POST',
      route: '/team/update',
      body: {
        team_id: teamId,
        ...(teamAlias !== undefined ? { team_alias: teamAlias } : {}),
        ...clearWithNull('max_budget', maxBudget),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      },
      schema: S.TeamUpdateResponse,
      signal: opts.signal,
    });
  }

  /** `POST /team/delete` (also deletes the team's keys and memberships). */
  async teamDelete(teamIds: string[], opts: CallOptions = {}) {
    return this.request({
      method: 'POST',
      route: '/team/delete',
      body: { team_ids: teamIds.map((t) => validateId('teamId', t)) },
      schema: S.TeamDeleteResponse,
      signal: opts.signal,
    });
  }

  /** `POST /team/member_add` for one member. A null budget is omitted (no membership budget = unlimited). */
  async teamMemberAdd(
    input: { teamId: string; userId: string; role: 'user' | 'admin'; maxBudgetInTeam: number | null },
    opts: CallOptions = {}
  ) {
    const teamId = validateId('teamId', input.teamId);
    const userId = validateId('userId', input.userId);
    const maxBudget = validateBudget('maxBudgetInTeam', input.maxBudgetInTeam) ?? null;
    return this.request({
      method: 'POST',
      route: '/team/member_add',
      body: {
        team_id: teamId,
        member: { user_id: userId, role: input.role },
        ...omitWhenUnlimited('max_budget_in_team', maxBudget),
      },
      schema: S.TeamMemberAddResponse,
      signal: opts.signal,
    });
  }

  /**
   * `POST /team/member_update`. A null budget is omitted: with no limit sent at all LiteLLM disconnects the
   * member's budget row, i.e. unlimited in the team.
   */
  async teamMemberUpdate(
    input: { teamId: string; userId: string; maxBudgetInTeam: number | null },
    opts: CallOptions = {}
  ) {
    const teamId = validateId('teamId', input.teamId);
    const userId = validateId('userId', input.userId);
    const maxBudget = validateBudget('maxBudgetInTeam', input.maxBudgetInTeam) ?? null;
    return this.request({
      method: 'POST',
      route: '/team/member_update',
      body: { team_id: teamId, user_id: userId, ...omitWhenUnlimited('max_budget_in_team', maxBudget) },
      schema: S.TeamMemberUpdateResponse,
      signal: opts.signal,
    });
  }

  /** `POST /team/member_delete` (LiteLLM also deletes the user's keys of that team). */
  async teamMemberDelete(input: { teamId: string; userId: string }, opts: CallOptions = {}) {
    return this.request({
      method: 'POST',
      route: '/team/member_delete',
      body: { team_id: validateId('teamId', input.teamId), user_id: validateId('userId', input.userId) },
      schema: S.TeamMemberDeleteResponse,
      signal: opts.signal,
    });
  }

  // ---- users --------------------------------------------------------------------------------------------

  /** `POST /user/new` without an auto-created key and without an invitation e-mail. */
  async userNew(
    input: { userId: string; email: string | null; teams: string[]; metadata: Record<string, unknown> },
    opts: CallOptions = {}
  ) {
    const userId = validateId('userId', input.userId);
    const email = input.email === null ? null : validateId('email', input.email, 320);
    return this.request({
      method: 'POST',
      route: '/user/new',
      body: {
        user_id: userId,
        ...(email !== null ? { user_email: email } : {}),
        models: [],
        teams: input.teams.map((t) => validateId('teams[]', t)),
        auto_create_key: false,
        send_invite_email: false,
        metadata: input.metadata,
      },
      schema: S.UserNewResponse,
      signal: opts.signal,
    });
  }

  /** `GET /user/info?user_id=`. */
  async userInfo(userId: string, opts: CallOptions = {}) {
    return this.request({
      method: 'GET',
      route: '/user/info',
      query: { user_id: validateId('userId', userId) },
      schema: S.UserInfoResponse,
      signal: opts.signal,
    });
  }

  /**
   * `POST /user/update`. LiteLLM drops a null budget, so `maxBudget: null` is sent as the unlimited sentinel.
   * Note: LiteLLM CREATES an unknown user here; callers that must not do that check first.
   */
  async userUpdate(input: { userId: string; maxBudget?: number | null; spend?: number }, opts: CallOptions = {}) {
    const userId = validateId('userId', input.userId);
    const maxBudget = validateBudget('maxBudget', input.maxBudget);
    const spend = validateBudget('spend', input.spend);
    return this.request({
      method: 'POST',
      route: '/user/update',
      body: { user_id: userId, ...userBudgetForUpdate(maxBudget), ...(spend != null ? { spend } : {}) },
      schema: S.UserUpdateResponse,
      signal: opts.signal,
    });
  }

  /** `POST /user/delete` (also deletes the user's keys and memberships). */
  async userDelete(userIds: string[], opts: CallOptions = {}) {
    return this.request({
      method: 'POST',
      route: '/user/delete',
      body: { user_ids: userIds.map((u) => validateId('userId', u)) },
      schema: S.UserDeleteResponse,
      signal: opts.signal,
    });
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
    const userId = validateId('userId', input.userId);
    const teamId = input.teamId === null ? null : validateId('teamId', input.teamId);
    const keyAlias = input.keyAlias === null ? null : validateId('keyAlias', input.keyAlias);
    return this.request({
      method: 'POST',
      route: '/key/generate',
      body: {
        key: input.key,
        user_id: userId,
        models: [],
        ...(teamId !== null ? { team_id: teamId } : {}),
        ...(keyAlias !== null ? { key_alias: keyAlias } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      },
      schema: S.KeyGenerateResponse,
      signal: opts.signal,
    });
  }

  /**
   * `POST /key/update`, addressing the key by its hash. `teamId`/`maxBudget`: `undefined` → unchanged,
   * `null` → cleared.
   */
  async keyUpdate(
    input: { keyOrHash: string; teamId?: string | null; maxBudget?: number | null },
    opts: CallOptions = {}
  ) {
    const keyHash = validateKeyOrHash('keyOrHash', input.keyOrHash);
    const teamId = input.teamId == null ? input.teamId : validateId('teamId', input.teamId);
    const maxBudget = validateBudget('maxBudget', input.maxBudget);
    return this.request({
      method: 'POST',
      route: '/key/update',
      body: {
        key: keyHash,
        ...(teamId !== undefined ? { team_id: teamId } : {}),
        ...clearWithNull('max_budget', maxBudget),
      },
      schema: S.KeyUpdateResponse,
      signal: opts.signal,
    });
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
    return this.request({
      method: 'POST',
      route: '/key/delete',
      body,
      schema: S.KeyDeleteResponse,
      signal: opts.signal,
    });
  }

  /** `GET /key/list?user_id=&return_full_object=true` — one page. */
  async keyList(input: { userId: string; page: number; size: number }, opts: CallOptions = {}) {
    const userId = validateId('userId', input.userId);
    if (!Number.isInteger(input.page) || input.page < 1) throw new LiteLLMInputError('page', 'must be an integer ≥ 1');
    if (!Number.isInteger(input.size) || input.size < 1 || input.size > KEY_LIST_MAX_PAGE_SIZE) {
      throw new LiteLLMInputError('size', `must be an integer between 1 and ${KEY_LIST_MAX_PAGE_SIZE}`);
    }
    return this.request({
      method: 'GET',
      route: '/key/list',
      query: { user_id: userId, return_full_object: 'true', page: input.page, size: input.size },
      schema: S.KeyListResponse,
      signal: opts.signal,
    });
  }

  /**
   * `GET /key/list?return_full_object=true&sort_by=token&sort_order=asc` — one page of every key (the fleet
   * doctor). Ordered by hash, a unique column, so pages neither overlap nor skip while nothing writes.
   */
  async keyListAll(input: { page: number; size: number }, opts: CallOptions = {}) {
    checkPage(input.page, input.size, KEY_LIST_MAX_PAGE_SIZE, 'size');
    return this.request({
      method: 'GET',
      route: '/key/list',
      query: { return_full_object: 'true', sort_by: 'token', sort_order: 'asc', page: input.page, size: input.size },
      schema: S.KeyListResponse,
      signal: opts.signal,
    });
  }

  /** `GET /user/list?sort_by=user_id&sort_order=asc` — one page of users, in an order that pages stably. */
  async userList(input: { page: number; pageSize: number }, opts: CallOptions = {}) {
    checkPage(input.page, input.pageSize, USER_LIST_MAX_PAGE_SIZE, 'pageSize');
    return this.request({
      method: 'GET',
      route: '/user/list',
      query: { sort_by: 'user_id', sort_order: 'asc', page: input.page, page_size: input.pageSize },
      schema: S.UserListResponse,
      signal: opts.signal,
    });
  }

  /** `GET /key/info?key=<sha256>`: always by hash, so no plaintext key ends up in a URL or an access log. */
  async keyInfo(keyOrHash: string, opts: CallOptions = {}) {
    return this.request({
      method: 'GET',
      route: '/key/info',
      query: { key: validateKeyOrHash('keyOrHash', keyOrHash) },
      schema: S.KeyInfoResponse,
      signal: opts.signal,
    });
  }

  /**
   * `GET /v1/models` authenticated with the virtual key itself (never with the master key), bounded by
   * `keyVerifyTimeoutMs`.
   */
  async listModels(virtualKey: string, opts: CallOptions & { timeoutMs?: number } = {}) {
    validateId('key', virtualKey, 512);
    return this.request({
      method: 'GET',
      route: '/v1/models',
      schema: S.ModelsResponse,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? this.config.keyVerifyTimeoutMs,
      virtualKey,
    });
  }

  /**
   * `GET /key/list?page=1&size=1` with the master key: the cheapest call that proves LiteLLM is up, has its
   * database, and accepts the master key (the health check; `/health/liveliness` asks for no key).
   */
  async checkAccess(opts: CallOptions & { timeoutMs?: number } = {}) {
    return this.request({
      method: 'GET',
      route: '/key/list',
      query: { page: 1, size: 1 },
      schema: S.KeyHashListResponse,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
  }

  // ---- transport ----------------------------------------------------------------------------------------

  private authHeaders(virtualKey?: string): Record<string, string> {
    if (virtualKey !== undefined) {
      // The virtual key goes in Authorization; only a custom key header configured on the proxy (which then
      // reads nothing else) makes us use that header instead.
      const name = BUILT_IN_KEY_HEADERS.has(this.authHeaderName) ? 'authorization' : this.authHeaderName;
      return { [name]: `Bearer ${virtualKey}` };
    }
    const key = this.config.masterKey;
    // x-goog-api-key is read raw; every other header (Authorization, x-litellm-api-key, a custom
    // litellm_key_header_name) takes `Bearer <key>`.
    return { [this.authHeaderName]: this.authHeaderName === 'x-goog-api-key' ? key : `Bearer ${key}` };
  }

  private async request<T extends z.ZodType>(spec: RequestSpec<T>): Promise<z.output<T>> {
    const { route } = spec;
    let path = this.basePath + route;
    if (spec.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(spec.query)) if (v !== undefined) qs.append(k, String(v));
      const s = qs.toString();
      if (s) path += `?${s}`;
    }

    const timeoutSignal = spec.timeoutMs !== undefined ? AbortSignal.timeout(spec.timeoutMs) : undefined;
    const signals = [spec.signal, timeoutSignal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (spec.signal?.aborted) throw new LiteLLMTransportError(route, 'aborted');

    const headers: Record<string, string> = {
      accept: 'application/json',
      'litellm-changed-by': this.config.changedBy,
      ...this.authHeaders(spec.virtualKey),
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }

    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const res = await this.dispatcher.request({
        origin: this.origin,
        path,
        method: spec.method,
        headers,
        body,
        signal,
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      text = await res.body.text();
    } catch (err) {
      const failure = transportError(route, err, spec.signal, timeoutSignal);
      this.onCall?.(route, failure.kind);
      throw failure;
    }

    this.onCall?.(route, String(status));
    if (status >= 200 && status < 300) return parseSuccess(route, status, text, spec.schema);
    throw httpError(route, status, text, retryAfter);
  }
}

function transportError(
  route: string,
  err: unknown,
  callerSignal: AbortSignal | undefined,
  timeoutSignal: AbortSignal | undefined
): LiteLLMTransportError {
  if (timeoutSignal?.aborted) return new LiteLLMTransportError(route, 'timeout', 'DEADLINE');
  if (callerSignal?.aborted) return new LiteLLMTransportError(route, 'aborted');
  const code = errorCode(err);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return new LiteLLMTransportError(route, 'timeout', code);
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return new LiteLLMTransportError(route, 'aborted', code);
    default:
      return new LiteLLMTransportError(route, 'connection', code);
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (e.name === 'AbortError') return 'ABORT_ERR';
  return e.cause !== undefined && e.cause !== err ? errorCode(e.cause) : undefined;
}

function parseSuccess<T extends z.ZodType>(route: string, status: number, text: string, schema: T): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LiteLLMResponseError(route, status, '', 'body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  throw new LiteLLMResponseError(route, status, path, issue?.message ?? 'invalid');
}

/** Parse LiteLLM's two error shapes (and anything else a proxy in front of it may answer). */
export function parseErrorBody(text: string): { message: string; errorType?: string; param?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { message: truncate(text.trim() || '(empty body)') };
  }
  const proxy = S.ProxyErrorBody.safeParse(json);
  if (proxy.success) {
    const e = proxy.data.error;
    return {
      message: truncate(unwrapPythonRepr(asText(e.message))),
      errorType: typeof e.type === 'string' && e.type !== '' ? e.type : undefined,
      param: normaliseParam(e.param),
    };
  }
  const fastApi = S.FastApiErrorBody.safeParse(json);
  if (fastApi.success) {
    const detail = fastApi.data.detail;
    if (Array.isArray(detail)) {
      // 422 from pydantic: [{type, loc, msg, input}]
      const items = detail.map((d: unknown) => {
        const o = (typeof d === 'object' && d !== null ? d : {}) as { loc?: unknown; msg?: unknown };
        const loc = Array.isArray(o.loc) ? o.loc.map(String).join('.') : '';
        return { loc, msg: asText(o.msg) };
      });
      return {
        message: truncate(items.map((i) => (i.loc ? `${i.loc}: ${i.msg}` : i.msg)).join('; ') || 'validation error'),
        param: items[0]?.loc || undefined,
      };
    }
    if (typeof detail === 'object' && detail !== null) {
      const d = detail as { error?: unknown; message?: unknown };
      const inner = d.error ?? d.message;
      return { message: truncate(unwrapPythonRepr(inner !== undefined ? asText(inner) : JSON.stringify(detail))) };
    }
    return { message: truncate(unwrapPythonRepr(asText(detail))) };
  }
  if (typeof json === 'object' && json !== null) {
    const o = json as { error?: unknown; message?: unknown };
    if (o.error !== undefined || o.message !== undefined) return { message: truncate(asText(o.error ?? o.message)) };
  }
  return { message: truncate(text) };
}

function httpError(route: string, status: number, text: string, retryAfter: string | string[] | undefined) {
  const parsed = parseErrorBody(text);
  return new LiteLLMHttpError({ status, route, ...parsed, retryAfterMs: parseRetryAfter(retryAfter) });
}

/** `Retry-After` as delay-seconds or an HTTP date → milliseconds (≥ 0); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '(unprintable)';
  }
}

/** LiteLLM puts Python's repr of `{'error': '…'}` in some messages: keep the inner text. */
function unwrapPythonRepr(message: string): string {
  const m = /^\s*\{\s*['"](?:error|message)['"]\s*:\s*(['"])([\s\S]*)\1\s*\}\s*$/.exec(message);
  return m?.[2] ?? message;
}

function normaliseParam(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '' || v === 'None' || v === 'null') return undefined;
  return v;
}

function truncate(s: string): string {
  return s.length > MAX_ERROR_MESSAGE ? `${s.slice(0, MAX_ERROR_MESSAGE)}…` : s;
}
