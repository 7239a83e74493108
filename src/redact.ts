/**
 * The one redaction helper: every log line and every error message that may carry LiteLLM's text, a key
 * or a user's e-mail goes through here.
 *
 * - Registered secrets (the master key, the key-derivation secret) are replaced wherever they occur, whatever
 *   their shape: a master key need not start with `sk-`.
 * - Virtual keys `sk-…` keep only their last 4 characters (`sk-…abcd`), short ones none at all; LiteLLM's own
 *   abbreviation `sk-...abcd` is left as it is.
 * - `Bearer <anything>` loses the token.
 * - E-mail addresses keep their first character and domain: `a***@example.com`.
 * - Object fields whose name says "secret" (authorization, api key, master key, password, …) are masked
 *   whole, whatever their value looks like.
 */

const REDACTED = '[REDACTED]';

/** Secrets masked wherever they occur (longest first, so one secret containing another is masked whole). */
const registeredSecrets = new Set<string>();
let secretsByLength: string[] = [];

/**
 * Register a secret (master key, derivation secret) to be masked in every later `redact`/`redactText`.
 * Values shorter than 4 characters are ignored: masking them would garble ordinary text.
 */
export function registerSecret(secret: string | undefined | null): void {
  if (!secret || secret.length < 4 || registeredSecrets.has(secret)) return;
  registeredSecrets.add(secret);
  secretsByLength = [...registeredSecrets].sort((a, b) => b.length - a.length);
}

// `sk-` followed by key characters. A preceding word character (e.g. `task-`) is not a key start.
const VIRTUAL_KEY = /(?<![A-Za-z0-9_])sk-[A-Za-z0-9_-]+/g;
const BEARER = /\b(Bearer|Basic)\s+[^\s,;'"}\]]+/gi;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
const SECRET_FIELD =
  /^(authorization|proxy-authorization|x-goog-api-key|x-litellm-api-key|api[-_]?key|master[-_]?key|password|secret|key[-_]?derivation[-_]?secret|llm[-_]?api[-_]?key)$/i;

/** `sk-…` + the last 4 characters of a long key; nothing of a short one. */
export function maskKey(key: string): string {
  if (!key.startsWith('sk-')) return REDACTED;
  const body = key.slice(3);
  return body.length >= 16 ? `sk-…${body.slice(-4)}` : 'sk-…';
}

/** Mask secrets and e-mail addresses inside free text. */
export function redactText(s: string): string {
  let out = s;
  for (const secret of secretsByLength) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(VIRTUAL_KEY, (k) => maskKey(k));
  out = out.replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`);
  return out;
}

/** Deep copy of `value` with every string redacted and secret-named fields masked. Cycles become `[Circular]`. */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet<object>(), 0);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? String(value) : value;
  }
  if (depth > 20) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactText(value.message) };
    for (const [k, v] of Object.entries(value)) {
      if (k === 'stack') continue;
      out[k] = SECRET_FIELD.test(k) ? maskSecretValue(v) : redactValue(v, seen, depth + 1);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, seen, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) ? maskSecretValue(v) : redactValue(v, seen, depth + 1);
  }
  return out;
}

function maskSecretValue(v: unknown): unknown {
  if (v == null || v === '') return v;
  if (typeof v === 'string') return v.startsWith('sk-') ? maskKey(v) : REDACTED;
  return REDACTED;
}
