import { envelope, get, post, useEmulator } from './helpers';

const PREMIUM =
  'You must be a LiteLLM Enterprise user to use this feature. If you have a license please set `LITELLM_LICENSE` in your env. Get a 7 day trial key here: https://www.litellm.ai/enterprise#trial. \nPricing: https://www.litellm.ai/#pricing';

describe('/team/* (reference §2)', () => {
  const ctx = useEmulator();
  const snapshot = () => ctx.emu.snapshot();

  describe('POST /team/new', () => {
    it('creates the team, adds the caller default_user_id as admin and upserts its user row', async () => {
      const reply = await post(ctx.emu, '/team/new', {
        team_id: 't1',
        team_alias: 'Team One',
        models: [],
        metadata: { v: 4 },
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        team_id: 't1',
        team_alias: 'Team One',
        max_budget: null,
        spend: 0,
        blocked: false,
        metadata: { v: 4 },
        members_with_roles: [{ user_id: 'default_user_id', user_email: null, role: 'admin' }],
      });
      expect(snapshot().users).toEqual([
        {
          user_id: 'default_user_id',
          user_email: null,
          max_budget: null,
          spend: 0,
          teams: ['t1'],
          metadata: {},
          models: [],
          user_role: 'internal_user',
        },
      ]);
    });

    it('keeps max_budget null when absent or null, ignores spend, defaults metadata to {}', async () => {
      await post(ctx.emu, '/team/new', { team_id: 'a', spend: 7 });
      await post(ctx.emu, '/team/new', { team_id: 'b', max_budget: null });
      await post(ctx.emu, '/team/new', { team_id: 'c', max_budget: 0 });
      const byId = Object.fromEntries(snapshot().teams.map((t) => [t.team_id, t]));
      expect(byId.a).toMatchObject({ max_budget: null, spend: 0, metadata: {} });
      expect(byId.b?.max_budget).toBeNull();
      expect(byId.c?.max_budget).toBe(0);
    });

    it('generates a uuid team_id when none is given (a new team per call)', async () => {
      const one = await post(ctx.emu, '/team/new', {});
      const two = await post(ctx.emu, '/team/new', {});
      expect(one.body.team_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(one.body.team_id).not.toBe(two.body.team_id);
    });

    it('rejects a duplicate team_id with the exact Python-repr message', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      const reply = await post(ctx.emu, '/team/new', { team_id: 't1' });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual(
        envelope(
          400,
          "{'error': 'Team id = t1 already exists. Please use a different team id.'}",
          'internal_server_error'
        )
      );
    });

    it('upserts listed members: new users are internal users, existing users get the team pushed', async () => {
      ctx.emu.seed.user({ user_id: 'old', user_email: 'old@x.io', teams: ['elsewhere'] });
      await post(ctx.emu, '/team/new', {
        team_id: 't1',
        members_with_roles: [
          { user_id: 'old', role: 'user' },
          { user_id: 'new', role: 'admin' },
        ],
      });
      const users = Object.fromEntries(snapshot().users.map((u) => [u.user_id, u]));
      expect(users.old?.teams).toEqual(['elsewhere', 't1']);
      expect(users.new).toMatchObject({ user_role: 'internal_user', teams: ['t1'], models: [] });
      expect(snapshot().teams[0]?.members_with_roles.map((m) => m.user_id)).toEqual(['default_user_id', 'new', 'old']);
      expect(snapshot().memberships).toEqual([]);
    });

    it('does not add default_user_id twice when it is already listed', async () => {
      const reply = await post(ctx.emu, '/team/new', {
        team_id: 't1',
        members_with_roles: [{ user_id: 'default_user_id', role: 'user' }],
      });
      expect(reply.body.members_with_roles).toEqual([{ user_id: 'default_user_id', user_email: null, role: 'user' }]);
    });

    it('creates a membership row per member when team_member_budget is set', async () => {
      await post(ctx.emu, '/team/new', {
        team_id: 't1',
        team_member_budget: 3,
        members_with_roles: [{ user_id: 'u1', role: 'user' }],
      });
      expect(snapshot().memberships).toEqual([
        { user_id: 'default_user_id', team_id: 't1', spend: 0, max_budget: 3 },
        { user_id: 'u1', team_id: 't1', spend: 0, max_budget: 3 },
      ]);
      expect(typeof snapshot().teams[0]?.metadata.team_member_budget_id).toBe('string');
    });

    it('refuses premium-only fields without a licence', async () => {
      const reply = await post(ctx.emu, '/team/new', { team_id: 't1', tags: ['a'] });
      expect(reply.status).toBe(403);
      expect(reply.body.error.message).toBe(
        `{'error': 'This feature is only available for LiteLLM Enterprise users: tags. ${PREMIUM.replace('\n', '\\n')}'}`
      );
      expect(snapshot().teams).toEqual([]);
    });

    it('rejects an unknown organization_id', async () => {
      const reply = await post(ctx.emu, '/team/new', { team_id: 't1', organization_id: 'org-1' });
      expect(reply.body).toEqual(
        envelope(400, 'Organization not found for organization_id=org-1', 'internal_server_error')
      );
    });
  });

  describe('GET /team/info', () => {
    it('returns team_info, every team key with its hashed token, and only budgeted memberships', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1', max_budget: 50 });
      await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', role: 'user' },
        max_budget_in_team: 5,
      });
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u2', role: 'user' } });
      const key = await post(ctx.emu, '/key/generate', { team_id: 't1', user_id: 'u1' });
      const reply = await get(ctx.emu, '/team/info?team_id=t1');
      expect(reply.status).toBe(200);
      expect(reply.body.team_id).toBe('t1');
      expect(reply.body.team_info).toMatchObject({ team_id: 't1', max_budget: 50, team_member_budget_table: null });
      expect(reply.body.team_info.members_with_roles).toHaveLength(3);
      expect(reply.body.keys).toHaveLength(1);
      expect(reply.body.keys[0]).toMatchObject({ token: key.body.token, user_id: 'u1', litellm_budget_table: null });
      expect(reply.body.team_memberships).toEqual([
        {
          user_id: 'u1',
          team_id: 't1',
          budget_id: expect.any(String),
          spend: 0,
          litellm_budget_table: expect.objectContaining({ max_budget: 5 }),
        },
      ]);
    });

    it('answers 404 auth_error for an unknown team', async () => {
      const reply = await get(ctx.emu, '/team/info?team_id=nope');
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(envelope(404, "{'message': 'Team not found, passed team id: nope.'}", 'auth_error'));
    });

    it('answers 422 auth_error when team_id is missing', async () => {
      const reply = await get(ctx.emu, '/team/info');
      expect(reply.body).toEqual(
        envelope(422, "{'message': 'Malformed request. No team id passed in.'}", 'auth_error')
      );
    });
  });

  describe('POST /team/update', () => {
    beforeEach(async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1', team_alias: 'Old', max_budget: 10, metadata: { a: 1, b: 2 } });
    });

    it('changes only the fields sent and answers {team_id, data}', async () => {
      const reply = await post(ctx.emu, '/team/update', { team_id: 't1', team_alias: 'New' });
      expect(reply.status).toBe(200);
      expect(reply.body.team_id).toBe('t1');
      expect(reply.body.data).toMatchObject({ team_alias: 'New', max_budget: 10, metadata: { a: 1, b: 2 } });
    });

    it('clears max_budget on an explicit null', async () => {
      await post(ctx.emu, '/team/update', { team_id: 't1', max_budget: null });
      expect(snapshot().teams[0]?.max_budget).toBeNull();
    });

    it('replaces metadata wholesale', async () => {
      await post(ctx.emu, '/team/update', { team_id: 't1', metadata: { c: 3 } });
      expect(snapshot().teams[0]?.metadata).toEqual({ c: 3 });
    });

    it('ignores members_with_roles and spend', async () => {
      const before = snapshot();
      await post(ctx.emu, '/team/update', {
        team_id: 't1',
        members_with_roles: [{ user_id: 'x', role: 'user' }],
        spend: 9,
      });
      expect(snapshot()).toEqual(before);
    });

    it('answers 404 for an unknown team', async () => {
      const reply = await post(ctx.emu, '/team/update', { team_id: 'nope', max_budget: 1 });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(
        envelope(404, "{'error': 'Team not found, passed team_id=nope'}", 'internal_server_error')
      );
    });

    it('stores metadata-only fields in metadata, replacing it when no metadata was sent', async () => {
      await post(ctx.emu, '/team/update', { team_id: 't1', model_rpm_limit: { 'gpt-4o-mini': 5 } });
      expect(snapshot().teams[0]?.metadata).toEqual({ model_rpm_limit: { 'gpt-4o-mini': 5 } });
    });
  });

  describe('POST /team/delete', () => {
    it('validates every id before deleting anything (404 FastAPI shape)', async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      const before = snapshot();
      const reply = await post(ctx.emu, '/team/delete', { team_ids: ['t1', 'missing'] });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ detail: { error: 'Team not found, passed team_id=missing' } });
      expect(snapshot()).toEqual(before);
    });

    it("deletes the team's keys, memberships and team ids on users, keeps user rows", async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/team/new', { team_id: 't2' });
      await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', role: 'user' },
        max_budget_in_team: 5,
      });
      await post(ctx.emu, '/key/generate', { team_id: 't1', user_id: 'u1' });
      await post(ctx.emu, '/key/generate', { team_id: 't1', user_id: 'stranger' });
      const kept = await post(ctx.emu, '/key/generate', { team_id: 't2', user_id: 'u1' });
      const reply = await post(ctx.emu, '/team/delete', { team_ids: ['t1'] });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ deleted_teams: ['t1'] });
      const state = snapshot();
      expect(state.teams.map((t) => t.team_id)).toEqual(['t2']);
      expect(state.keys.map((k) => k.token)).toEqual([kept.body.token]);
      expect(state.memberships).toEqual([]);
      expect(state.users.map((u) => [u.user_id, u.teams])).toEqual([
        ['default_user_id', ['t2']],
        ['u1', []],
      ]);
    });
  });

  describe('POST /team/member_add', () => {
    beforeEach(async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
    });

    it('adds a member, creating the user, without a membership row when no budget is given', async () => {
      const reply = await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
      expect(reply.status).toBe(200);
      expect(reply.body.team_id).toBe('t1');
      expect(reply.body.updated_users).toEqual([expect.objectContaining({ user_id: 'u1', teams: ['t1'] })]);
      expect(reply.body.updated_team_memberships).toEqual([]);
      expect(snapshot().memberships).toEqual([]);
    });

    it('creates a budget row and membership when max_budget_in_team is set', async () => {
      const reply = await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', role: 'user' },
        max_budget_in_team: 12.5,
      });
      expect(reply.body.updated_team_memberships).toEqual([
        expect.objectContaining({
          user_id: 'u1',
          team_id: 't1',
          litellm_budget_table: expect.objectContaining({ max_budget: 12.5 }),
        }),
      ]);
      expect(snapshot().memberships).toEqual([{ user_id: 'u1', team_id: 't1', spend: 0, max_budget: 12.5 }]);
    });

    it('treats max_budget_in_team null as no membership', async () => {
      await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', role: 'user' },
        max_budget_in_team: null,
      });
      expect(snapshot().memberships).toEqual([]);
    });

    it("uses the team's team_member_budget_id when no max_budget_in_team is given", async () => {
      await post(ctx.emu, '/team/update', { team_id: 't1', team_member_budget: 7 });
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
      expect(snapshot().memberships).toEqual([{ user_id: 'u1', team_id: 't1', spend: 0, max_budget: 7 }]);
    });

    it('refuses admin members (unlicensed) with a FastAPI 400, before looking up the team', async () => {
      const reply = await post(ctx.emu, '/team/member_add', {
        team_id: 'no-such-team',
        member: { user_id: 'u1', role: 'admin' },
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ detail: { error: `Assigning team admins is a premium feature. ${PREMIUM}` } });
    });

    it('names the admin member when the list variant is refused', async () => {
      const reply = await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: [
          { user_id: 'u1', role: 'user' },
          { user_id: 'u2', role: 'admin' },
        ],
      });
      expect(reply.body.detail.error).toBe(
        `Assigning team admins is a premium feature. Got=user_id='u2' user_email=None role='admin'. ${PREMIUM}. `
      );
    });

    it('answers 404 FastAPI shape for an unknown team', async () => {
      const reply = await post(ctx.emu, '/team/member_add', {
        team_id: 'nope',
        member: { user_id: 'u1', role: 'user' },
      });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({
        detail: { error: "Team doesn't exist in db. Team=nope. Create team via `/team/new` call." },
      });
    });

    it('refuses a member already in the team (single object)', async () => {
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
      const reply = await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual(
        envelope(
          400,
          "User already in team. Member: user_id=u1, user_email=None. Existing members=[Member(user_id='default_user_id', user_email=None, role='admin'), Member(user_id='u1', user_email=None, role='user')]",
          'team_member_already_in_team',
          'member'
        )
      );
    });

    it('refuses a list whose members are all present, adds the new ones of a mixed list', async () => {
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
      const all = await post(ctx.emu, '/team/member_add', { team_id: 't1', member: [{ user_id: 'u1', role: 'user' }] });
      expect(all.body.error.message).toMatch(/^All users are already in team\. Existing members=\[Member\(/);
      expect(all.body.error.type).toBe('team_member_already_in_team');
      const mixed = await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: [
          { user_id: 'u1', role: 'user' },
          { user_id: 'u2', role: 'user' },
        ],
      });
      expect(mixed.status).toBe(200);
      expect(snapshot().teams[0]?.members_with_roles.map((m) => m.user_id)).toEqual(['default_user_id', 'u1', 'u2']);
    });

    it('adds by email: reuses the user with that email, or creates one with a uuid', async () => {
      ctx.emu.seed.user({ user_id: 'known', user_email: 'k@x.io' });
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_email: 'k@x.io', role: 'user' } });
      await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_email: 'new@x.io', role: 'user' } });
      const members = snapshot().teams[0]?.members_with_roles ?? [];
      expect(members).toContainEqual({ user_id: 'known', user_email: 'k@x.io', role: 'user' });
      const created = members.find((m) => m.user_email === 'new@x.io');
      expect(created?.user_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(snapshot().users.find((u) => u.user_id === created?.user_id)?.teams).toEqual(['t1']);
    });
    it('fails with 500 naming the member when several users share the email (add_new_member error is wrapped)', async () => {
      ctx.emu.seed.user({ user_id: 'a', user_email: 'twin@x.io' });
      ctx.emu.seed.user({ user_id: 'b', user_email: 'twin@x.io' });
      const reply = await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_email: 'twin@x.io', role: 'user' },
      });
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({
        detail: {
          error: `Unable to add user - user_id=None user_email='twin@x.io' role='user', to team - t1, for reason - 400: {'error': "Multiple users with this email found in db. Please use 'user_id' instead."}`,
        },
      });
    });
  });

  describe('POST /team/member_update', () => {
    beforeEach(async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', user_email: 'u1@x.io', role: 'user' },
        max_budget_in_team: 5,
      });
    });
    const budgetIdOf = async (userId: string): Promise<unknown> =>
      (
        (await get(ctx.emu, '/team/info?team_id=t1')).body.team_memberships as Array<{
          user_id: string;
          budget_id: unknown;
        }>
      ).find((m) => m.user_id === userId)?.budget_id;

    it('creates a new budget row on every call and echoes the request', async () => {
      const first = await budgetIdOf('u1');
      const reply = await post(ctx.emu, '/team/member_update', { team_id: 't1', user_id: 'u1', max_budget_in_team: 8 });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        team_id: 't1',
        user_id: 'u1',
        user_email: null,
        max_budget_in_team: 8,
        tpm_limit: null,
        rpm_limit: null,
      });
      const second = await budgetIdOf('u1');
      await post(ctx.emu, '/team/member_update', { team_id: 't1', user_id: 'u1', max_budget_in_team: 8 });
      expect(new Set([first, second, await budgetIdOf('u1')]).size).toBe(3);
      expect(snapshot().memberships).toEqual([{ user_id: 'u1', team_id: 't1', spend: 0, max_budget: 8 }]);
    });

    it('disconnects the budget when every limit is null (unlimited), keeping the membership', async () => {
      await post(ctx.emu, '/team/member_update', { team_id: 't1', user_id: 'u1', max_budget_in_team: null });
      expect(snapshot().memberships).toEqual([{ user_id: 'u1', team_id: 't1', spend: 0, max_budget: null }]);
      expect(await budgetIdOf('u1')).toBeNull();
    });

    it('resolves user_email to the member and rewrites the role', async () => {
      const reply = await post(ctx.emu, '/team/member_update', {
        team_id: 't1',
        user_email: 'u1@x.io',
        role: 'user',
        tpm_limit: 10,
      });
      expect(reply.body.user_id).toBe('u1');
      expect(snapshot().teams[0]?.members_with_roles).toContainEqual({
        user_id: 'u1',
        user_email: 'u1@x.io',
        role: 'user',
      });
    });

    it('upserts a membership for a user_id that is not a member', async () => {
      const reply = await post(ctx.emu, '/team/member_update', {
        team_id: 't1',
        user_id: 'ghost',
        max_budget_in_team: 2,
      });
      expect(reply.status).toBe(200);
      expect(snapshot().memberships).toContainEqual({ user_id: 'ghost', team_id: 't1', spend: 0, max_budget: 2 });
      expect(snapshot().teams[0]?.members_with_roles.map((m) => m.user_id)).not.toContain('ghost');
    });

    it('answers 400 (not 404) for an unknown team', async () => {
      const reply = await post(ctx.emu, '/team/member_update', { team_id: 'nope', user_id: 'u1' });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ detail: { error: 'Team id=nope does not exist in db' } });
    });

    it('refuses role admin with a plain-string detail', async () => {
      const reply = await post(ctx.emu, '/team/member_update', { team_id: 't1', user_id: 'u1', role: 'admin' });
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toMatch(
        /^Assigning team admins is a premium feature\. You must be a LiteLLM Enterprise user/
      );
    });

    it('answers 400 when a user_email is not among the members', async () => {
      const reply = await post(ctx.emu, '/team/member_update', {
        team_id: 't1',
        user_email: 'who@x.io',
        max_budget_in_team: 1,
      });
      expect(reply.body).toEqual({
        detail: {
          error:
            "User id doesn't exist in team table. Data=user_id=None user_email='who@x.io' team_id='t1' max_budget_in_team=1.0 role=None tpm_limit=None rpm_limit=None",
        },
      });
    });
  });

  describe('POST /team/member_delete', () => {
    beforeEach(async () => {
      await post(ctx.emu, '/team/new', { team_id: 't1' });
      await post(ctx.emu, '/team/new', { team_id: 't2' });
      await post(ctx.emu, '/team/member_add', {
        team_id: 't1',
        member: { user_id: 'u1', role: 'user' },
        max_budget_in_team: 5,
      });
    });

    it('removes the member, its membership, the team from its user row and its keys in that team', async () => {
      await post(ctx.emu, '/key/generate', { team_id: 't1', user_id: 'u1' });
      const otherTeamKey = await post(ctx.emu, '/key/generate', { team_id: 't2', user_id: 'u1' });
      const otherUserKey = await post(ctx.emu, '/key/generate', { team_id: 't1', user_id: 'u2' });
      const reply = await post(ctx.emu, '/team/member_delete', { team_id: 't1', user_id: 'u1' });
      expect(reply.status).toBe(200);
      expect(reply.body.members_with_roles).toEqual([{ user_id: 'default_user_id', user_email: null, role: 'admin' }]);
      const state = snapshot();
      expect(state.memberships).toEqual([]);
      expect(state.users.find((u) => u.user_id === 'u1')?.teams).toEqual([]);
      expect(state.keys.map((k) => k.token).sort()).toEqual([otherTeamKey.body.token, otherUserKey.body.token].sort());
    });

    it('answers 400 (not 404) for an unknown team', async () => {
      const reply = await post(ctx.emu, '/team/member_delete', { team_id: 'nope', user_id: 'u1' });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ detail: { error: 'Team id=nope does not exist in db' } });
    });

    it('answers 400 "User not found in team" for a non-member', async () => {
      const reply = await post(ctx.emu, '/team/member_delete', { team_id: 't1', user_id: 'stranger' });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ detail: { error: 'User not found in team' } });
    });
  });
});
