import { envelope, get, post, useEmulator } from './helpers';

describe('/user/* (reference §3)', () => {
  const ctx = useEmulator();
  const snapshot = () => ctx.emu.snapshot();

  describe('POST /user/new', () => {
    it('creates the user (user_role left null) and mints a key carrying the metadata but not the budget', async () => {
      const reply = await post(ctx.emu, '/user/new', {
        user_id: 'u1',
        user_email: 'u1@x.io',
        max_budget: 20,
        metadata: { version: 4 },
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        user_id: 'u1',
        user_email: 'u1@x.io',
        max_budget: 20,
        teams: null,
        token: null,
      });
      expect(reply.body.key).toMatch(/^sk-[A-Za-z0-9_-]{22}$/);
      const state = snapshot();
      expect(state.users).toEqual([
        {
          user_id: 'u1',
          user_email: 'u1@x.io',
          max_budget: 20,
          spend: 0,
          teams: [],
          metadata: { version: 4 },
          models: [],
          user_role: null,
        },
      ]);
      expect(state.keys).toEqual([
        expect.objectContaining({ user_id: 'u1', team_id: null, max_budget: null, metadata: { version: 4 } }),
      ]);
    });

    it('answers key "" and creates no key when auto_create_key is false', async () => {
      const reply = await post(ctx.emu, '/user/new', { user_id: 'u1', auto_create_key: false });
      expect(reply.body.key).toBe('');
      expect(snapshot().keys).toEqual([]);
    });

    it('generates a uuid user_id when none is given', async () => {
      const reply = await post(ctx.emu, '/user/new', { auto_create_key: false });
      expect(reply.body.user_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('rejects a duplicate email case-insensitively and trimmed, quoting the stored email', async () => {
      await post(ctx.emu, '/user/new', { user_id: 'u1', user_email: 'Ann@X.io', auto_create_key: false });
      const reply = await post(ctx.emu, '/user/new', {
        user_id: 'u2',
        user_email: '  ann@x.IO ',
        auto_create_key: false,
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual(
        envelope(400, "{'error': 'User with email Ann@X.io already exists'}", 'internal_server_error')
      );
      expect(snapshot().users.map((u) => u.user_id)).toEqual(['u1']);
    });

    it('joins the teams listed (unknown teams and admin roles swallowed), ignoring max_budget_in_team', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/team/new', { team_id: 't2' });
      const reply = await post(ctx.emu, '/user/new', {
        user_id: 'u1',
        auto_create_key: false,
        teams: [
          { team_id: 't1', max_budget_in_team: 5 },
          { team_id: 't2', user_role: 'admin' },
          { team_id: 'missing' },
        ],
      });
      expect(reply.status).toBe(200);
      expect(reply.body.teams).toBeNull();
      expect(snapshot().users.find((u) => u.user_id === 'u1')?.teams).toEqual(['t1']);
      expect(snapshot().memberships).toEqual([]);
    });

    it('joins team_id and creates the key in that team', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/user/new', { user_id: 'u1', user_email: 'u1@x.io', team_id: 't1' });
      const state = snapshot();
      expect(state.teams[0]?.members_with_roles).toContainEqual({ user_id: 'u1', user_email: 'u1@x.io', role: 'user' });
      expect(state.keys[0]).toMatchObject({ user_id: 'u1', team_id: 't1' });
    });
  });

  describe('GET /user/info', () => {
    it('returns the user row, keys (hashed token, team_alias) and teams sorted by alias', async () => {
      await post(ctx.emu, '/team/new', { team_id: 'tb', team_alias: 'Bravo' });
      await post(ctx.emu, '/team/new', { team_id: 'ta', team_alias: 'Alpha' });
      await post(ctx.emu, '/user/new', { user_id: 'u1', auto_create_key: false, teams: ['tb', 'ta'] });
      const teamKey = await post(ctx.emu, '/key/generate', { user_id: 'u1', team_id: 'tb' });
      const loneKey = await post(ctx.emu, '/key/generate', { user_id: 'u1' });
      const reply = await get(ctx.emu, '/user/info?user_id=u1');
      expect(reply.status).toBe(200);
      expect(reply.body.user_id).toBe('u1');
      expect(reply.body.user_info).toMatchObject({
        user_id: 'u1',
        teams: ['tb', 'ta'],
        spend: 0,
        organization_memberships: [],
      });
      expect(reply.body.keys).toEqual([
        expect.objectContaining({ token: teamKey.body.token, team_alias: 'Bravo' }),
        expect.objectContaining({ token: loneKey.body.token, team_alias: 'None' }),
      ]);
      expect((reply.body.teams as Array<{ team_alias: string }>).map((t) => t.team_alias)).toEqual(['Alpha', 'Bravo']);
      expect(reply.body.teams[0]).toHaveProperty('team_memberships');
    });

    it('also lists teams named only in the user row', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      ctx.emu.seed.user({ user_id: 'u1', teams: ['t1'] });
      const reply = await get(ctx.emu, '/user/info?user_id=u1');
      expect((reply.body.teams as Array<{ team_id: string }>).map((t) => t.team_id)).toEqual(['t1']);
    });

    it('answers 404 with a plain-string message for an unknown user', async () => {
      const reply = await get(ctx.emu, '/user/info?user_id=nobody');
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(envelope(404, 'User nobody not found', 'internal_server_error'));
    });

    it('lists every key and team for the master key without user_id', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/key/generate', {});
      const reply = await get(ctx.emu, '/user/info');
      expect(reply.body.user_id).toBeNull();
      expect(reply.body.user_info).toBeNull();
      expect(reply.body.keys).toHaveLength(1);
      expect(reply.body.teams).toHaveLength(1);
    });

    it("keeps a '+' in the user_id", async () => {
      ctx.emu.seed.user({ user_id: 'a+b' });
      const reply = await get(ctx.emu, '/user/info?user_id=a+b');
      expect(reply.body.user_id).toBe('a+b');
    });
  });

  describe('GET /user/list?user_ids=', () => {
    it('matches each comma-separated part as an unescaped ILIKE substring pattern; key_count of the listed rows', async () => {
      for (const id of ['probe-u1', 'probe-u2', 'other']) {
        await post(ctx.emu, '/user/new', { user_id: id, auto_create_key: id === 'probe-u1' });
      }
      const ids = async (query: string) => {
        const reply = await get(ctx.emu, `/user/list?${query}`);
        expect(reply.status).toBe(200);
        return (reply.body.users as Array<{ user_id: string }>).map((u) => u.user_id).sort();
      };
      await expect(ids('user_ids=probe-u1')).resolves.toEqual(['probe-u1']);
      await expect(ids('user_ids=PROBE-U')).resolves.toEqual(['probe-u1', 'probe-u2']);
      await expect(ids('user_ids=u2,OTH')).resolves.toEqual(['other', 'probe-u2']);
      await expect(ids('user_ids=nobody')).resolves.toEqual([]);
      // ILIKE, unescaped, as both real proxies: `%` and `_` are wildcards, a backslash escapes the next character.
      await post(ctx.emu, '/user/new', { user_id: 'odd\\back', auto_create_key: false });
      await post(ctx.emu, '/user/new', { user_id: 'oddback', auto_create_key: false });
      await expect(ids('user_ids=probe%251')).resolves.toEqual(['probe-u1']);
      await expect(ids('user_ids=probe_u2')).resolves.toEqual(['probe-u2']);
      await expect(ids('user_ids=odd%5Cback')).resolves.toEqual(['oddback']);
      await expect(ids('user_ids=odd%5C%5Cback')).resolves.toEqual(['odd\\back']);
      await expect(ids('user_ids=odd%5C')).resolves.toEqual([]);
      const one = await get(ctx.emu, '/user/list?user_ids=probe-u1');
      expect(one.body).toMatchObject({ total: 1, total_pages: 1, users: [{ user_id: 'probe-u1', key_count: 1 }] });
    });
  });

  describe('POST /user/update', () => {
    beforeEach(() => {
      ctx.emu.seed.user({
        user_id: 'u1',
        user_email: 'u1@x.io',
        max_budget: 10,
        spend: 3,
        models: ['m'],
        metadata: { a: 1 },
      });
    });

    it('updates the fields sent and answers {user_id, data}', async () => {
      const reply = await post(ctx.emu, '/user/update', { user_id: 'u1', max_budget: 1e9, spend: 0 });
      expect(reply.status).toBe(200);
      expect(reply.body.user_id).toBe('u1');
      expect(reply.body.data).toMatchObject({ max_budget: 1e9, spend: 0 });
    });

    it('drops null, [] and {}: max_budget cannot be cleared, models not emptied, metadata kept', async () => {
      await post(ctx.emu, '/user/update', { user_id: 'u1', max_budget: null, models: [], metadata: {} });
      expect(snapshot().users[0]).toMatchObject({ max_budget: 10, models: ['m'], metadata: { a: 1 } });
    });

    it('replaces a non-empty metadata', async () => {
      await post(ctx.emu, '/user/update', { user_id: 'u1', metadata: { b: 2 } });
      expect(snapshot().users[0]?.metadata).toEqual({ b: 2 });
    });

    it('creates an unknown user_id with just the fields sent', async () => {
      const reply = await post(ctx.emu, '/user/update', { user_id: 'fresh', max_budget: 4 });
      expect(reply.status).toBe(200);
      expect(snapshot().users.find((u) => u.user_id === 'fresh')).toEqual({
        user_id: 'fresh',
        user_email: null,
        max_budget: 4,
        spend: 0,
        teams: [],
        metadata: {},
        models: [],
        user_role: null,
      });
    });

    it('updates by user_email when no user_id is given', async () => {
      await post(ctx.emu, '/user/update', { user_email: 'u1@x.io', max_budget: 99 });
      expect(snapshot().users[0]?.max_budget).toBe(99);
    });

    it('fails with a 400 auth_error for key-only fields (not user columns)', async () => {
      const reply = await post(ctx.emu, '/user/update', { user_id: 'u1', key_alias: 'nope' });
      expect(reply.status).toBe(400);
      expect(reply.body.error.type).toBe('auth_error');
      expect(reply.body.error.message).toMatch(/^Authentication Error, .*key_alias/);
    });
  });

  describe('POST /user/delete', () => {
    it('answers a bare integer and removes the user everywhere', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', role: 'user' },
        max_budget_in_team: 5,
      });
      await post(ctx.emu, '/key/generate', { user_id: 'u1', team_id: 't1' });
      const reply = await post(ctx.emu, '/user/delete', { user_ids: ['u1'] });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(1);
      const state = snapshot();
      expect(state.users.map((u) => u.user_id)).toEqual(['default_user_id']);
      expect(state.keys).toEqual([]);
      expect(state.memberships).toEqual([]);
      expect(state.teams[0]?.members_with_roles.map((m) => m.user_id)).toEqual(['default_user_id']);
    });

    it('answers 404 FastAPI shape for an unknown id, after cleaning up the teams of earlier ids', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
      const reply = await post(ctx.emu, '/user/delete', { user_ids: ['u1', 'ghost'] });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ detail: { error: 'User not found, passed user_id=ghost' } });
      const state = snapshot();
      expect(state.users.map((u) => u.user_id)).toContain('u1');
      expect(state.teams[0]?.members_with_roles.map((m) => m.user_id)).toEqual(['default_user_id']);
    });
  });
});
