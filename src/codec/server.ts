/**
 * A codec server for the Temporal Web UI and the `temporal` CLI: `POST …/encode` and `POST …/decode` with
 * Temporal's JSON payload format, `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`,
 * through the same AES-256-GCM codec as the worker.
 *
 * It hands out plaintext, so it is locked down:
 * - bound to 127.0.0.1 unless told otherwise;
 * - every encode/decode needs `Authorization: Bearer <token>` matching one of the configured tokens (compared in
 *   constant time) → 401 otherwise;
 * - browsers: CORS headers only for the configured Web UI origins (exact match); a request carrying any other
 *   `Origin` gets 403 and no CORS headers;
 * - request bodies are capped (default 1 MiB → 413); responses are `Cache-Control: no-store`.
 *
 * As the codec server protocol asks, only the last path segment picks the operation, so `/encode`,
 * `/default/decode` or `/codec/decode` all work.
 *
 * Main: `npx tsx src/codec/server.ts` (settings: `loadCodecServerConfig` in src/config.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { CODEC_SERVER_DEFAULTS, ConfigError, configOrExit, loadCodecServerConfig } from '../config';
import { bearerTokens, normaliseOrigin } from '../config-fields';
import { AesGcmCodec, PayloadDecryptionError, type EncryptionKey } from './crypto-codec';

export interface CodecServerOptions {
  /** Encryption keys, newest first (the first encrypts, all decrypt). */
  keys: EncryptionKey[];
  /** Port to listen on; `0` picks a free one. Default 8888. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Web UI origins allowed by CORS, e.g. `http://localhost:8233`; exact match after normalisation. */
  allowedOrigins: string[];
  /** Accepted bearer tokens (at least one, each at least 16 characters). */
  tokens: string[];
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * A browser request from an allowed origin needs no token, for a Web UI that has no access token to forward.
   * `'loopback'` (`npm run dev`): refused unless the server binds to loopback. `'published-loopback'` (docker
   * compose without UI sign-in): the server binds the container's interfaces, and the host publishes its port on
   * 127.0.0.1 only (test/deploy/compose.test.ts holds the compose file to that), so only the operator's machine
   * and the stack's own containers reach it. Either way, whoever reaches the port can decode by naming an
   * allowed origin: never for a port published beyond the host.
   */
  trustAllowedOrigins?: 'loopback' | 'published-loopback';
}

export interface CodecServer {
  /** `http://host:port`, the value for `--codec-endpoint` / the UI's codec endpoint. */
  url: string;
  port: number;
  /** Stop listening and close every open connection. */
  stop(): Promise<void>;
}

/** The JSON form of a payload: metadata values and data in base64 (proto3 JSON of `bytes`). */
export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/;
const base64 = z.string().regex(BASE64, { error: 'must be base64' });
const requestSchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    })
  ),
});

function fromBase64(s: string): Uint8Array {
  const buf = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function toBase64(bytes: Uint8Array | null | undefined): string {
  // A decrypted payload with no data (an activity returning nothing) carries protobufjs' default for an
  // empty `bytes` field, a plain empty array: it has no `.buffer`.
  return bytes && bytes.length > 0 ? Buffer.from(bytes).toString('base64') : '';
}

/** JSON payload → `Payload`. */
export function payloadFromJson(json: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, fromBase64(v)])),
    data: fromBase64(json.data ?? ''),
  };
}

/** `Payload` → JSON payload. */
export function payloadToJson(payload: Payload): Required<JsonPayload> {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, toBase64(v)])),
    data: toBase64(payload.data),
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/** The body, at most `max` bytes; larger → 413 (as soon as the declared length or the bytes read tell). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(new HttpError(413, `request body larger than ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.resume(); // discard the rest
        reject(new HttpError(413, `request body larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.once('error', (err) => {
      if (!done) reject(err);
    });
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Start a codec server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const tokens = bearerTokens(options.tokens, 'tokens');
  const maxBodyBytes = options.maxBodyBytes ?? CODEC_SERVER_DEFAULTS.maxBodyBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new ConfigError('maxBodyBytes must be a positive integer', []);
  }
  const host = options.host ?? CODEC_SERVER_DEFAULTS.host;
  if (options.trustAllowedOrigins === 'loopback' && !isLoopback(host)) {
    throw new ConfigError("trustAllowedOrigins 'loopback' is for a codec server bound to loopback only", []);
  }
  const codec = new AesGcmCodec(options.keys);
  const allowedOrigins = new Set(options.allowedOrigins.map(normaliseOrigin));
  const tokenDigests = tokens.map(sha256);

  const authorised = (header: string | undefined): boolean => {
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    if (!match) return false;
    const presented = sha256(match[1]!);
    let ok = false;
    // Every configured token is compared (no early exit), each in constant time over equal-length digests.
    for (const digest of tokenDigests) ok = timingSafeEqual(digest, presented) || ok;
    return ok;
  };

  const send = (res: ServerResponse, status: number, body?: unknown, extra: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
      'Content-Length': String(Buffer.byteLength(text)),
      ...extra,
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://codec.invalid').pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';

    if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      send(res, 200, { status: 'ok' });
      return;
    }

    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowedOrigins.has(origin)) {
        send(res, 403, { error: 'origin not allowed' });
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }

    const operation = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
    if (!operation) {
      send(res, 404, { error: 'not found; use POST /encode or POST /decode' });
      return;
    }
    if (method === 'OPTIONS') {
      send(res, 204, undefined, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'authorization, content-type, x-namespace',
        'Access-Control-Max-Age': '600',
      });
      return;
    }
    if (method !== 'POST') {
      send(res, 405, { error: 'method not allowed' }, { Allow: 'POST, OPTIONS' });
      return;
    }
    const trustedOrigin = options.trustAllowedOrigins !== undefined && origin !== undefined;
    if (!trustedOrigin && !authorised(req.headers.authorization)) {
      send(
        res,
        401,
        { error: 'a valid Authorization: Bearer <token> header is required' },
        {
          'WWW-Authenticate': 'Bearer',
        }
      );
      return;
    }
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !/^application\/json\b/i.test(contentType)) {
      send(res, 415, { error: 'Content-Type must be application/json' });
      return;
    }

    const body = await readBody(req, maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(
        400,
        `expected {"payloads":[{"metadata":{...base64},"data":"base64"}]}` +
          (issue ? ` (${issue.path.map(String).join('.') || 'body'}: ${issue.message})` : '')
      );
    }
    const payloads = parsed.data.payloads.map(payloadFromJson);
    let result: Payload[];
    try {
      result = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new HttpError(422, err.message);
      throw err;
    }
    send(res, 200, { payloads: result.map(payloadToJson) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        // After a 413 the rest of the body is not read: close the connection rather than drain it.
        send(res, err.status, { error: err.message }, err.status === 413 ? { Connection: 'close' } : {});
      } else {
        process.stderr.write(`codec server: internal error: ${err instanceof Error ? err.name : 'unknown'}\n`);
        send(res, 500, { error: 'internal error' });
      }
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? CODEC_SERVER_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const config = configOrExit(loadCodecServerConfig);
  const server = await startCodecServer(config);
  process.stdout.write(
    `Codec server listening on ${server.url} (allowed origins: ${config.allowedOrigins.join(', ') || 'none'}; ` +
      `encrypting with key "${config.keys[0]!.id}")\n`
  );
  const shutdown = () => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1)
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`codec server failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
