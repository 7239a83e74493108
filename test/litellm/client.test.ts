import { errors as undiciErrors } from 'undici';
import { LiteLLMClient } from '../../src/litellm/client';
import { parseErrorBody, parseRetryAfter } from '../../src/litellm/error-body';
import {
  isAlreadyInTeam,
  isDuplicateEmail,
  isKeyAliasTaken,
  isMemberAbsent,
  isNoDatabase,
  isTeamAlreadyExists,
  isUnknownKey,
  LiteLLMHttpError,
  LiteLLMInputError,
  LiteLLMResponseError,
  LiteLLMTransportError,
} from '../../src/litellm/errors';
import { hashKey } from '../../src/litellm/keys';
import { detailError, MASTER_KEY, MockLiteLLM, proxyError, testConfig } from './mock';

const TEAM_INFO = {
  team_id: 't1',
  team_info: { team_id: 't1', team_alias: 'alias', max_budget: 10, spend: 1, extra_field: { any: 1 } },
  team_memberships: [],
  keys: [],
};

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('LiteLLMClient', () => {
  let mock: MockLiteLLM;
  let client: LiteLLMClient;

  beforeEach(() => {
    mock = new MockLiteLLM();
    client = mock.client();
  });
  afterEach(async () => {
    await client.close();
    await mock.close();
  });

  describe('headers', () => {
    it.each([
      ['authorization', 'authorization', `Bearer ${MASTER_KEY}`],
      ['x-goog-api-key', 'x-goog-api-key', MASTER_KEY],
      ['x-litellm-api-key', 'x-litellm-api-key', `Bearer ${MASTER_KEY}`],
      ['X-Custom-Key', 'x-custom-key', `Bearer ${MASTER_KEY}`],
    ])('authHeader %s sends %s', async (configured, header, value) => {
      const c = mock.client({ authHeader: configured });
      mock.on('GET', '/team/info', () => ({ status: 200, body: TEAM_INFO }));
      await c.teamInfo('t1');
      const req = mock.requests[0]!;
      expect(req.headers[header]).toBe(value);
      expect(req.headers['litellm-changed-by']).toBe('jest');
      if (header !== 'authorization') expect(req.headers.authorization).toBeUndefined();
    });

    it('verifies a virtual key with the key itself in Authorization, never the master key', async () => {
      const c = mock.client({ authHeader: 'x-goog-api-key' });
      const key = 'sk-virtualKEY0123456789abcdefgh';
      mock.on('GET', '/v1/models', () => ({ status: 200, body: { data: [], object: 'list' } }));
      await c.listModels(key);
      const req = mock.requests[0]!;
      expect(req.headers.authorization).toBe(`Bearer ${key}`);
      expect(JSON.stringify(req.headers)).not.toContain(MASTER_KEY);
      expect(req.path).toBe('/v1/models');
    });

    it('uses a custom key header for the virtual key too (the proxy then reads nothing else)', async () => {
      const c = mock.client({ authHeader: 'x-my-proxy-key' });
      mock.on('GET', '/v1/models', () => ({ status: 200, body: { data: [] } }));
      await c.listModels('sk-virtualKEY0123456789abcdefgh');
      expect(mock.requests[0]!.headers['x-my-proxy-key']).toBe('Bearer sk-virtualKEY0123456789abcdefgh');
    });

    it('refuses a header name that is not a token', () => {
      expect(() => mock.client({ authHeader: 'bad header' })).toThrow(LiteLLMInputError);
    });
  });

  describe('URLs', () => {
    it.each(['a&b', 'a?b', 'a#b', 'a/b', 'a b', 'ü=%'])('encodes the id %j in the query', async (id) => {
      mock.on('GET', '/team/info', () => ({ status: 200, body: { ...TEAM_INFO, team_id: id } }));
      await client.teamInfo(id);
      const path = mock.requests[0]!.path;
      expect(new URL(path, 'http://x').searchParams.get('team_id')).toBe(id);
      expect(path.startsWith('/team/info?team_id=')).toBe(true);
      expect(path.slice('/team/info?team_id='.length)).not.toMatch(/[&?#/ ]/);
    });

    it('keeps a path prefix of the base URL', async () => {
      const c = mock.client({ baseUrl: 'http://litellm.test/proxy/' });
      mock.on('GET', '/proxy/user/info', () => ({ status: 200, body: { user_id: 'u', user_info: null } }));
      await c.userInfo('u');
      expect(mock.requests[0]!.path).toBe('/proxy/user/info?user_id=u');
    });

    it('asks key/info by hash, never by plaintext', async () => {
      const key = 'sk-plaintextKEY0123456789abcdefgh';
      mock.on('GET', '/key/info', () => ({ status: 200, body: { key: hashKey(key), info: { key_alias: null } } }));
      await client.keyInfo(key);
      expect(mock.requests[0]!.path).toBe(`/key/info?key=${hashKey(key)}`);
      expect(mock.requests[0]!.path).not.toContain('sk-');
    });

    it('lists keys as full objects with paging', async () => {
      mock.on('GET', '/key/list', () => ({ status: 200, body: { keys: [], total_count: 0, total_pages: 0 } }));
      await client.keyList({ userId: 'u@x', page: 2, size: 100 });
      const q = new URL(mock.requests[0]!.path, 'http://x').searchParams;
      expect(Object.fromEntries(q)).toEqual({ user_id: 'u@x', return_full_object: 'true', page: '2', size: '100' });
    });
  });

  describe('input validation (before any call)', () => {
    it.each([
      ['', 'must not be empty'],
      ['x'.repeat(257), 'at most 256'],
      ['a\nb', 'control characters'],
      ['a\u0000b', 'control characters'],
    ])('rejects team id %j', async (id, reason) => {
      const e = await caught(client.teamInfo(id));
      expect(e).toBeInstanceOf(LiteLLMInputError);
      expect((e as LiteLLMInputError).field).toBe('teamId');
      expect((e as Error).message).toContain(reason);
      expect(mock.requests).toHaveLength(0);
    });

    it('names the field', async () => {
      const e = await caught(client.teamMemberAdd({ teamId: 't', userId: '', role: 'user', maxBudgetInTeam: null }));
      expect((e as LiteLLMInputError).field).toBe('userId');
    });

    it('rejects a negative or non-finite budget', async () => {
      await expect(client.teamUpdate({ teamId: 't', maxBudget: -1 })).rejects.toThrow(LiteLLMInputError);
      await expect(client.teamUpdate({ teamId: 't', maxBudget: Number.NaN })).rejects.toThrow(LiteLLMInputError);
    });

    it('rejects a key that is neither sk-… nor a hash, without echoing it', async () => {
      const e = await caught(client.keyInfo('not-a-key-secret'));
      expect(e).toBeInstanceOf(LiteLLMInputError);
      expect((e as Error).message).not.toContain('not-a-key-secret');
    });
  });

  describe('request bodies and "unlimited"', () => {
    const ok =
      (body: unknown = { team_id: 't' }) =>
      () => ({ status: 200, body });

    it('team/new omits a null budget and sends a set one', async () => {
      mock.on('POST', '/team/new', ok(), 2);
      await client.teamNew({ teamId: 't', teamAlias: 'a', maxBudget: null, metadata: { version: 5 } });
      await client.teamNew({ teamId: 't', teamAlias: 'a', maxBudget: 0, metadata: {} });
      expect(mock.requests[0]!.body).toEqual({ team_id: 't', team_alias: 'a', models: [], metadata: { version: 5 } });
      expect(mock.requests[1]!.body).toMatchObject({ max_budget: 0 });
    });

    it('team/update: undefined is not sent, null clears', async () => {
      mock.on('POST', '/team/update', ok(), 2);
      await client.teamUpdate({ teamId: 't' });
      await client.teamUpdate({ teamId: 't', maxBudget: null });
      expect(mock.requests[0]!.body).toEqual({ team_id: 't' });
      expect(mock.requests[1]!.body).toEqual({ team_id: 't', max_budget: null });
    });

    it('member_add omits a null budget; member_update sends an explicit null (1.108.5 ignores an omitted one)', async () => {
      mock.on('POST', '/team/member_add', ok(), 2);
      mock.on('POST', '/team/member_update', ok(), 1);
      await client.teamMemberAdd({ teamId: 't', userId: 'u', role: 'user', maxBudgetInTeam: null });
      await client.teamMemberAdd({ teamId: 't', userId: 'u', role: 'user', maxBudgetInTeam: 3 });
      await client.teamMemberUpdate({ teamId: 't', userId: 'u', maxBudgetInTeam: null });
      expect(mock.requests[0]!.body).toEqual({ team_id: 't', member: { user_id: 'u', role: 'user' } });
      expect(mock.requests[1]!.body).toMatchObject({ max_budget_in_team: 3 });
      expect(mock.requests[2]!.body).toEqual({ team_id: 't', user_id: 'u', max_budget_in_team: null });
    });

    it('user/update sends an explicit null for unlimited, and nothing for an unchanged budget', async () => {
      mock.on('POST', '/user/update', ok({ user_id: 'u' }), 2);
      await client.userUpdate({ userId: 'u', maxBudget: null, spend: 0 });
      await client.userUpdate({ userId: 'u', spend: 1 });
      expect(mock.requests[0]!.body).toEqual({ user_id: 'u', max_budget: null, spend: 0 });
      expect(mock.requests[1]!.body).toEqual({ user_id: 'u', spend: 1 });
    });

    it('user/new never auto-creates a key nor mails an invitation', async () => {
      mock.on('POST', '/user/new', ok({ user_id: 'u', key: '' }));
      await client.userNew({ userId: 'u', email: null, teams: ['d'], metadata: {} });
      expect(mock.requests[0]!.body).toEqual({
        user_id: 'u',
        models: [],
        teams: ['d'],
        auto_create_key: false,
        send_invite_email: false,
        metadata: {},
      });
    });

    it('key/update and key/delete address keys by hash', async () => {
      const key = 'sk-plaintextKEY0123456789abcdefgh';
      mock.on('POST', '/key/update', ok({ key: hashKey(key) }));
      mock.on('POST', '/key/delete', ok({ deleted_keys: [hashKey(key)] }));
      await client.keyUpdate({ keyOrHash: key, teamId: null });
      await client.keyDelete({ keysOrHashes: [key] });
      expect(mock.requests[0]!.body).toEqual({ key: hashKey(key), team_id: null });
      expect(mock.requests[1]!.body).toEqual({ keys: [hashKey(key)] });
    });

    it('user/delete accepts the bare integer LiteLLM answers', async () => {
      mock.on('POST', '/user/delete', () => ({ status: 200, body: '1' }));
      await expect(client.userDelete(['u'])).resolves.toBe(1);
    });
  });

  describe('response validation', () => {
    it('names the field of a schema mismatch', async () => {
      mock.on('GET', '/team/info', () => ({
        status: 200,
        body: { ...TEAM_INFO, team_info: { ...TEAM_INFO.team_info, spend: 'lots' } },
      }));
      const e = await caught(client.teamInfo('t1'));
      expect(e).toBeInstanceOf(LiteLLMResponseError);
      expect((e as LiteLLMResponseError).path).toBe('team_info.spend');
      expect((e as LiteLLMResponseError).route).toBe('/team/info');
      expect((e as Error).message).toContain('/team/info');
    });

    it('reports a non-JSON 200', async () => {
      mock.on('GET', '/user/info', () => ({ status: 200, body: '<html>proxy</html>' }));
      const e = await caught(client.userInfo('u'));
      expect(e).toBeInstanceOf(LiteLLMResponseError);
      expect((e as LiteLLMResponseError).path).toBe('');
    });

    it('rejects string tokens when full objects were asked for', async () => {
      mock.on('GET', '/key/list', () => ({ status: 200, body: { keys: ['abc'], total_count: 1 } }));
      const e = await caught(client.keyList({ userId: 'u', page: 1, size: 10 }));
      expect((e as LiteLLMResponseError).path).toBe('keys.0');
    });

    it('tolerates unknown fields and nulls', async () => {
      mock.on('GET', '/team/info', () => ({
        status: 200,
        body: {
          team_id: 't1',
          team_info: { team_id: 't1', team_alias: null, max_budget: null, spend: null, new_thing: [1] },
          team_memberships: null,
        },
      }));
      await expect(client.teamInfo('t1')).resolves.toMatchObject({ team_info: { new_thing: [1] } });
    });
  });

  describe('error shapes', () => {
    it('parses the ProxyException envelope and unwraps the Python repr', async () => {
      mock.on('POST', '/team/new', () =>
        proxyError(400, "{'error': 'Team id = t1 already exists. Please use a different team id.'}")
      );
      const e = (await caught(
        client.teamNew({ teamId: 't1', teamAlias: 'a', maxBudget: null, metadata: {} })
      )) as LiteLLMHttpError;
      expect(e).toBeInstanceOf(LiteLLMHttpError);
      expect(e.name).toBe('LiteLLMHttpError');
      expect(e.status).toBe(400);
      expect(e.route).toBe('/team/new');
      expect(e.errorType).toBe('internal_server_error');
      expect(e.param).toBeUndefined();
      expect(e.detail).toBe('Team id = t1 already exists. Please use a different team id.');
      expect(isTeamAlreadyExists(e)).toBe(true);
    });

    it('parses the FastAPI detail shape', async () => {
      mock.on('POST', '/team/member_delete', () => detailError(400, { error: 'User not found in team' }));
      const e = (await caught(client.teamMemberDelete({ teamId: 't', userId: 'u' }))) as LiteLLMHttpError;
      expect(e.detail).toBe('User not found in team');
      expect(e.errorType).toBeUndefined();
      expect(isMemberAbsent(e)).toBe(true);
    });

    it('parses a 422 validation list', async () => {
      mock.on('POST', '/team/update', () =>
        detailError(422, [{ type: 'missing', loc: ['body', 'team_id'], msg: 'Field required', input: {} }])
      );
      const e = (await caught(client.teamUpdate({ teamId: 't' }))) as LiteLLMHttpError;
      expect(e.status).toBe(422);
      expect(e.param).toBe('body.team_id');
      expect(e.detail).toBe('body.team_id: Field required');
    });

    it('reads type and param of member_add duplicates', async () => {
      mock.on('POST', '/team/member_add', () =>
        proxyError(400, 'User already in team. Member: user_id=u', 'team_member_already_in_team', 'member')
      );
      const e = await caught(client.teamMemberAdd({ teamId: 't', userId: 'u', role: 'user', maxBudgetInTeam: null }));
      expect(isAlreadyInTeam(e)).toBe(true);
      expect((e as LiteLLMHttpError).param).toBe('member');
    });

    it('keeps a non-JSON error body as text', async () => {
      mock.on('GET', '/team/info', () => ({ status: 502, body: 'Bad Gateway' }));
      const e = (await caught(client.teamInfo('t'))) as LiteLLMHttpError;
      expect(e.status).toBe(502);
      expect(e.detail).toBe('Bad Gateway');
    });

    it('reads Retry-After', async () => {
      mock.on('GET', '/user/info', () => ({ ...proxyError(429, 'slow down'), headers: { 'retry-after': '2' } }));
      const e = (await caught(client.userInfo('u'))) as LiteLLMHttpError;
      expect(e.status).toBe(429);
      expect(e.retryAfterMs).toBe(2000);
    });

    it('redacts keys, the master key and e-mails that LiteLLM echoes', async () => {
      const key = 'sk-echoedPLAINTEXT0123456789abcd';
      mock.on('POST', '/key/update', () =>
        proxyError(
          401,
          `Authentication Error: invalid user key - user key does not exist in db. User Key=${key}`,
          'auth_error'
        )
      );
      mock.on('POST', '/user/new', () =>
        proxyError(400, `{'error': 'User with email Alice.Smith@example.com already exists'} ${MASTER_KEY}`)
      );
      const e1 = (await caught(client.keyUpdate({ keyOrHash: key, teamId: 't' }))) as LiteLLMHttpError;
      const e2 = (await caught(
        client.userNew({ userId: 'u', email: 'alice.smith@example.com', teams: [], metadata: {} })
      )) as LiteLLMHttpError;
      expect(isUnknownKey(e1)).toBe(true);
      expect(e1.message).not.toContain(key);
      expect(e1.message).toContain('sk-…abcd');
      expect(e2.message).not.toContain(MASTER_KEY);
      expect(e2.message).not.toContain('Alice.Smith');
      expect(e2.message).toContain('A***@example.com');
      expect(isDuplicateEmail(e2)).toBe(true);
    });
  });

  describe('transport failures', () => {
    it('classifies a reset connection', async () => {
      mock.fail('GET', '/team/info', new undiciErrors.SocketError('other side closed'));
      const e = (await caught(client.teamInfo('t'))) as LiteLLMTransportError;
      expect(e).toBeInstanceOf(LiteLLMTransportError);
      expect(e.kind).toBe('connection');
      expect(e.code).toBe('UND_ERR_SOCKET');
    });

    it('classifies undici timeouts', async () => {
      mock.fail('GET', '/team/info', new undiciErrors.HeadersTimeoutError());
      const e = (await caught(client.teamInfo('t'))) as LiteLLMTransportError;
      expect(e.kind).toBe('timeout');
    });

    it('bounds key verification by keyVerifyTimeoutMs', async () => {
      mock.on('GET', '/v1/models', () => ({ status: 200, body: { data: [] } }), 1, 2_000);
      const started = Date.now();
      const e = (await caught(client.listModels('sk-virtualKEY0123456789abcdefgh'))) as LiteLLMTransportError;
      expect(e.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('aborts with the caller signal', async () => {
      mock.on('GET', '/team/info', () => ({ status: 200, body: TEAM_INFO }), 1, 2_000);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const started = Date.now();
      const e = (await caught(client.teamInfo('t1', { signal: ac.signal }))) as LiteLLMTransportError;
      expect(e.kind).toBe('aborted');
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('does not call at all with an aborted signal', async () => {
      const ac = new AbortController();
      ac.abort();
      const e = (await caught(client.teamInfo('t1', { signal: ac.signal }))) as LiteLLMTransportError;
      expect(e.kind).toBe('aborted');
      expect(mock.requests).toHaveLength(0);
    });
  });

  it('tells onCall the route and the outcome of every call (the metrics of LiteLLM calls)', async () => {
    const calls: [string, string][] = [];
    const observed = new LiteLLMClient(testConfig(), {
      dispatcher: mock.agent,
      onCall: (route, outcome) => calls.push([route, outcome]),
    });
    mock.on('GET', '/team/info', () => ({ status: 200, body: TEAM_INFO }));
    mock.on('GET', '/team/info', () => proxyError(404, 'Team not found'));
    mock.fail('GET', '/team/info', new undiciErrors.SocketError('other side closed'));
    await observed.teamInfo('t1');
    await caught(observed.teamInfo('t1'));
    await caught(observed.teamInfo('t1'));
    expect(calls).toEqual([
      ['/team/info', '200'],
      ['/team/info', '404'],
      ['/team/info', 'connection'],
    ]);
  });

  it('closes its own pool', async () => {
    const own = new LiteLLMClient(testConfig());
    await expect(own.close()).resolves.toBeUndefined();
  });
});

describe('parseErrorBody', () => {
  it.each([
    ['{"detail":"Assigning team admins is a premium feature."}', 'Assigning team admins is a premium feature.'],
    ['{"detail":{"error":"Team not found, passed team_id=t"}}', 'Team not found, passed team_id=t'],
    [
      '{"error":{"message":"{\'message\': \'Team not found, passed team id: t.\'}","type":"auth_error"}}',
      'Team not found, passed team id: t.',
    ],
    ['{"error":"plain"}', 'plain'],
    ['', '(empty body)'],
    ['{"something":"else"}', '{"something":"else"}'],
  ])('%s', (body, message) => {
    expect(parseErrorBody(body).message).toBe(message);
  });

  it('Python repr with double quotes', () => {
    const body = JSON.stringify({
      error: { message: `{'error': "Invalid key format. LiteLLM Virtual Key must start with 'sk-'."}`, type: 'x' },
    });
    expect(parseErrorBody(body).message).toBe("Invalid key format. LiteLLM Virtual Key must start with 'sk-'.");
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('answer predicates', () => {
  const http = (status: number, message: string, errorType?: string, param?: string) =>
    new LiteLLMHttpError({ status, route: '/x', message, errorType, param });

  it('already-exists signals', () => {
    expect(isTeamAlreadyExists(http(400, 'Organization not found for organization_id=o'))).toBe(false);
    expect(isAlreadyInTeam(http(400, 'whatever', 'team_member_already_in_team'))).toBe(true);
    expect(isAlreadyInTeam(http(500, 'User already in team'))).toBe(false);
    expect(isKeyAliasTaken(http(400, 'x', 'bad_request_error', 'key_alias'))).toBe(true);
    expect(
      isKeyAliasTaken(http(400, "Key with alias 'a' already exists. Unique key aliases across all keys are required."))
    ).toBe(true);
    expect(
      isUnknownKey(http(401, 'Authentication Error, Invalid proxy server token passed.', 'token_not_found_in_db'))
    ).toBe(true);
    expect(isUnknownKey(http(401, 'Authentication Error, No api key passed in.', 'auth_error'))).toBe(false);
    expect(isMemberAbsent(http(400, 'Team id=t does not exist in db'))).toBe(true);
    expect(isMemberAbsent(http(400, 'Assigning team admins is a premium feature'))).toBe(false);
    expect(isNoDatabase(http(400, 'x', 'no_db_connection'))).toBe(true);
    expect(isNoDatabase(http(500, 'No db connected'))).toBe(true);
  });
});
