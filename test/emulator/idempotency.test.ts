// One test per row of the reference's §6 table: what repeating a call does.
import { envelope, post, useEmulator } from './helpers';

describe('idempotency and "already exists" signals (reference §6)', () => {
  const ctx = useEmulator();
  const snapshot = () => ctx.emu.snapshot();

  it('/team/new with the same team_id → 400 "…already exists. Please use a different team id."', async () => {
    expect((await post(ctx.emu, '/team/new', { team_id: 't1' })).status).toBe(200);
    const again = await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toContain('already exists. Please use a different team id');
  });

  it('/team/member_add with the same member → 400 team_member_already_in_team "User already in team…"', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    const add = { team_id: 't1', member: { user_id: 'u1', role: 'user' }, max_budget_in_team: 5 };
    expect((await post(ctx.emu, '/team/member_add', add)).status).toBe(200);
    const before = snapshot();
    const again = await post(ctx.emu, '/team/member_add', add);
    expect(again.status).toBe(400);
    expect(again.body.error.type).toBe('team_member_already_in_team');
    expect((again.body.error.message as string).toLowerCase()).toContain('already in team');
    expect(snapshot()).toEqual(before);
  });

  it('/team/member_delete again → 400 {"detail":{"error":"User not found in team"}}', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    await post(ctx.emu, '/team/member_add', { team_id: 't1', member: { user_id: 'u1', role: 'user' } });
    expect((await post(ctx.emu, '/team/member_delete', { team_id: 't1', user_id: 'u1' })).status).toBe(200);
    const again = await post(ctx.emu, '/team/member_delete', { team_id: 't1', user_id: 'u1' });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ detail: { error: 'User not found in team' } });
  });

  it('/team/delete again → 404 {"detail":{"error":"Team not found, passed team_id=…"}}', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect((await post(ctx.emu, '/team/delete', { team_ids: ['t1'] })).status).toBe(200);
    const again = await post(ctx.emu, '/team/delete', { team_ids: ['t1'] });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ detail: { error: 'Team not found, passed team_id=t1' } });
  });

  it('/user/new with the same user_id → 200, user unchanged, a new key each time', async () => {
    const first = await post(ctx.emu, '/user/new', { user_id: 'u1', max_budget: 5, metadata: { v: 1 } });
    const userBefore = snapshot().users;
    const second = await post(ctx.emu, '/user/new', { user_id: 'u1', max_budget: 99, metadata: { v: 2 } });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ user_id: 'u1', max_budget: 99, metadata: { v: 2 } });
    expect(second.body.key).not.toBe(first.body.key);
    expect(snapshot().users).toEqual(userBefore);
    expect(snapshot().keys).toHaveLength(2);
  });

  it('/user/new with the same email → 400 "User with email … already exists"', async () => {
    await post(ctx.emu, '/user/new', { user_id: 'u1', user_email: 'same@x.io', auto_create_key: false });
    const again = await post(ctx.emu, '/user/new', { user_id: 'u2', user_email: 'same@x.io', auto_create_key: false });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe("{'error': 'User with email same@x.io already exists'}");
  });

  it('/user/delete again → 404 {"detail":{"error":"User not found, passed user_id=…"}}', async () => {
    await post(ctx.emu, '/user/new', { user_id: 'u1', auto_create_key: false });
    expect((await post(ctx.emu, '/user/delete', { user_ids: ['u1'] })).body).toBe(1);
    const again = await post(ctx.emu, '/user/delete', { user_ids: ['u1'] });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ detail: { error: 'User not found, passed user_id=u1' } });
  });

  it('/key/generate with the same alias → 400 "Key with alias \'…\' already exists…"', async () => {
    await post(ctx.emu, '/key/generate', { key_alias: 'k' });
    const again = await post(ctx.emu, '/key/generate', { key_alias: 'k' });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe(
      "Key with alias 'k' already exists. Unique key aliases across all keys are required."
    );
    expect(snapshot().keys).toHaveLength(1);
  });

  it("/key/delete again → 404 {'error': 'No keys found'} (ProxyException)", async () => {
    const { key } = ctx.emu.seed.key({});
    expect((await post(ctx.emu, '/key/delete', { keys: [key] })).status).toBe(200);
    const again = await post(ctx.emu, '/key/delete', { keys: [key] });
    expect(again.status).toBe(404);
    expect(again.body).toEqual(envelope(404, "{'error': 'No keys found'}", 'internal_server_error'));
  });

  it('/team/update, /user/update and /key/update are idempotent (/user/update also creates a missing user)', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    const { key } = ctx.emu.seed.key({});
    const updates = async () => {
      expect((await post(ctx.emu, '/team/update', { team_id: 't1', max_budget: 10, metadata: { v: 1 } })).status).toBe(
        200
      );
      expect((await post(ctx.emu, '/user/update', { user_id: 'new-user', max_budget: 1e9 })).status).toBe(200);
      expect((await post(ctx.emu, '/key/update', { key, max_budget: 3, team_id: 't1' })).status).toBe(200);
    };
    await updates();
    const once = snapshot();
    expect(once.users.map((u) => u.user_id)).toContain('new-user');
    await updates();
    expect(snapshot()).toEqual(once);
  });
});
