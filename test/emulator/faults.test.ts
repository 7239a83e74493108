import { request } from 'node:http';

import type { Emulator } from '../../emulator';
import { ADMIN, call, envelope, get, post, useEmulator } from './helpers';

/** A raw node:http GET so the socket error code is visible (fetch wraps it). */
function rawGet(emu: Emulator, path: string): Promise<{ status?: number; errorCode?: string }> {
  return new Promise((resolve) => {
    const req = request(`${emu.url}${path}`, { headers: ADMIN }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ errorCode: error.code }));
    req.end();
  });
}

describe('fault injection', () => {
  const ctx = useEmulator();

  it('latency: delays, then answers normally', async () => {
    ctx.emu.faults.add({ route: '/team/new', kind: 'latency', ms: 120 });
    const started = Date.now();
    const reply = await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(reply.status).toBe(200);
    expect(ctx.emu.journal()[0]).toMatchObject({ status: 200, fault: 'latency' });
  });

  it('status: answers the status with the default envelope and leaves state untouched', async () => {
    ctx.emu.faults.add({ route: '/team/new', kind: 'status', status: 503 });
    const reply = await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect(reply.status).toBe(503);
    expect(reply.body).toEqual(envelope(503, 'Internal Server Error, emulated fault', 'internal_server_error'));
    expect(ctx.emu.snapshot().teams).toEqual([]);
  });

  it('status: answers a custom body', async () => {
    ctx.emu.faults.add({ route: '/team/new', kind: 'status', status: 502, body: { detail: 'bad gateway' } });
    const reply = await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect([reply.status, reply.body]).toEqual([502, { detail: 'bad gateway' }]);
  });

  it('rate_limit: 429 with Retry-After and a LiteLLM-like body', async () => {
    ctx.emu.faults.add({ route: '*', kind: 'rate_limit', retryAfterSeconds: 7 });
    const reply = await get(ctx.emu, '/v1/models');
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('7');
    expect(reply.body.error.code).toBe('429');
  });

  it('reset: the client sees ECONNRESET and nothing changes', async () => {
    ctx.emu.faults.add({ route: '/team/new', kind: 'reset' });
    await expect(post(ctx.emu, '/team/new', { team_id: 't1' })).rejects.toThrow();
    ctx.emu.faults.add({ route: '/v1/models', kind: 'reset' });
    expect(await rawGet(ctx.emu, '/v1/models')).toEqual({ errorCode: 'ECONNRESET' });
    expect(ctx.emu.snapshot().teams).toEqual([]);
    expect(ctx.emu.journal().map((e) => [e.status, e.fault])).toEqual([
      [0, 'reset'],
      [0, 'reset'],
    ]);
  });

  it('hang: never answers, so the client times out via AbortSignal', async () => {
    ctx.emu.faults.add({ route: '/team/new', kind: 'hang' });
    const started = Date.now();
    const error = await fetch(`${ctx.emu.url}/team/new`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ team_id: 't1' }),
      signal: AbortSignal.timeout(150),
    }).then(
      () => null,
      (e: Error) => e
    );
    expect(error?.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(ctx.emu.snapshot().teams).toEqual([]);
    expect(ctx.emu.journal()[0]).toMatchObject({ status: 0, fault: 'hang' });
  });

  it('drop_after_apply: the change is applied but the client gets no response; a naive retry then fails', async () => {
    ctx.emu.faults.add({ route: '/team/new', kind: 'drop_after_apply', times: 1 });
    await expect(post(ctx.emu, '/team/new', { team_id: 't1' })).rejects.toThrow();
    expect(ctx.emu.snapshot().teams.map((t) => t.team_id)).toEqual(['t1']);
    expect(ctx.emu.journal()[0]).toMatchObject({ status: 200, fault: 'drop_after_apply' });
    const retry = await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect(retry.status).toBe(400);
  });

  it('after/times: skips the first N matching calls, applies to the next M, then expires', async () => {
    ctx.emu.faults.add({ route: '/v1/models', method: 'GET', kind: 'status', status: 500, after: 1, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(ctx.emu, '/v1/models')).status);
    expect(statuses).toEqual([200, 500, 500, 200]);
    expect(ctx.emu.faults.list()).toEqual([]);
  });

  it('matches on method and route', async () => {
    ctx.emu.faults.add({ route: '/team/info', method: 'POST', kind: 'status', status: 500 });
    ctx.emu.faults.add({ route: '/team/new', kind: 'status', status: 500 });
    expect((await get(ctx.emu, '/team/info?team_id=x')).status).toBe(404);
    expect((await get(ctx.emu, '/v1/models')).status).toBe(200);
  });

  it('remove and clear', async () => {
    const id = ctx.emu.faults.add({ route: '*', kind: 'status', status: 500 });
    expect(ctx.emu.faults.list()).toEqual([{ id, route: '*', kind: 'status', status: 500 }]);
    expect(ctx.emu.faults.remove(id)).toBe(true);
    expect(ctx.emu.faults.remove(id)).toBe(false);
    ctx.emu.faults.add({ route: '*', kind: 'reset' });
    ctx.emu.faults.clear();
    expect((await get(ctx.emu, '/v1/models')).status).toBe(200);
  });

  it('rejects an invalid rule', () => {
    expect(() => ctx.emu.faults.add({ route: '*', kind: 'status', status: 42 })).toThrow(/Invalid fault rule/);
  });

  describe('random', () => {
    const sequence = async (seed: number): Promise<number[]> => {
      ctx.emu.reset();
      ctx.emu.faults.add({ route: '/v1/models', kind: 'random', rate: 0.5, seed, kinds: ['status500', 'status503'] });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await get(ctx.emu, '/v1/models')).status);
      return statuses;
    };

    it('gives the same fault sequence for the same seed and call order', async () => {
      const first = await sequence(42);
      expect(await sequence(42)).toEqual(first);
      expect(new Set(first)).toEqual(new Set([200, 500, 503]));
      expect(await sequence(7)).not.toEqual(first);
    });

    it('records which kind was drawn', async () => {
      ctx.emu.faults.add({ route: '*', kind: 'random', rate: 1, seed: 1, kinds: ['rate_limit'] });
      expect((await get(ctx.emu, '/v1/models')).status).toBe(429);
      expect(ctx.emu.journal()[0]?.fault).toBe('random:rate_limit');
    });

    it('never faults at rate 0', async () => {
      ctx.emu.faults.add({ route: '*', kind: 'random', rate: 0, seed: 3 });
      for (let i = 0; i < 10; i++) expect((await get(ctx.emu, '/v1/models')).status).toBe(200);
    });
  });
});

describe('control endpoint /_emulator (over HTTP)', () => {
  const ctx = useEmulator();

  it('adds, lists and deletes fault rules', async () => {
    const added = await post(ctx.emu, '/_emulator/faults', {
      route: '/team/new',
      kind: 'status',
      status: 500,
      times: 1,
    });
    expect(added.status).toBe(200);
    expect(added.body.id).toEqual(expect.any(String));
    expect((await get(ctx.emu, '/_emulator/faults')).body).toEqual([
      { id: added.body.id, route: '/team/new', kind: 'status', status: 500, times: 1 },
    ]);
    expect((await post(ctx.emu, '/team/new', { team_id: 't1' })).status).toBe(500);
    await post(ctx.emu, '/_emulator/faults', { route: '*', kind: 'status', status: 500 });
    expect((await call(ctx.emu, 'DELETE', '/_emulator/faults')).status).toBe(200);
    expect(ctx.emu.faults.list()).toEqual([]);
  });

  it('deletes one rule by id', async () => {
    const { body } = await post(ctx.emu, '/_emulator/faults', { route: '*', kind: 'hang' });
    expect((await call(ctx.emu, 'DELETE', `/_emulator/faults?id=${body.id as string}`)).body).toEqual({
      removed: true,
    });
  });

  it('answers 400 for an invalid rule', async () => {
    const reply = await post(ctx.emu, '/_emulator/faults', { route: '*', kind: 'explode' });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatch(/Invalid fault rule/);
  });

  it('serves the state snapshot and the journal, and resets', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect((await get(ctx.emu, '/_emulator/state')).body).toEqual(ctx.emu.snapshot());
    expect((await get(ctx.emu, '/_emulator/journal')).body).toEqual(ctx.emu.journal());
    expect((await post(ctx.emu, '/_emulator/reset')).status).toBe(200);
    expect(ctx.emu.snapshot()).toEqual({ teams: [], users: [], memberships: [], keys: [] });
    expect(ctx.emu.journal()).toEqual([]);
  });

  it('requires the master key', async () => {
    const reply = await get(ctx.emu, '/_emulator/state', {});
    expect(reply.status).toBe(401);
    const { key } = ctx.emu.seed.key({});
    expect((await get(ctx.emu, '/_emulator/state', { authorization: `Bearer ${key}` })).status).toBe(401);
  });

  it('is neither journaled nor faulted', async () => {
    ctx.emu.faults.add({ route: '*', kind: 'status', status: 500 });
    expect((await get(ctx.emu, '/_emulator/state')).status).toBe(200);
    expect((await get(ctx.emu, '/_emulator/journal')).status).toBe(200);
    expect(ctx.emu.journal()).toEqual([]);
  });
});
