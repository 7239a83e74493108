/**
 * Typed errors of the LiteLLM client, and the predicates that read LiteLLM's answers ("already exists",
 * "not in team", …). Messages never carry a secret: LiteLLM's text goes through `redactText` before it is
 * stored (LiteLLM echoes keys in some messages, e.g. `User Key=<key>` and `Received API Key = sk-...`).
 */
import { redactText } from '../redact';

/** Base class: every client error names the route it came from. */
export abstract class LiteLLMError extends Error {
  readonly route: string;
  protected constructor(message: string, route: string) {
    super(message);
    this.route = route;
  }
}

export interface LiteLLMHttpErrorInit {
  status: number;
  route: string;
  /** LiteLLM's `error.type` (ProxyException shape only), e.g. `team_member_already_in_team`. */
  errorType?: string;
  /** LiteLLM's `error.param`, or the field path of a 422 validation error. */
  param?: string;
  /** LiteLLM's message, unredacted: the constructor redacts it. */
  message: string;
  retryAfterMs?: number;
}

/** LiteLLM answered with a non-2xx status. `message` is LiteLLM's text, redacted. */
export class LiteLLMHttpError extends LiteLLMError {
  readonly status: number;
  readonly errorType?: string;
  readonly param?: string;
  readonly retryAfterMs?: number;
  /** LiteLLM's own (redacted) message, without the status/route prefix of `message`. */
  readonly detail: string;

  constructor(init: LiteLLMHttpErrorInit) {
    const detail = redactText(init.message);
    super(`LiteLLM ${init.route} answered ${init.status}: ${detail}`, init.route);
    this.name = 'LiteLLMHttpError';
    this.status = init.status;
    this.errorType = init.errorType;
    this.param = init.param;
    this.retryAfterMs = init.retryAfterMs;
    this.detail = detail;
  }
}

export type TransportFailureKind = 'timeout' | 'connection' | 'aborted';

/** No (complete) answer: timeout, connection refused/reset, or the call was aborted by its signal. */
export class LiteLLMTransportError extends LiteLLMError {
  readonly kind: TransportFailureKind;
  /** Node/undici error code of the cause, e.g. `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`. */
  readonly code?: string;

  constructor(route: string, kind: TransportFailureKind, code?: string) {
    super(`LiteLLM ${route}: ${kind}${code ? ` (${code})` : ''}`, route);
    this.name = 'LiteLLMTransportError';
    this.kind = kind;
    this.code = code;
  }
}

/** A 2xx answer that does not have the shape we rely on. `path` is the offending field, e.g. `team_info.spend`. */
export class LiteLLMResponseError extends LiteLLMError {
  readonly path: string;
  readonly status: number;

  constructor(route: string, status: number, path: string, problem: string) {
    super(
      `LiteLLM ${route} answered ${status} with an unexpected body at ${path || '(root)'}: ${redactText(problem)}`,
      route
    );
    this.name = 'LiteLLMResponseError';
    this.path = path;
    this.status = status;
  }
}

/** A bad argument, refused before any call: names the field, never its value. */
export class LiteLLMInputError extends Error {
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`Invalid ${field}: ${reason}`);
    this.name = 'LiteLLMInputError';
    this.field = field;
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading LiteLLM's answers. Status and error type decide first; message text is only a fallback where
// LiteLLM gives nothing better (it reports most "already exists" cases as a 400 `internal_server_error`).
// ---------------------------------------------------------------------------------------------------------

function httpError(e: unknown): LiteLLMHttpError | undefined {
  return e instanceof LiteLLMHttpError ? e : undefined;
}

export function isHttpStatus(e: unknown, ...statuses: number[]): e is LiteLLMHttpError {
  const h = httpError(e);
  return h !== undefined && statuses.includes(h.status);
}

/** `/team/new` for a team id that exists: 400 "Team id = … already exists. Please use a different team id." (409 tolerated). */
export function isTeamAlreadyExists(e: unknown): boolean {
  const h = httpError(e);
  if (!h || (h.status !== 400 && h.status !== 409)) return false;
  return /already exists/i.test(h.detail) && /team/i.test(h.detail);
}

/** `/team/member_add` for a member already there: type `team_member_already_in_team` (text as fallback). */
export function isAlreadyInTeam(e: unknown): boolean {
  const h = httpError(e);
  if (!h) return false;
  if (h.errorType === 'team_member_already_in_team') return true;
  return (h.status === 400 || h.status === 409) && /already in team/i.test(h.detail);
}

/**
 * `/team/member_delete` when the goal already holds: the user is not a member (400 "User not found in team";
 * newer proxies 404 "is not a member"), or the team is gone (400 "Team id=… does not exist in db"; 404).
 */
export function isMemberAbsent(e: unknown): boolean {
  const h = httpError(e);
  if (!h) return false;
  if (h.status === 404) return true;
  if (h.status !== 400) return false;
  return /not found in team|not a member|does not exist in db|doesn't exist in db/i.test(h.detail);
}

/** `/user/new` refused because another user has that e-mail: 400 "User with email … already exists". */
export function isDuplicateEmail(e: unknown): boolean {
  const h = httpError(e);
  if (!h || (h.status !== 400 && h.status !== 409)) return false;
  return /with email/i.test(h.detail) && /already exists/i.test(h.detail);
}

/** `/user/new` refused because the user exists (newer proxies: 409, or 400 "already exists"). */
export function isUserAlreadyExists(e: unknown): boolean {
  const h = httpError(e);
  if (!h || (h.status !== 400 && h.status !== 409)) return false;
  return /already exists/i.test(h.detail);
}

/** `/key/generate` refused because the alias is used: 400, param `key_alias` ("Key with alias '…' already exists"). */
export function isKeyAliasTaken(e: unknown): boolean {
  const h = httpError(e);
  if (!h || (h.status !== 400 && h.status !== 409)) return false;
  if (h.param === 'key_alias') return true;
  return /key with alias/i.test(h.detail) && /already exists/i.test(h.detail);
}

/**
 * A key route (`/key/update`, `/key/info`, …) for a key LiteLLM does not know: 1.80.9 answers 401 "invalid
 * user key - user key does not exist in db" (or type `token_not_found_in_db`); 1.108.5 answers 404
 * `not_found_error` "Key not found.". A 401 for a bad master key is NOT this.
 */
export function isUnknownKey(e: unknown): boolean {
  const h = httpError(e);
  if (!h) return false;
  if (h.errorType === 'token_not_found_in_db') return true;
  if (h.status === 404) return h.errorType === 'not_found_error' || /key not found|does not exist/i.test(h.detail);
  return h.status === 401 && /does not exist in db|not found in db|unable to find token/i.test(h.detail);
}

/** A `/key/info` answer for a key that is gone: 1.108.5 keeps deleted keys readable, marked `status: "deleted"`. */
export function isDeletedKeyInfo(info: { status?: string | null }): boolean {
  return info.status === 'deleted';
}

/** LiteLLM running without its database: reported as 400 or 500 depending on the route. Transient. */
export function isNoDatabase(e: unknown): boolean {
  const h = httpError(e);
  if (!h) return false;
  if (h.errorType === 'no_db_connection') return true;
  return /no db connected|not connected to db|db not connected|database not connected|no connected db/i.test(h.detail);
}
