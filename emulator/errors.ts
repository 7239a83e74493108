// The two error shapes of LiteLLM 1.80.9 (reference §1.2) and the per-endpoint conversions that
// decide which shape a raised error ends up in.
import { pyStr } from './pyrepr';

export interface PydanticError {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** fastapi.HTTPException: `detail` may be a string or a dict; str(detail) is the Python repr. */
export class HttpException extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown
  ) {
    super(pyStr(detail));
  }
}

/** litellm ProxyException: always rendered as the {"error": {...}} envelope. */
export class ProxyException extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = 'None'
  ) {
    super(message);
  }
}

/** FastAPI RequestValidationError → 422 {"detail": [...]}. */
export class ValidationFailure extends Error {
  constructor(readonly errors: PydanticError[]) {
    super('validation error');
  }
}

export function envelope(status: number, message: string, type: string, param: string | null): ApiResponse {
  return { status, body: { error: { message, type, param, code: String(status) } } };
}

/**
 * How an endpoint turns an escaping exception into a response:
 * - proxy: `handle_exception_on_proxy` (HTTPException → internal_server_error envelope, else 500)
 * - auth:  endpoints that wrap HTTPException as auth_error and anything else as a 400 (team/info, key/update, user/update)
 * - list:  /key/list's variant (internal_server_error, generic errors are 500 "Authentication Error, …")
 * - raw:   endpoints that do not wrap HTTPException at all: FastAPI {"detail": …}
 * Anything else that escapes (an emulator bug) becomes a 500 envelope so the server never crashes.
 */
export type ErrorStyle = 'proxy' | 'auth' | 'list' | 'raw';

export function errorResponse(e: unknown, style: ErrorStyle): ApiResponse {
  if (e instanceof ValidationFailure) return { status: 422, body: { detail: e.errors } };
  if (e instanceof ProxyException) return envelope(e.status, e.message, e.type, e.param);
  if (e instanceof HttpException) {
    if (style === 'raw') return { status: e.status, body: { detail: e.detail } };
    return envelope(e.status, e.message, style === 'auth' ? 'auth_error' : 'internal_server_error', 'None');
  }
  const text = e instanceof Error ? e.message : String(e);
  switch (style) {
    case 'auth':
      return envelope(400, `Authentication Error, ${text}`, 'auth_error', 'None');
    case 'list':
      return envelope(500, `Authentication Error, ${text}`, 'internal_server_error', 'None');
    default:
      return envelope(500, `Internal Server Error, ${text}`, 'internal_server_error', 'None');
  }
}
