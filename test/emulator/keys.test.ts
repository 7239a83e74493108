import { createHash } from 'node:crypto';

import { envelope, get, post, useEmulator } from './helpers';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('/key/* (reference §4.1–4.5)', () => {
  const ctx = useEmulator();
  const snapshot = () => ctx.emu.snapshot();

  describe('POST /key/generate', () => {
    it('mints sk- + 22 url-safe characters; token and token_id are its sha256', async () => {
      const reply = await post(ctx.emu, '/key/generate', {
        user_id: 'u1',
        team_id: 't1',
        key_alias: 'a1',
        models: [],
        metadata: { k: 1 },
      });
      expect(reply.status).toBe(200);
      const { key } = reply.body;
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{22}$/);
      expect(reply.body).toMatchObject({
        token: sha256(key),
        token_id: sha256(key),
        key_name: `sk-...${(key as string).slice(-4)}`,
        key_alias: 'a1',
        user_id: 'u1',
        team_id: 't1',
        max_budget: null,
        spend: 0,
        metadata: { k: 1 },
        expires: null,
        created_by: 'default_user_id',
      });
      expect(snapshot().keys).toEqual([
        {
          token: sha256(key),
          key_alias: 'a1',
          user_id: 'u1',
          team_id: 't1',
          max_budget: null,
          spend: 0,
          metadata: { k: 1 },
          models: [],
          blocked: null,
        },
      ]);
    });

    it('does not check that the team or user exist, and creates no user', async () => {
      await post(ctx.emu, '/key/generate', { user_id: 'ghost', team_id: 'nowhere' });
      expect(snapshot().users).toEqual([]);
      expect(snapshot().teams).toEqual([]);
    });

    it('accepts a custom sk- key and refuses any other format', async () => {
      const ok = await post(ctx.emu, '/key/generate', { key: 'sk-custom-key-0001' });
      expect(ok.body.key).toBe('sk-custom-key-0001');
      const bad = await post(ctx.emu, '/key/generate', { key: 'custom-key' });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual(
        envelope(
          400,
          `{'error': "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: custom-key"}`,
          'internal_server_error'
        )
      );
    });

    it('rejects a duplicate alias with bad_request_error on key_alias', async () => {
      await post(ctx.emu, '/key/generate', { key_alias: 'dup' });
      const reply = await post(ctx.emu, '/key/generate', { key_alias: 'dup' });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual(
        envelope(
          400,
          "Key with alias 'dup' already exists. Unique key aliases across all keys are required.",
          'bad_request_error',
          'key_alias'
        )
      );
    });

    it('upserts the same custom key without an alias: 200, stored row untouched, request echoed', async () => {
      await post(ctx.emu, '/key/generate', { key: 'sk-same-key-000001', spend: 2 });
      const before = snapshot();
      const reply = await post(ctx.emu, '/key/generate', { key: 'sk-same-key-000001', spend: 9, max_budget: 1 });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ spend: 9, max_budget: 1, token: sha256('sk-same-key-000001') });
      expect(snapshot()).toEqual(before);
    });

    it('sets expires from duration', async () => {
      const reply = await post(ctx.emu, '/key/generate', { duration: '1h' });
      const expires = Date.parse(reply.body.expires);
      expect(expires - Date.now()).toBeGreaterThan(3500_000);
    });

    it('answers 500 for an unparseable duration', async () => {
      const reply = await post(ctx.emu, '/key/generate', { duration: 'soon' });
      expect(reply.body).toEqual(
        envelope(500, 'Internal Server Error, Invalid duration format', 'internal_server_error')
      );
    });

    it('refuses premium-only fields', async () => {
      const reply = await post(ctx.emu, '/key/generate', { tags: ['x'] });
      expect(reply.status).toBe(403);
      expect(snapshot().keys).toEqual([]);
    });
  });

  describe('POST /key/update', () => {
    it('answers 401 auth_error for an unknown key, quoting the key as sent', async () => {
      const reply = await post(ctx.emu, '/key/update', { key: 'sk-unknown-key-9999', max_budget: 1 });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(
        envelope(
          401,
          'Authentication Error: invalid user key - user key does not exist in db. User Key=sk-unknown-key-9999',
          'auth_error'
        )
      );
    });

    it('accepts the plaintext or the hash and answers the key as sent plus the row', async () => {
      const { key, token } = ctx.emu.seed.key({ max_budget: 5 });
      const byKey = await post(ctx.emu, '/key/update', { key, max_budget: 6 });
      expect(byKey.body).toMatchObject({ key, token, max_budget: 6 });
      const byHash = await post(ctx.emu, '/key/update', { key: token, max_budget: 7 });
      expect(byHash.body).toMatchObject({ key: token, token, max_budget: 7 });
    });

    it('clears max_budget on explicit null, replaces metadata, keeps metadata when not sent', async () => {
      const { key } = ctx.emu.seed.key({ max_budget: 5, metadata: { a: 1 } });
      await post(ctx.emu, '/key/update', { key, key_alias: 'renamed' });
      expect(snapshot().keys[0]).toMatchObject({ max_budget: 5, metadata: { a: 1 }, key_alias: 'renamed' });
      await post(ctx.emu, '/key/update', { key, max_budget: null, metadata: { b: 2 } });
      expect(snapshot().keys[0]).toMatchObject({ max_budget: null, metadata: { b: 2 } });
    });

    it('rejects an alias used by another key but not its own alias', async () => {
      ctx.emu.seed.key({ key_alias: 'taken' });
      const mine = ctx.emu.seed.key({ key_alias: 'mine' });
      expect((await post(ctx.emu, '/key/update', { key: mine.key, key_alias: 'mine' })).status).toBe(200);
      const reply = await post(ctx.emu, '/key/update', { key: mine.key, key_alias: 'taken' });
      expect(reply.status).toBe(400);
      expect(reply.body.error.param).toBe('key_alias');
    });

    describe('moving a key to another team', () => {
      beforeEach(() => {
        ctx.emu.seed.team({ team_id: 'old' });
        ctx.emu.seed.team({ team_id: 'new', models: ['gpt-4o-mini'], members: [{ user_id: 'u1', role: 'user' }] });
      });

      it('moves the key when the user is a member and the models are allowed', async () => {
        const { key } = ctx.emu.seed.key({ user_id: 'u1', team_id: 'old', models: ['gpt-4o-mini'] });
        const reply = await post(ctx.emu, '/key/update', { key, team_id: 'new' });
        expect(reply.status).toBe(200);
        expect(snapshot().keys[0]?.team_id).toBe('new');
      });

      it('answers 404 when the target team does not exist', async () => {
        const { key } = ctx.emu.seed.key({ user_id: 'u1', team_id: 'old' });
        const reply = await post(ctx.emu, '/key/update', { key, team_id: 'missing' });
        expect(reply.status).toBe(404);
        expect(reply.body).toEqual(
          envelope(
            404,
            `{'error': "Team doesn't exist in db. Team=missing. Create team via \`/team/new\` call."}`,
            'auth_error'
          )
        );
      });

      it("answers 403 when the key's user is not a member of the new team", async () => {
        const { key } = ctx.emu.seed.key({ user_id: 'u2', team_id: 'old' });
        const reply = await post(ctx.emu, '/key/update', { key, team_id: 'new' });
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual(
          envelope(403, 'User=u2 is not a member of the team=new. Check team members via `/team/info`.', 'auth_error')
        );
        expect(snapshot().keys[0]?.team_id).toBe('old');
      });

      it("answers 401 when the key's models are not allowed in the team ([] would allow all)", async () => {
        const { key } = ctx.emu.seed.key({ user_id: 'u1', team_id: 'old', models: ['claude-sonnet-4'] });
        const reply = await post(ctx.emu, '/key/update', { key, team_id: 'new' });
        expect(reply.body).toEqual(
          envelope(
            401,
            "team not allowed to access model. This team can only access models=['gpt-4o-mini']. Tried to access claude-sonnet-4",
            'team_model_access_denied',
            'model'
          )
        );
        expect((await post(ctx.emu, '/key/update', { key, team_id: 'old' })).status).toBe(200);
      });

      it("answers 403 when the key's tpm_limit is above the team's", async () => {
        ctx.emu.seed.team({ team_id: 'small', models: [] });
        await post(ctx.emu, '/team/update', { team_id: 'small', tpm_limit: 10 });
        const { key, token } = ctx.emu.seed.key({});
        await post(ctx.emu, '/key/update', { key, tpm_limit: 50 });
        const reply = await post(ctx.emu, '/key/update', { key, team_id: 'small' });
        expect(reply.body).toEqual(
          envelope(403, `Key=${token} has a tpm_limit=50 which is greater than the team's tpm_limit=10.`, 'auth_error')
        );
      });

      it('lets a key without a user_id move freely', async () => {
        const { key } = ctx.emu.seed.key({ team_id: 'old' });
        expect((await post(ctx.emu, '/key/update', { key, team_id: 'new' })).status).toBe(200);
      });
    });
  });

  describe('POST /key/delete', () => {
    it('answers 404 "No keys found" when none of the keys exist', async () => {
      const reply = await post(ctx.emu, '/key/delete', { keys: ['sk-nope-000000000'] });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(envelope(404, "{'error': 'No keys found'}", 'internal_server_error'));
    });

    it('deletes the keys that exist and echoes the list as sent', async () => {
      const a = ctx.emu.seed.key({});
      const b = ctx.emu.seed.key({});
      const reply = await post(ctx.emu, '/key/delete', { keys: [a.key, b.token, 'sk-missing-0000000'] });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ deleted_keys: [a.key, b.token, 'sk-missing-0000000'] });
      expect(snapshot().keys).toEqual([]);
    });

    it('deletes by alias, and prefers keys when both lists are sent', async () => {
      const aliased = ctx.emu.seed.key({ key_alias: 'x' });
      const other = ctx.emu.seed.key({ key_alias: 'y' });
      const reply = await post(ctx.emu, '/key/delete', { key_aliases: ['x'] });
      expect(reply.body).toEqual({ deleted_keys: ['x'] });
      expect(snapshot().keys.map((k) => k.token)).toEqual([other.token]);
      await post(ctx.emu, '/key/delete', { keys: [other.key], key_aliases: ['zzz'] });
      expect(snapshot().keys).toEqual([]);
      expect(aliased.token).not.toBe(other.token);
    });
  });

  describe('GET /key/list', () => {
    it('returns hashed tokens, newest first, with paging totals', async () => {
      const tokens = [1, 2, 3].map(() => ctx.emu.seed.key({ user_id: 'u1' }).token);
      const reply = await get(ctx.emu, '/key/list?user_id=u1&size=2');
      expect(reply.body).toEqual({ keys: [tokens[2], tokens[1]], total_count: 3, current_page: 1, total_pages: 2 });
      const page2 = await get(ctx.emu, '/key/list?user_id=u1&size=2&page=2');
      expect(page2.body.keys).toEqual([tokens[0]]);
    });

    it('filters by user_id, team_id and key_alias', async () => {
      const a = ctx.emu.seed.key({ user_id: 'u1', team_id: 't1', key_alias: 'a' });
      ctx.emu.seed.key({ user_id: 'u2', team_id: 't1', key_alias: 'b' });
      ctx.emu.seed.key({ user_id: 'u1', team_id: 't2' });
      expect((await get(ctx.emu, '/key/list?team_id=t1')).body.total_count).toBe(2);
      expect((await get(ctx.emu, '/key/list?user_id=u1&team_id=t1')).body.keys).toEqual([a.token]);
      expect((await get(ctx.emu, '/key/list?key_alias=a')).body.keys).toEqual([a.token]);
    });

    it('returns full objects with return_full_object=true', async () => {
      const { token } = ctx.emu.seed.key({ key_alias: 'full', metadata: { m: 1 } });
      const reply = await get(ctx.emu, '/key/list?return_full_object=true');
      expect(reply.body.keys).toEqual([expect.objectContaining({ token, key_alias: 'full', metadata: { m: 1 } })]);
    });

    it.each(['size=0', 'size=101', 'page=0', 'size=abc'])('answers 422 for %s', async (query) => {
      const reply = await get(ctx.emu, `/key/list?${query}`);
      expect(reply.status).toBe(422);
      expect(reply.body.detail[0].loc[0]).toBe('query');
    });

    it('answers 400 for an unknown sort column', async () => {
      const reply = await get(ctx.emu, '/key/list?sort_by=owner');
      expect(reply.body).toEqual(
        envelope(
          400,
          "{'error': 'Invalid sort column. Must be one of: spend, max_budget, created_at, updated_at, token, key_alias'}",
          'internal_server_error'
        )
      );
    });

    it('always leaves out UI session keys (team litellm-dashboard)', async () => {
      ctx.emu.seed.key({ team_id: 'litellm-dashboard' });
      const { token } = ctx.emu.seed.key({});
      expect((await get(ctx.emu, '/key/list')).body).toMatchObject({ keys: [token], total_count: 1 });
    });

    it('sorts by spend ascending', async () => {
      const high = ctx.emu.seed.key({ spend: 9 });
      const low = ctx.emu.seed.key({ spend: 1 });
      expect((await get(ctx.emu, '/key/list?sort_by=spend&sort_order=asc')).body.keys).toEqual([low.token, high.token]);
    });
  });

  describe('GET /key/info', () => {
    it('accepts the plaintext or the hash, echoes key as sent, and hides the token', async () => {
      const { key, token } = ctx.emu.seed.key({ key_alias: 'info', max_budget: 3, spend: 1 });
      const byKey = await get(ctx.emu, `/key/info?key=${key}`);
      expect(byKey.status).toBe(200);
      expect(byKey.body.key).toBe(key);
      expect(byKey.body.info).toMatchObject({ key_alias: 'info', max_budget: 3, spend: 1 });
      expect(byKey.body.info).not.toHaveProperty('token');
      expect((await get(ctx.emu, `/key/info?key=${token}`)).body.key).toBe(token);
    });

    it("falls back to the caller's own key, which for the master key is not a virtual key (404)", async () => {
      expect((await get(ctx.emu, '/key/info')).status).toBe(404);
    });

    it('answers 404 not_found_error for an unknown key', async () => {
      const reply = await get(ctx.emu, '/key/info?key=sk-unknown-0000000');
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(envelope(404, 'Key not found in database', 'not_found_error', 'key'));
    });
  });
});

describe('a proxy without models (no llm_router)', () => {
  const ctx = useEmulator({ models: [] });

  it('refuses to move a key to another team', async () => {
    ctx.emu.seed.team({ team_id: 't1' });
    const { key } = ctx.emu.seed.key({});
    const reply = await post(ctx.emu, '/key/update', { key, team_id: 't1' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(
      envelope(
        400,
        "{'error': 'LLM router not found. Please set it up by passing in a valid config.yaml or adding models via the UI.'}",
        'auth_error'
      )
    );
  });

  it('lists no models', async () => {
    expect((await get(ctx.emu, '/v1/models')).body).toEqual({ data: [], object: 'list' });
  });
});
