import { request } from 'node:http';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/crypto-codec';
import { payloadToJson, startCodecServer, type CodecServer, type JsonPayload } from '../../src/codec/server';
import { loadCodecServerConfig } from '../../src/config';
import { makeKey } from './helpers';

const TOKEN = 'codec-test-token-0123456789abcdef';
const OTHER_TOKEN = 'codec-other-token-0123456789abcdef';
const UI_ORIGIN = 'http://localhost:8233';
const SECRET = 'sk-codec-server-secret-0123456789abcd';
const MAX_BODY = 64 * 1024;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => ReplyBody;
}

interface ReplyBody {
  payloads: { metadata: Record<string, string>; data: string }[];
  error: string;
}

/** One HTTP request on a fresh connection (no pooling, so nothing outlives the test). */
function call(
  server: CodecServer,
  path: string,
  {
    method = 'POST',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) as ReplyBody });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const body = (payloads: JsonPayload[]) => JSON.stringify({ payloads });

describe('codec server', () => {
  const keys = [makeKey('key-2'), makeKey('key-1')];
  const codec = new AesGcmCodec(keys);
  let server: CodecServer;
  let encrypted: JsonPayload[];

  beforeAll(async () => {
    server = await startCodecServer({
      keys,
      port: 0,
      allowedOrigins: [UI_ORIGIN, 'https://temporal.example.com/'],
      tokens: [TOKEN, OTHER_TOKEN],
      maxBodyBytes: MAX_BODY,
    });
    const payloads: Payload[] = [defaultPayloadConverter.toPayload({ virtualKey: SECRET })];
    encrypted = (await codec.encode(payloads)).map(payloadToJson);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('listens on 127.0.0.1 by default and answers /healthz', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await call(server, '/healthz', { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('authorised /decode shows the plaintext in Temporal JSON payload format', async () => {
    expect(JSON.stringify(encrypted)).not.toContain(SECRET);
    const res = await call(server, '/decode', {
      headers: { ...auth(), 'x-namespace': 'default' },
      body: body(encrypted),
    });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const payload = res.json().payloads[0]!;
    expect(payload.metadata.encoding).toBe(Buffer.from('json/plain').toString('base64'));
    expect(JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'))).toEqual({ virtualKey: SECRET });
  });

  it('accepts every configured token and only the last path segment matters', async () => {
    const res = await call(server, '/default/decode', { headers: auth(OTHER_TOKEN), body: body(encrypted) });
    expect(res.status).toBe(200);
    expect(res.text).toContain(Buffer.from('json/plain').toString('base64'));
  });

  it('/encode then /decode round-trips, encrypting with the newest key', async () => {
    const plain = payloadToJson(defaultPayloadConverter.toPayload({ hello: SECRET }));
    const encodedRes = await call(server, '/encode', { headers: auth(), body: body([plain]) });
    expect(encodedRes.status).toBe(200);
    expect(encodedRes.text).not.toContain(plain.data);
    const encodedPayload = encodedRes.json().payloads[0]!;
    expect(Buffer.from(encodedPayload.metadata['encryption-key-id']!, 'base64').toString()).toBe('key-2');
    expect(Buffer.from(encodedPayload.data, 'base64').includes(Buffer.from(SECRET))).toBe(false);

    const decodedRes = await call(server, '/decode', { headers: auth(), body: encodedRes.text });
    expect(decodedRes.status).toBe(200);
    expect(decodedRes.json()).toEqual({ payloads: [plain] });
  });

  it("decodes a payload without data (an activity's undefined result)", async () => {
    const [empty] = await codec.encode([defaultPayloadConverter.toPayload(undefined)]);
    const res = await call(server, '/decode', { headers: auth(), body: body([payloadToJson(empty!)]) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      payloads: [{ metadata: { encoding: Buffer.from('binary/null').toString('base64') }, data: '' }],
    });
  });

  it('passes unencrypted payloads through /decode', async () => {
    const plain = payloadToJson(defaultPayloadConverter.toPayload('before encryption'));
    const res = await call(server, '/decode', { headers: auth(), body: body([plain]) });
    expect(res.json()).toEqual({ payloads: [plain] });
  });

  it('no token → 401', async () => {
    const res = await call(server, '/decode', {
      headers: { 'content-type': 'application/json' },
      body: body(encrypted),
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.text).not.toContain(SECRET);
  });

  it.each([
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token without Bearer', TOKEN],
    ['Basic auth', `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('%s → 401', async (_name, authorization) => {
    const res = await call(server, '/decode', {
      headers: { authorization, 'content-type': 'application/json' },
      body: body(encrypted),
    });
    expect(res.status).toBe(401);
  });

  it('a foreign Origin → 403 without CORS headers, even with a valid token', async () => {
    for (const origin of [
      'http://evil.example',
      'http://localhost:8234',
      'http://localhost:8233.evil.example',
      'null',
    ]) {
      const post = await call(server, '/decode', { headers: { ...auth(), origin }, body: body(encrypted) });
      expect(post.status).toBe(403);
      expect(post.text).not.toContain(SECRET);
      expect(post.headers['access-control-allow-origin']).toBeUndefined();
      expect(post.headers['access-control-allow-credentials']).toBeUndefined();

      const preflight = await call(server, '/decode', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(403);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    }
  });

  it('an allowed origin gets a CORS preflight answer without a token', async () => {
    const res = await call(server, '/decode', {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(res.headers['access-control-allow-headers']).split(/, */)).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-namespace'])
    );
    expect(res.headers.vary).toBe('Origin');
  });

  it('an allowed origin (configured with a trailing slash) decodes with CORS headers', async () => {
    const origin = 'https://temporal.example.com';
    const res = await call(server, '/decode', { headers: { ...auth(), origin }, body: body(encrypted) });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    // A 401 to an allowed origin carries CORS headers too, so the UI can tell why.
    const denied = await call(server, '/decode', {
      headers: { origin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe(origin);
  });

  it('a body over the limit → 413 (declared length or streamed)', async () => {
    const big = body([{ metadata: {}, data: Buffer.alloc(MAX_BODY).toString('base64') }]);
    const declared = await call(server, '/encode', { headers: auth(), body: big });
    expect(declared.status).toBe(413);

    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/encode`,
        { method: 'POST', headers: { ...auth(), 'transfer-encoding': 'chunked' }, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        }
      );
      req.on('error', reject);
      req.write(big.slice(0, MAX_BODY / 2));
      req.end(big.slice(MAX_BODY / 2));
    });
    expect(streamed).toBe(413);

    // The server is still fine afterwards.
    expect((await call(server, '/decode', { headers: auth(), body: body(encrypted) })).status).toBe(200);
  });

  it('the default cap is 1 MiB', async () => {
    const small = await startCodecServer({ keys, port: 0, allowedOrigins: [], tokens: [TOKEN] });
    try {
      const justUnder = body([{ data: Buffer.alloc(700 * 1024).toString('base64') }]);
      expect(Buffer.byteLength(justUnder)).toBeLessThan(1024 * 1024);
      expect((await call(small, '/encode', { headers: auth(), body: justUnder })).status).toBe(200);
      const over = body([{ data: Buffer.alloc(800 * 1024).toString('base64') }]);
      expect(Buffer.byteLength(over)).toBeGreaterThan(1024 * 1024);
      expect((await call(small, '/encode', { headers: auth(), body: over })).status).toBe(413);
    } finally {
      await small.stop();
    }
  });

  it.each([
    ['malformed JSON', '{"payloads": [', /not valid JSON/],
    ['no payloads', '{}', /expected \{"payloads"/],
    ['payloads not an array', '{"payloads": {}}', /payloads/],
    ['data not base64', '{"payloads": [{"data": "***"}]}', /payloads\.0\.data: must be base64/],
    ['metadata not base64', '{"payloads": [{"metadata": {"encoding": "%%"}}]}', /must be base64/],
  ])('%s → 400', async (_name, text, pattern) => {
    const res = await call(server, '/decode', { headers: auth(), body: text });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatch(pattern);
  });

  it('a payload it cannot decrypt → 422 naming the key id', async () => {
    const foreign = (
      await new AesGcmCodec([makeKey('key-unknown')]).encode([defaultPayloadConverter.toPayload(1)])
    ).map(payloadToJson);
    const res = await call(server, '/decode', { headers: auth(), body: body(foreign) });
    expect(res.status).toBe(422);
    expect(res.json().error).toMatch(/unknown encryption key id "key-unknown"/);
  });

  it('other paths → 404, other methods → 405, non-JSON → 415', async () => {
    expect((await call(server, '/', { headers: auth(), body: '{}' })).status).toBe(404);
    expect((await call(server, '/decoder', { headers: auth(), body: '{}' })).status).toBe(404);
    expect((await call(server, '/decode', { method: 'GET', headers: auth() })).status).toBe(405);
    expect(
      (await call(server, '/decode', { headers: { ...auth(), 'content-type': 'text/plain' }, body: body(encrypted) }))
        .status
    ).toBe(415);
  });
});

describe('startCodecServer / loadCodecServerConfig refuse an unsafe setup', () => {
  const keys = [makeKey('k')];
  const keyEnv = { LITELLM_WORKFLOWS_ENCRYPTION_KEYS: `k:${keys[0]!.key.toString('base64')}` };

  it('refuses to start without a token, or with a short one', async () => {
    await expect(startCodecServer({ keys, port: 0, allowedOrigins: [], tokens: [] })).rejects.toThrow(
      /at least one bearer token/
    );
    await expect(startCodecServer({ keys, port: 0, allowedOrigins: [], tokens: ['short'] })).rejects.toThrow(
      /at least 16 characters/
    );
  });

  it('reads the environment with safe defaults', () => {
    const config = loadCodecServerConfig({ ...keyEnv, CODEC_SERVER_TOKENS: `${TOKEN}, ${OTHER_TOKEN}` });
    expect(config).toMatchObject({
      port: 8888,
      host: '127.0.0.1',
      allowedOrigins: ['http://127.0.0.1:8233', 'http://localhost:8233'],
      tokens: [TOKEN, OTHER_TOKEN],
      maxBodyBytes: 1024 * 1024,
    });
    expect(config.keys.map((k) => k.id)).toEqual(['k']);
    expect(
      loadCodecServerConfig({
        ...keyEnv,
        CODEC_SERVER_TOKENS: TOKEN,
        CODEC_SERVER_PORT: '9999',
        CODEC_SERVER_HOST: '0.0.0.0',
        CODEC_SERVER_ALLOWED_ORIGINS: 'http://localhost:8080/,https://ui.example.com',
      })
    ).toMatchObject({
      port: 9999,
      host: '0.0.0.0',
      allowedOrigins: ['http://localhost:8080', 'https://ui.example.com'],
    });
  });

  it.each([
    ['no token', { ...keyEnv }, /CODEC_SERVER_TOKENS must be set/],
    ['a blank token list', { ...keyEnv, CODEC_SERVER_TOKENS: ' , ' }, /CODEC_SERVER_TOKENS must be set/],
    ['a short token', { ...keyEnv, CODEC_SERVER_TOKENS: 'short' }, /CODEC_SERVER_TOKENS: every token/],
    ['no keys', { CODEC_SERVER_TOKENS: TOKEN }, /Encryption keys are required/],
    ['a bad port', { ...keyEnv, CODEC_SERVER_TOKENS: TOKEN, CODEC_SERVER_PORT: 'x' }, /CODEC_SERVER_PORT/],
    [
      'a bad origin',
      { ...keyEnv, CODEC_SERVER_TOKENS: TOKEN, CODEC_SERVER_ALLOWED_ORIGINS: 'localhost' },
      /CODEC_SERVER_ALLOWED_ORIGINS/,
    ],
  ])('rejects %s', (_name, env, pattern) => {
    expect(() => loadCodecServerConfig(env)).toThrow(pattern);
  });
});

describe('development mode (npm run dev)', () => {
  it('lets the local Web UI decode without a token, from an allowed origin only', async () => {
    const keys = [makeKey('dev')];
    const server = await startCodecServer({
      keys,
      port: 0,
      allowedOrigins: ['http://127.0.0.1:8233'],
      tokens: ['a-long-enough-dev-token-123'],
      trustAllowedOrigins: 'loopback',
    });
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`${server.url}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ payloads: [] }),
        });
      expect((await post({ origin: 'http://127.0.0.1:8233' })).status).toBe(200);
      expect((await post({})).status).toBe(401);
      expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it("trusts the allowed origins on any bind under 'published-loopback' (compose), and nothing else", async () => {
    const server = await startCodecServer({
      keys: [makeKey('compose')],
      host: '0.0.0.0',
      port: 0,
      allowedOrigins: ['http://localhost:8080'],
      tokens: ['a-long-enough-compose-token-1'],
      trustAllowedOrigins: 'published-loopback',
    });
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${server.port}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ payloads: [] }),
        });
      expect((await post({ origin: 'http://localhost:8080' })).status).toBe(200);
      expect((await post({})).status).toBe(401);
      expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it('reads the compose mode from CODEC_SERVER_TRUST_ALLOWED_ORIGINS, and refuses any other value naming it', () => {
    const env = {
      CODEC_SERVER_TOKENS: 'a-long-enough-compose-token-1',
      LITELLM_WORKFLOWS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    };
    expect(loadCodecServerConfig(env).trustAllowedOrigins).toBeUndefined();
    expect(
      loadCodecServerConfig({ ...env, CODEC_SERVER_TRUST_ALLOWED_ORIGINS: 'published-loopback' }).trustAllowedOrigins
    ).toBe('published-loopback');
    expect(() => loadCodecServerConfig({ ...env, CODEC_SERVER_TRUST_ALLOWED_ORIGINS: 'true' })).toThrow(
      /CODEC_SERVER_TRUST_ALLOWED_ORIGINS/
    );
  });

  it('is refused for a server that does not bind to loopback', async () => {
    await expect(
      startCodecServer({
        keys: [makeKey('dev')],
        host: '0.0.0.0',
        port: 0,
        allowedOrigins: [],
        tokens: ['a-long-enough-dev-token-123'],
        trustAllowedOrigins: 'loopback',
      })
    ).rejects.toThrow(/loopback/);
  });
});
