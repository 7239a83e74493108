// Journal masking, deterministic snapshots, the seeder, reset and stop.
import { startEmulator } from '../../emulator';
import { ADMIN, get, MASTER_KEY, post, useEmulator } from './helpers';

describe('journal', () => {
  const ctx = useEmulator();

  it('records method, path, query, parsed body and status of admin calls only', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    await get(ctx.emu, '/team/info?team_id=t1');
    await get(ctx.emu, '/_emulator/state');
    expect(ctx.emu.journal()).toEqual([
      { method: 'POST', path: '/team/new', query: {}, body: { team_id: 't1' }, status: 200 },
      { method: 'GET', path: '/team/info', query: { team_id: 't1' }, body: null, status: 200 },
    ]);
  });

  it('masks every secret: no plaintext virtual key or master key in the serialised journal', async () => {
    const custom = 'sk-custom-plaintext-ABCD';
    const generated = await post(ctx.emu, '/key/generate', {
      key: custom,
      metadata: { note: `copied ${custom}`, echo: MASTER_KEY },
    });
    const minted = await post(ctx.emu, '/user/new', { user_id: 'u1' });
    await post(ctx.emu, '/key/update', { key: minted.body.key, max_budget: 1 });
    await get(ctx.emu, `/key/info?key=${minted.body.key as string}`);
    await post(ctx.emu, '/key/delete', { keys: [custom, generated.body.token] });
    await post(ctx.emu, '/team/new', `{"broken": "${MASTER_KEY}`);
    const serialised = JSON.stringify(ctx.emu.journal());
    for (const secret of [custom, minted.body.key as string, MASTER_KEY]) expect(serialised).not.toContain(secret);
    const [generate, , update, info, remove] = ctx.emu.journal();
    expect(generate?.body).toEqual({
      key: 'sk-…ABCD',
      metadata: { note: 'copied sk-…ABCD', echo: `sk-…${MASTER_KEY.slice(-4)}` },
    });
    expect(update?.body).toEqual({ key: `sk-…${(minted.body.key as string).slice(-4)}`, max_budget: 1 });
    expect(info?.query.key).toBe(`sk-…${(minted.body.key as string).slice(-4)}`);
    expect(remove?.body).toEqual({ keys: ['sk-…ABCD', `…${(generated.body.token as string).slice(-4)}`] });
  });

  it('clears on demand', async () => {
    await get(ctx.emu, '/v1/models');
    ctx.emu.clearJournal();
    expect(ctx.emu.journal()).toEqual([]);
  });
});

describe('snapshot and seeder', () => {
  const ctx = useEmulator();

  it('is deterministic: sorted, without timestamps or generated ids', async () => {
    await post(ctx.emu, '/team/new', { team_id: 'b' });
    await post(ctx.emu, '/team/new', { team_id: 'a' });
    await post(ctx.emu, '/team/member_add', {
      team_id: 'a',
      member: { user_id: 'u1', role: 'user' },
      max_budget_in_team: 2,
    });
    const snapshot = ctx.emu.snapshot();
    expect(snapshot.teams.map((t) => t.team_id)).toEqual(['a', 'b']);
    expect(JSON.stringify(snapshot)).not.toMatch(/created_at|updated_at|budget_id/);
    await new Promise((r) => setTimeout(r, 5));
    expect(ctx.emu.snapshot()).toEqual(snapshot);
  });

  it('returns copies that later calls do not mutate', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1', metadata: { a: 1 } });
    const snapshot = ctx.emu.snapshot();
    await post(ctx.emu, '/team/update', { team_id: 't1', metadata: { a: 2 } });
    expect(snapshot.teams[0]?.metadata).toEqual({ a: 1 });
  });

  it('seeds state indistinguishable from the same state created through the API', async () => {
    await post(ctx.emu, '/team/new', {
      team_id: 't1',
      team_alias: 'T',
      max_budget: 10,
      metadata: { v: 1 },
      models: ['m'],
    });
    await post(ctx.emu, '/user/new', { user_id: 'u1', user_email: 'u1@x.io', max_budget: 5, auto_create_key: false });
    await post(ctx.emu, '/team/member_add', {
      team_id: 't1',
      member: { user_id: 'u1', role: 'user' },
      max_budget_in_team: 3,
    });
    await post(ctx.emu, '/key/generate', {
      key: 'sk-seeded-key-0000001',
      user_id: 'u1',
      team_id: 't1',
      key_alias: 'k',
      max_budget: 2,
    });
    const viaApi = ctx.emu.snapshot();

    ctx.emu.reset();
    ctx.emu.seed.team({
      team_id: 't1',
      team_alias: 'T',
      max_budget: 10,
      metadata: { v: 1 },
      models: ['m'],
      members: [{ user_id: 'default_user_id', role: 'admin' }],
    });
    ctx.emu.seed.user({ user_id: 'u1', user_email: 'u1@x.io', max_budget: 5 });
    ctx.emu.seed.membership({ user_id: 'u1', team_id: 't1', max_budget_in_team: 3 });
    const seeded = ctx.emu.seed.key({
      key: 'sk-seeded-key-0000001',
      user_id: 'u1',
      team_id: 't1',
      key_alias: 'k',
      max_budget: 2,
    });
    expect(seeded.token).toBe(viaApi.keys[0]?.token);
    expect(ctx.emu.snapshot()).toEqual(viaApi);
  });

  it('seed.spend sets spend on every selected row, as usage would', async () => {
    ctx.emu.seed.team({ team_id: 't1', members: [{ user_id: 'u1', role: 'user' }] });
    ctx.emu.seed.membership({ user_id: 'u1', team_id: 't1', max_budget_in_team: 5 });
    const { token } = ctx.emu.seed.key({ user_id: 'u1', team_id: 't1' });
    ctx.emu.seed.spend({ team_id: 't1', user_id: 'u1', token, amount: 4.5 });
    const state = ctx.emu.snapshot();
    expect(state.teams[0]?.spend).toBe(4.5);
    expect(state.users[0]?.spend).toBe(4.5);
    expect(state.keys[0]?.spend).toBe(4.5);
    expect(state.memberships[0]?.spend).toBe(4.5);
    expect((await get(ctx.emu, '/team/info?team_id=t1')).body.team_memberships[0].spend).toBe(4.5);
    expect(() => ctx.emu.seed.spend({ team_id: 'nope', amount: 1 })).toThrow(/does not exist/);
  });

  it('refuses to seed a duplicate team or key', () => {
    ctx.emu.seed.team({ team_id: 't1' });
    expect(() => ctx.emu.seed.team({ team_id: 't1' })).toThrow(/already exists/);
    const { key } = ctx.emu.seed.key({});
    expect(() => ctx.emu.seed.key({ key })).toThrow(/already exists/);
  });

  it('proves a rollback restored LiteLLM exactly, budget rows included', async () => {
    ctx.emu.seed.team({ team_id: 'home', members: [{ user_id: 'u1', role: 'user' }] });
    const { key } = ctx.emu.seed.key({ user_id: 'u1', team_id: 'home' });
    const before = ctx.emu.snapshot({ budgets: true });
    await post(ctx.emu, '/team/new', { team_id: 'org', max_budget: 10 });
    await post(ctx.emu, '/team/member_add', {
      team_id: 'org',
      member: { user_id: 'u1', role: 'user' },
      max_budget_in_team: 10,
    });
    await post(ctx.emu, '/key/update', { key, team_id: 'org' });
    expect(ctx.emu.snapshot()).not.toEqual(before);
    await post(ctx.emu, '/key/update', { key, team_id: 'home' });
    await post(ctx.emu, '/team/member_delete', { team_id: 'org', user_id: 'u1' });
    await post(ctx.emu, '/team/delete', { team_ids: ['org'] });
    await post(ctx.emu, '/user/delete', { user_ids: ['default_user_id'] });
    // As on the real proxy, the membership's budget row outlives the membership until it is deleted.
    expect(ctx.emu.snapshot({ budgets: true }).budgets).toEqual([{ max_budget: 10, tpm_limit: null, rpm_limit: null }]);
    const rows = (await get(ctx.emu, '/budget/list')).body as Array<{ budget_id: string }>;
    for (const row of rows) await post(ctx.emu, '/budget/delete', { id: row.budget_id });
    expect(ctx.emu.snapshot({ budgets: true })).toEqual(before);
  });

  it('reset empties state, faults and journal', async () => {
    ctx.emu.seed.team({ team_id: 't1' });
    ctx.emu.faults.add({ route: '/nothing', kind: 'hang' });
    await get(ctx.emu, '/v1/models');
    ctx.emu.reset();
    expect(ctx.emu.snapshot({ budgets: true })).toEqual({
      teams: [],
      users: [],
      memberships: [],
      keys: [],
      budgets: [],
    });
    expect(ctx.emu.faults.list()).toEqual([]);
    expect(ctx.emu.journal()).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('listens on a random port by default and reports its url', async () => {
    const emu = await startEmulator({ masterKey: MASTER_KEY });
    try {
      expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
      expect(emu.port).toBeGreaterThan(0);
    } finally {
      await emu.stop();
    }
  });

  it('stop() resolves with a hung request in flight, and the client sees the socket close', async () => {
    const emu = await startEmulator({ masterKey: MASTER_KEY });
    emu.faults.add({ route: '*', kind: 'hang' });
    const inFlight = fetch(`${emu.url}/v1/models`, { headers: ADMIN }).then(
      () => 'answered',
      () => 'socket closed'
    );
    while (emu.journal().length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await emu.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await inFlight).toBe('socket closed');
  });

  it('stop() also cancels a pending latency fault', async () => {
    const emu = await startEmulator({ masterKey: MASTER_KEY });
    emu.faults.add({ route: '*', kind: 'latency', ms: 60_000 });
    const inFlight = fetch(`${emu.url}/v1/models`, { headers: ADMIN }).catch(() => 'socket closed');
    await new Promise((r) => setTimeout(r, 30));
    await emu.stop();
    expect(await inFlight).toBe('socket closed');
  });

  it('requires a master key', async () => {
    await expect(startEmulator({ masterKey: '' })).rejects.toThrow(/masterKey/);
  });
});
