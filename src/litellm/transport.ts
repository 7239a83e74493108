/**
 * The transport of the LiteLLM client: the one request path every endpoint uses.
 *
 * - One undici `Pool` per client (keep-alive, bounded connections, connect/headers/body timeouts from config).
 * - Every call takes an optional `AbortSignal` handed to undici, so a cancelled activity aborts its call.
 * - Every answer is validated with zod; a mismatch is a `LiteLLMResponseError` naming the route and field.
 * - Every query value is URL-encoded; both LiteLLM error shapes become a `LiteLLMHttpError` (redacted).
 * - Every call carries `LiteLLM-Changed-By` (LiteLLM's audit log): the configured name, or what the caller's
 *   `changedBy` says (an activity: operation and workflow id).
 */
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { LiteLLMConfig } from '../config';
import { registerSecret } from '../redact';
import { parseErrorBody, parseRetryAfter } from './error-body';
import { LiteLLMHttpError, LiteLLMInputError, LiteLLMResponseError, LiteLLMTransportError } from './errors';
import { validateId } from './input';

export interface TransportOptions {
  /** Use this dispatcher instead of an own `Pool` (tests: undici `MockAgent`). The client does not close it. */
  dispatcher?: Dispatcher;
  /** Told the outcome of every call, for metrics: the HTTP status, or `timeout` / `connection` / `aborted`. */
  onCall?: (route: string, outcome: string) => void;
  /**
   * The `LiteLLM-Changed-By` of a call made without an explicit one, given the configured name (the worker:
   * the running activity's operation and workflow id); undefined → the configured name.
   */
  changedBy?: (configured: string) => string | undefined;
}

/** What every endpoint method accepts besides its input. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Sent as `LiteLLM-Changed-By` instead of the configured name (audit attribution of one run's writes). */
  changedBy?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec<T extends z.ZodType> extends CallOptions {
  method: 'GET' | 'POST';
  route: string;
  query?: Query;
  body?: Record<string, unknown>;
  schema: T;
  /** Total deadline of this call (on top of the pool's connect/headers/body timeouts). */
  timeoutMs?: number;
  /** Send this virtual key instead of the master key. */
  virtualKey?: string;
  /** Send no key at all (public routes). */
  anonymous?: boolean;
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
/** A header value we send: printable ASCII only (an id with other characters would be refused by undici). */
const HEADER_VALUE = /^[\x20-\x7e]*$/;

export class LiteLLMTransport {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly authHeaderName: string;
  private readonly onCall?: (route: string, outcome: string) => void;
  private readonly changedByOfCall?: (configured: string) => string | undefined;

  constructor(
    private readonly config: LiteLLMConfig,
    options: TransportOptions = {}
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
    this.changedByOfCall = options.changedBy;
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

  /** The timeout a key check against `/v1/models` gets by default. */
  get keyVerifyTimeoutMs(): number {
    return this.config.keyVerifyTimeoutMs;
  }

  /** Close the connection pool (waits for calls in flight). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** `POST route` with a JSON body. */
  post<T extends z.ZodType>(route: string, body: Record<string, unknown>, schema: T, opts: CallOptions = {}) {
    return this.request({ method: 'POST', route, body, schema, ...opts });
  }

  /** `GET route?query`. */
  get<T extends z.ZodType>(route: string, query: Query | undefined, schema: T, opts: CallOptions = {}) {
    return this.request({ method: 'GET', route, query, schema, ...opts });
  }

  async request<T extends z.ZodType>(spec: RequestSpec<T>): Promise<z.output<T>> {
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
      'litellm-changed-by': this.changedBy(spec.changedBy),
      ...(spec.anonymous ? {} : this.authHeaders(spec.virtualKey)),
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
    throw new LiteLLMHttpError({ status, route, ...parseErrorBody(text), retryAfterMs: parseRetryAfter(retryAfter) });
  }

  /** The audit name of a call: the caller's (validated, so a bad one is refused, not sent) or the configured one. */
  private changedBy(explicit: string | undefined): string {
    const perCall = explicit ?? this.changedByOfCall?.(this.config.changedBy);
    if (perCall === undefined) return this.config.changedBy;
    validateId('changedBy', perCall, 512);
    if (!HEADER_VALUE.test(perCall)) throw new LiteLLMInputError('changedBy', 'must be printable ASCII');
    return perCall;
  }

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
