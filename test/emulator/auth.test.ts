import { createHash } from 'node:crypto';

import { ADMIN, bearer, envelope, get, MASTER_KEY, post, useEmulator } from './helpers';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const authError = (message: string) => envelope(401, `Authentication Error, ${message}`, 'auth_error');

describe('authentication (reference §1.1)', () => {
  const ctx = useEmulator();

  describe('header precedence', () => {
    it.each([
      ['Authorization: Bearer', { authorization: `Bearer ${MASTER_KEY}` }],
      ['Authorization: bearer', { authorization: `bearer ${MASTER_KEY}` }],
      ['Authorization: Basic', { authorization: `Basic ${MASTER_KEY}` }],
      ['x-litellm-api-key bare', { 'x-litellm-api-key': MASTER_KEY }],
      ['x-litellm-api-key with Bearer', { 'x-litellm-api-key': `Bearer ${MASTER_KEY}` }],
      ['API-Key', { 'api-key': MASTER_KEY }],
      ['x-api-key', { 'x-api-key': MASTER_KEY }],
      ['x-goog-api-key', { 'x-goog-api-key': MASTER_KEY }],
      ['Ocp-Apim-Subscription-Key', { 'ocp-apim-subscription-key': MASTER_KEY }],
    ])('accepts the master key via %s', async (_name, headers) => {
      const reply = await get(ctx.emu, '/v1/models', headers);
      expect(reply.status).toBe(200);
    });

    it('rejects a missing key', async () => {
      const reply = await get(ctx.emu, '/v1/models', {});
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(authError('No api key passed in.'));
    });

    it('treats an empty header as absent', async () => {
      const reply = await get(ctx.emu, '/v1/models', { 'x-litellm-api-key': '' });
      expect(reply.body).toEqual(authError('No api key passed in.'));
    });

    it('rejects Authorization without the Bearer prefix as malformed', async () => {
      const reply = await get(ctx.emu, '/v1/models', { authorization: MASTER_KEY });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(authError('Malformed API Key passed in. Ensure Key has `Bearer ` prefix.'));
    });

    it('x-litellm-api-key wins over a malformed Authorization header', async () => {
      const reply = await get(ctx.emu, '/v1/models', { 'x-litellm-api-key': MASTER_KEY, authorization: 'garbage' });
      expect(reply.status).toBe(200);
    });

    it('a malformed Authorization header wins over x-goog-api-key', async () => {
      const reply = await get(ctx.emu, '/v1/models', { authorization: MASTER_KEY, 'x-goog-api-key': MASTER_KEY });
      expect(reply.body).toEqual(authError('Malformed API Key passed in. Ensure Key has `Bearer ` prefix.'));
    });

    it('x-goog-api-key must hold the bare key', async () => {
      const reply = await get(ctx.emu, '/v1/models', { 'x-goog-api-key': `Bearer ${MASTER_KEY}` });
      expect(reply.status).toBe(401);
      expect(reply.body.error.message).toBe(
        `Authentication Error, LiteLLM Virtual Key expected. Received=Bearer ${MASTER_KEY}, expected to start with 'sk-'.`
      );
    });
  });

  describe('key checks', () => {
    it('rejects a non-master key that does not start with sk-', async () => {
      const reply = await get(ctx.emu, '/v1/models', bearer('not-a-key'));
      expect(reply.body).toEqual(
        authError("LiteLLM Virtual Key expected. Received=not-a-key, expected to start with 'sk-'.")
      );
    });

    it('rejects a near-miss of the master key', async () => {
      expect((await get(ctx.emu, '/v1/models', bearer(`${MASTER_KEY}x`))).status).toBe(401);
    });

    it('reports an unknown sk- key with its hash and last 4 characters', async () => {
      const key = 'sk-does-not-exist-wxyz';
      const reply = await get(ctx.emu, '/v1/models', bearer(key));
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(
        envelope(
          401,
          `Authentication Error, Invalid proxy server token passed. Received API Key = sk-...wxyz, Key Hash (Token) =${sha256(key)}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
          'token_not_found_in_db',
          'key'
        )
      );
    });

    it('does not accept a key hash as a bearer token', async () => {
      const { token } = ctx.emu.seed.key({});
      const reply = await get(ctx.emu, '/v1/models', bearer(token));
      expect(reply.body.error.message).toContain('LiteLLM Virtual Key expected');
    });

    it('rejects a blocked key', async () => {
      const { key } = ctx.emu.seed.key({ blocked: true });
      const reply = await get(ctx.emu, '/v1/models', bearer(key));
      expect(reply.body).toEqual(authError("Key is blocked. Update via `/key/unblock` if you're admin."));
    });

    it('rejects an expired key with 400 expired_key', async () => {
      const generated = await post(ctx.emu, '/key/generate', { duration: '0s' });
      await new Promise((r) => setTimeout(r, 5));
      const reply = await get(ctx.emu, '/v1/models', bearer(generated.body.key));
      expect(reply.status).toBe(400);
      expect(reply.body.error.type).toBe('expired_key');
      expect(reply.body.error.param).toBe(generated.body.token);
      expect(reply.body.error.message).toMatch(
        /^Authentication Error - Expired Key\. Key Expiry time \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00 and current time /
      );
    });

    it('rejects keys of a blocked team', async () => {
      ctx.emu.seed.team({ team_id: 't-blocked', blocked: true });
      const { key } = ctx.emu.seed.key({ team_id: 't-blocked' });
      const reply = await get(ctx.emu, '/v1/models', bearer(key));
      expect(reply.body).toEqual(authError('Team=t-blocked is blocked. Update via `/team/unblock` if your admin.'));
    });
  });

  describe('admin-only routes', () => {
    it('refuses a virtual key with the role and masked user id', async () => {
      ctx.emu.seed.user({ user_id: 'user-123456', user_role: 'internal_user' });
      const { key } = ctx.emu.seed.key({ user_id: 'user-123456' });
      const reply = await post(ctx.emu, '/team/new', { team_id: 't1' }, bearer(key));
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(
        authError(
          'Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=/team/new. Your role=internal_user. Your user_id=user-1***56'
        )
      );
      expect(ctx.emu.snapshot().teams).toEqual([]);
    });

    it('reports role and user id as unknown for a key without a user', async () => {
      const { key } = ctx.emu.seed.key({});
      const reply = await post(ctx.emu, '/key/generate', {}, bearer(key));
      expect(reply.body.error.message).toMatch(/Route=\/key\/generate\. Your role=unknown\. Your user_id=unknown$/);
    });

    it("lets a proxy_admin user's virtual key act as admin", async () => {
      ctx.emu.seed.user({ user_id: 'boss', user_role: 'proxy_admin' });
      const { key } = ctx.emu.seed.key({ user_id: 'boss' });
      const reply = await post(ctx.emu, '/team/new', { team_id: 't-boss' }, bearer(key));
      expect(reply.status).toBe(200);
      expect(reply.body.members_with_roles).toEqual([{ user_id: 'boss', user_email: null, role: 'admin' }]);
    });

    it('lets a virtual key read its own key info but not another user', async () => {
      const own = ctx.emu.seed.key({ user_id: 'u1' });
      const other = ctx.emu.seed.key({ user_id: 'u2' });
      expect((await get(ctx.emu, '/key/info', bearer(own.key))).status).toBe(200);
      const denied = await get(ctx.emu, `/key/info?key=${other.key}`, bearer(own.key));
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toBe("You are not allowed to access this key's info. Your role=internal_user");
    });

    it("refuses /user/info for someone else's user_id", async () => {
      const { key } = ctx.emu.seed.key({ user_id: 'u1' });
      const reply = await get(ctx.emu, '/user/info?user_id=u2', bearer(key));
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual(
        envelope(403, "key not allowed to access this user's info. user_id=u2, key's user_id=u1", 'auth_error')
      );
    });

    it('lets team members read /team/info and refuses outsiders', async () => {
      ctx.emu.seed.team({ team_id: 't1', members: [{ user_id: 'member', role: 'user' }] });
      const member = ctx.emu.seed.key({ user_id: 'member' });
      const outsider = ctx.emu.seed.key({ user_id: 'outsider' });
      expect((await get(ctx.emu, '/team/info?team_id=t1', bearer(member.key))).status).toBe(200);
      const reply = await get(ctx.emu, '/team/info?team_id=t1', bearer(outsider.key));
      expect(reply.body).toEqual(
        envelope(403, "{'error': 'User=outsider not authorized to access this team=t1'}", 'auth_error')
      );
    });
  });
});

describe('/v1/models with a virtual key (reference §4.6)', () => {
  const ctx = useEmulator({ models: ['m-a', 'm-b'] });
  const modelIds = (body: { data: Array<{ id: string }> }): string[] => body.data.map((m) => m.id);

  it('lists every proxy model for the master key, in the OpenAI shape', async () => {
    const reply = await get(ctx.emu, '/v1/models', ADMIN);
    expect(reply.body).toEqual({
      data: [
        { id: 'm-a', object: 'model', created: 1677610602, owned_by: 'openai' },
        { id: 'm-b', object: 'model', created: 1677610602, owned_by: 'openai' },
      ],
      object: 'list',
    });
  });

  it('serves /models too', async () => {
    expect((await get(ctx.emu, '/models', ADMIN)).status).toBe(200);
  });

  it("uses the key's models, else the team's, else the proxy's", async () => {
    ctx.emu.seed.team({ team_id: 't1', models: ['team-model'] });
    const keyModels = ctx.emu.seed.key({ team_id: 't1', models: ['key-model'] });
    const teamModels = ctx.emu.seed.key({ team_id: 't1' });
    const plain = ctx.emu.seed.key({});
    expect(modelIds((await get(ctx.emu, '/v1/models', bearer(keyModels.key))).body)).toEqual(['key-model']);
    expect(modelIds((await get(ctx.emu, '/v1/models', bearer(teamModels.key))).body)).toEqual(['team-model']);
    expect(modelIds((await get(ctx.emu, '/v1/models', bearer(plain.key))).body)).toEqual(['m-a', 'm-b']);
  });

  describe('budget checks (reference §5)', () => {
    const exceeded = (message: string) => envelope(400, message, 'budget_exceeded', null);

    it('blocks a key whose spend reached its budget (>=)', async () => {
      const { key } = ctx.emu.seed.key({ max_budget: 5, spend: 5 });
      const reply = await get(ctx.emu, '/v1/models', bearer(key));
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual(exceeded('Budget has been exceeded! Current cost: 5.0, Max budget: 5.0'));
    });

    it('blocks a key with budget 0 immediately', async () => {
      const { key } = ctx.emu.seed.key({ max_budget: 0 });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).body).toEqual(
        exceeded('Budget has been exceeded! Current cost: 0.0, Max budget: 0.0')
      );
    });

    it('passes a key under budget and a key with a null budget', async () => {
      const under = ctx.emu.seed.key({ max_budget: 5, spend: 4.99 });
      const unlimited = ctx.emu.seed.key({ max_budget: null, spend: 1e6 });
      expect((await get(ctx.emu, '/v1/models', bearer(under.key))).status).toBe(200);
      expect((await get(ctx.emu, '/v1/models', bearer(unlimited.key))).status).toBe(200);
    });

    it('blocks a team only when spend is above its budget (>)', async () => {
      ctx.emu.seed.team({ team_id: 't1', max_budget: 10, spend: 10 });
      const { key } = ctx.emu.seed.key({ team_id: 't1' });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).status).toBe(200);
      ctx.emu.seed.spend({ team_id: 't1', amount: 10.5 });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).body).toEqual(
        exceeded('Budget has been exceeded! Team=t1 Current cost: 10.5, Max budget: 10.0')
      );
    });

    it('lets a team with budget 0 through until it has spent something', async () => {
      ctx.emu.seed.team({ team_id: 't0', max_budget: 0 });
      const { key } = ctx.emu.seed.key({ team_id: 't0' });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).status).toBe(200);
      ctx.emu.seed.spend({ team_id: 't0', amount: 0.01 });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).status).toBe(400);
    });

    it("checks the user's personal budget for keys without a team", async () => {
      ctx.emu.seed.user({ user_id: 'u1', max_budget: 10, spend: 11 });
      const personal = ctx.emu.seed.key({ user_id: 'u1' });
      expect((await get(ctx.emu, '/v1/models', bearer(personal.key))).body).toEqual(
        exceeded('ExceededBudget: User=u1 over budget. Spend=11.0, Budget=10.0')
      );
      ctx.emu.seed.team({ team_id: 't1' });
      const teamKey = ctx.emu.seed.key({ user_id: 'u1', team_id: 't1' });
      expect((await get(ctx.emu, '/v1/models', bearer(teamKey.key))).status).toBe(200);
    });

    it('enforces a team-member budget only when it is above 0', async () => {
      ctx.emu.seed.team({ team_id: 't1' });
      ctx.emu.seed.membership({ user_id: 'u1', team_id: 't1', max_budget_in_team: 5, spend: 6 });
      const { key } = ctx.emu.seed.key({ user_id: 'u1', team_id: 't1' });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).body).toEqual(
        exceeded('Budget has been exceeded! Current cost: 6.0, Max budget: 5.0')
      );
      ctx.emu.seed.membership({ user_id: 'u1', team_id: 't1', max_budget_in_team: 0 });
      expect((await get(ctx.emu, '/v1/models', bearer(key))).status).toBe(200);
    });
  });
});

describe('custom auth header (general_settings.litellm_key_header_name)', () => {
  const ctx = useEmulator({ customAuthHeader: 'X-Proxy-Auth' });

  it('reads only the custom header, which needs Bearer', async () => {
    expect((await get(ctx.emu, '/v1/models', { 'x-proxy-auth': `Bearer ${MASTER_KEY}` })).status).toBe(200);
    const bare = await get(ctx.emu, '/v1/models', { 'x-proxy-auth': MASTER_KEY });
    expect(bare.body).toEqual(authError('Malformed API Key passed in. Ensure Key has `Bearer ` prefix.'));
  });

  it('ignores the standard headers when a custom header is configured', async () => {
    const reply = await get(ctx.emu, '/v1/models', ADMIN);
    expect(reply.status).toBe(401);
    expect(reply.body.error.message).toContain('Malformed API Key');
  });
});
