/**
 * Test helper: a LiteLLMClient wired to undici's MockAgent, recording every request.
 */
import { MockAgent, type Interceptable } from 'undici';
import type { LiteLLMConfig } from '../../src/config';
import { LiteLLMClient } from '../../src/litellm/client';
import { liteLLMConfig } from '../helpers/fixtures';

export { MASTER_KEY } from '../helpers/fixtures';
export const ORIGIN = 'http://litellm.test';

export function testConfig(overrides: Partial<LiteLLMConfig> = {}): LiteLLMConfig {
  // Shorter still: the mock answers at once, and timeouts are provoked on purpose.
  return liteLLMConfig(ORIGIN, {
    changedBy: 'jest',
    connectTimeoutMs: 1_000,
    headersTimeoutMs: 2_000,
    bodyTimeoutMs: 2_000,
    maxConnections: 4,
    keyVerifyTimeoutMs: 300,
    keyDerivationSecret: undefined,
    ...overrides,
  });
}

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Responder = (req: Recorded) => {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

function normaliseHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (Array.isArray(h)) {
    for (let i = 0; i + 1 < h.length; i += 2) out[String(h[i]).toLowerCase()] = String(h[i + 1]);
    return out;
  }
  if (typeof (h as Headers).forEach === 'function' && !(h.constructor === Object)) {
    (h as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, string>)) out[k.toLowerCase()] = String(v);
  return out;
}

export class MockLiteLLM {
  readonly agent = new MockAgent();
  readonly pool: Interceptable;
  readonly requests: Recorded[] = [];

  constructor() {
    this.agent.disableNetConnect();
    this.pool = this.agent.get(ORIGIN);
  }

  client(overrides: Partial<LiteLLMConfig> = {}): LiteLLMClient {
    return new LiteLLMClient(testConfig(overrides), { dispatcher: this.agent });
  }

  /** Answer the next request(s) matching method + path prefix with `responder`. */
  on(method: string, pathPrefix: string, responder: Responder, times = 1, delayMs = 0): void {
    let scope = this.pool.intercept({ method, path: (p: string) => p.startsWith(pathPrefix) }).reply((opts) => {
      const rec: Recorded = {
        method: opts.method,
        path: opts.path,
        headers: normaliseHeaders(opts.headers),
        body: typeof opts.body === 'string' ? (JSON.parse(opts.body) as unknown) : undefined,
      };
      this.requests.push(rec);
      const r = responder(rec);
      const data = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {});
      return {
        statusCode: r.status,
        data,
        responseOptions: { headers: { 'content-type': 'application/json', ...(r.headers ?? {}) } },
      };
    });
    if (delayMs > 0) scope = scope.delay(delayMs);
    if (times > 1) scope.times(times);
  }

  /** Fail the next request on this route at the transport level. */
  fail(method: string, pathPrefix: string, error: Error): void {
    this.pool.intercept({ method, path: (p: string) => p.startsWith(pathPrefix) }).replyWithError(error);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** LiteLLM's ProxyException envelope. */
export function proxyError(
  status: number,
  message: string,
  type = 'internal_server_error',
  param: string | null = 'None'
) {
  return { status, body: { error: { message, type, param, code: String(status) } } };
}

/** FastAPI's default shape. */
export function detailError(status: number, detail: unknown) {
  return { status, body: { detail } };
}
