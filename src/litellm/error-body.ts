/**
 * Reading LiteLLM's error bodies (its ProxyException envelope, FastAPI's `detail`, and whatever a proxy in
 * front of it answers) and the `Retry-After` header.
 */
import * as S from './schemas';

const MAX_ERROR_MESSAGE = 2_000;

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
