/**
 * The pieces every process's configuration (src/config.ts) is built from: the error that names a variable,
 * the field schemas, one parser, one secret loader (`NAME` or `NAME_FILE`) and one bearer-token rule.
 * A setting is refused here, at start-up, or not at all: nothing malformed passes on to fail later.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** A bad or missing setting: the message names the variable, never its value. */
export class ConfigError extends Error {
  constructor(
    message: string,
    public readonly variables: string[]
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * `true` or `false` in any case, as the seed reads `value.lower() == 'true'`; anything else is refused rather
 * than read as off, so the worker never silently disagrees with the seed (`1`, `yes`, `on`, and ` true`
 * with a space, which the seed reads as off, included).
 */
export const booleanFlag = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['true', 'false'], { error: 'must be true or false (any case)' }))
  .transform((v) => v === 'true');

/** Plain decimal notation only: `0x1F`, `1e3`, `+5`, `Infinity` or a blank value are refused, not coerced. */
const decimal = (pattern: RegExp, what: string) =>
  z
    .string()
    .trim()
    .regex(pattern, { error: `must be ${what}` })
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, { error: `must be ${what} (at most 2^53)` }));

export const positiveInt = decimal(/^0*[1-9]\d*$/, 'a positive whole number');
export const nonNegativeNumber = decimal(/^\d+(\.\d+)?$/, 'a non-negative decimal number');
export const positiveNumber = decimal(/^(?=.*[1-9])\d+(\.\d+)?$/, 'a positive decimal number');
/** A TCP port; `0` lets the system pick one. */
export const port = decimal(/^\d{1,5}$/, 'a port number (0-65535)').pipe(
  z.number().max(65535, { error: 'must be a port number (0-65535)' })
);

/** Text without control characters (they would end up in headers, ids or logs), trimmed. */
export const text = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .refine((v) => !CONTROL_CHARACTER.test(v), { error: 'must not contain control characters' });

/** Unset and blank are the same: the default applies. */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v))
  .pipe(text.optional());

/** The path of a file this process can read (checked at start-up, not at first use). */
export const readableFile = optionalText.pipe(
  z
    .string()
    .refine(
      (path) => {
        try {
          accessSync(path, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'cannot read the file it names' }
    )
    .optional()
);

/** A secret sent in an HTTP header: no whitespace or control characters inside. */
export function headerSafeSecret(secret: SecretSetting): string {
  const value = secret.value.trim();
  if (/[\s\p{Cc}]/u.test(value)) {
    throw new ConfigError(`${secret.source}: must not contain whitespace or control characters`, [secret.variable]);
  }
  return value;
}

export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));

/** An HTTP header name (RFC 9110 token), lower-cased. */
export const headerName = z
  .string()
  .trim()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be an HTTP header name (letters, digits, "-")' })
  .transform((v) => v.toLowerCase());

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function hostPort(value: string, hostAllowed: (host: string, bracketed: boolean) => boolean): boolean {
  const match = HOST_PORT.exec(value);
  if (!match) return false;
  const [, bracketed, bare, portText] = match;
  const portNumber = Number(portText);
  return portNumber > 0 && portNumber <= 65535 && hostAllowed((bracketed ?? bare)!, bracketed !== undefined);
}

/** `host:port` of a server to dial: a host name or an IP address (IPv6 in brackets). */
export const dialAddress = z
  .string()
  .trim()
  .refine((v) => hostPort(v, (host, b) => (b ? isIP(host) === 6 : isIP(host) === 4 || HOSTNAME.test(host))), {
    error: 'must be host:port, e.g. localhost:7233',
  });

/** `ip:port` to listen on (the SDK's Prometheus endpoint takes an IP address, not a host name). */
export const bindAddress = z
  .string()
  .trim()
  .refine((v) => hostPort(v, (host, b) => isIP(host) === (b ? 6 : 4)), {
    error: 'must be ip:port, e.g. 127.0.0.1:9464 or [::1]:9464',
  });

/** Comma-separated list; blank items dropped; undefined when nothing is left. */
export const list = z
  .string()
  .optional()
  .transform((v) => {
    const items = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items.length > 0 ? items : undefined;
  });

/** A Web UI origin (`http(s)://host[:port]`), normalised as browsers send it. */
export function normaliseOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin.trim());
  } catch {
    throw new ConfigError(`Allowed origin "${origin}" is not a URL (expected e.g. http://localhost:8233)`, []);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`Allowed origin "${origin}" must be http(s)`, []);
  }
  return url.origin;
}

/** Shorter tokens are refused: a codec server token guards every secret in history. */
export const MIN_TOKEN_LENGTH = 16;

/** The one rule for bearer tokens, wherever they come from (`source` names the variable or option). */
export function bearerTokens(tokens: readonly string[], source: string): string[] {
  const kept = tokens.map((t) => t.trim()).filter((t) => t !== '');
  if (kept.length === 0) {
    throw new ConfigError(
      `${source} must be set: the codec server needs at least one bearer token and refuses to hand out ` +
        'plaintext without authentication (comma-separated, e.g. from `openssl rand -base64 32`)',
      [source]
    );
  }
  if (kept.some((t) => t.length < MIN_TOKEN_LENGTH || /\s/.test(t))) {
    throw new ConfigError(
      `${source}: every token must be at least ${MIN_TOKEN_LENGTH} characters without whitespace ` +
        '(e.g. `openssl rand -base64 32`)',
      [source]
    );
  }
  return kept;
}

/** Start-up of a process: its configuration, or the message naming the variable on stderr and exit 2. */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}

/** Validates `env` against `schema`; every failing variable is named, no value is ever echoed. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const variables = [...new Set(result.error.issues.map((i) => String(i.path[0])))];
    const details = variables
      .map((name) => {
        const issue = result.error.issues.find((i) => String(i.path[0]) === name)!;
        return `${name}: ${env[name] === undefined ? 'is required' : issue.message}`;
      })
      .join('; ');
    throw new ConfigError(`Invalid configuration: ${details}`, variables);
  }
  return result.data;
}

/** A secret as given, and where it came from (for messages: the variable, or the file variable). */
export interface SecretSetting {
  value: string;
  /** The variable that was set: `NAME` or `NAME_FILE`. */
  variable: string;
  /** For messages: the variable, or `NAME_FILE (file content)`. */
  source: string;
}

/**
 * The one secret loader: `NAME` holds the secret, or `NAME_FILE` the path of a file holding it (Docker and
 * Kubernetes secrets). Setting both is refused, and so is a `_FILE` that is blank or cannot be read.
 * Undefined when neither is set; the caller decides what a blank value means.
 */
export function readSecret(env: Env, name: string): SecretSetting | undefined {
  const fileVar = `${name}_FILE`;
  const direct = env[name];
  const file = env[fileVar];
  if (file === undefined) return direct === undefined ? undefined : { value: direct, variable: name, source: name };
  if (direct !== undefined && direct.trim() !== '') {
    throw new ConfigError(`Set only one of ${name} and ${fileVar}`, [name, fileVar]);
  }
  if (file.trim() === '') throw new ConfigError(`${fileVar} is set but empty`, [fileVar]);
  try {
    return { value: readFileSync(file.trim(), 'utf8'), variable: fileVar, source: `${fileVar} (file content)` };
  } catch {
    throw new ConfigError(`${fileVar}: cannot read the file it names`, [fileVar]);
  }
}
