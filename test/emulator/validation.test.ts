// FastAPI/pydantic request validation: 422 bodies, never a crash.
import { call, get, post, useEmulator } from './helpers';

describe('request validation (reference §1.2)', () => {
  const ctx = useEmulator();

  it('answers 422 json_invalid for malformed JSON, even before authentication', async () => {
    const reply = await call(ctx.emu, 'POST', '/team/new', '{"team_id": ', {});
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      detail: [
        {
          type: 'json_invalid',
          loc: ['body', 12],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: 'Expecting value' },
        },
      ],
    });
  });

  it('answers 422 missing for an empty body', async () => {
    const reply = await post(ctx.emu, '/team/update');
    expect(reply.body).toEqual({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] });
  });

  it('answers 422 model_type when the body is not an object', async () => {
    const reply = await post(ctx.emu, '/team/new', [1, 2]);
    expect(reply.body.detail[0]).toMatchObject({ type: 'model_type', loc: ['body'], input: [1, 2] });
  });

  it.each([
    ['/team/update', {}, 'team_id'],
    ['/team/delete', {}, 'team_ids'],
    ['/team/member_add', { member: { user_id: 'u', role: 'user' } }, 'team_id'],
    ['/key/update', { max_budget: 1 }, 'key'],
    ['/user/delete', {}, 'user_ids'],
  ])('reports a missing required field on %s', async (path, body, field) => {
    const reply = await post(ctx.emu, path, body);
    expect(reply.status).toBe(422);
    expect(reply.body.detail).toContainEqual({
      type: 'missing',
      loc: ['body', field],
      msg: 'Field required',
      input: body,
    });
  });

  it.each([
    [
      { team_id: 't', max_budget: 'lots' },
      'max_budget',
      'float_parsing',
      'Input should be a valid number, unable to parse string as a number',
    ],
    [{ team_id: 't', max_budget: [1] }, 'max_budget', 'float_type', 'Input should be a valid number'],
    [{ team_id: 123 }, 'team_id', 'string_type', 'Input should be a valid string'],
    [
      { team_id: 't', tpm_limit: 1.5 },
      'tpm_limit',
      'int_from_float',
      'Input should be a valid integer, got a number with a fractional part',
    ],
    [{ team_id: 't', models: 'gpt' }, 'models', 'list_type', 'Input should be a valid list'],
    [
      { team_id: 't', blocked: 'maybe' },
      'blocked',
      'bool_parsing',
      'Input should be a valid boolean, unable to interpret input',
    ],
    [{ team_id: 't', metadata: [] }, 'metadata', 'dict_type', 'Input should be a valid dictionary'],
  ])('reports wrong types: %j', async (body, field, type, msg) => {
    const reply = await post(ctx.emu, '/team/update', body);
    expect(reply.status).toBe(422);
    expect(reply.body.detail).toEqual([
      { type, loc: ['body', field], msg, input: (body as Record<string, unknown>)[field] },
    ]);
  });

  it('coerces like pydantic lax mode (numeric strings, ints for floats)', async () => {
    await post(ctx.emu, '/team/new', { team_id: 't1' });
    expect((await post(ctx.emu, '/team/update', { team_id: 't1', max_budget: '12.5', blocked: 'false' })).status).toBe(
      200
    );
    expect(ctx.emu.snapshot().teams[0]).toMatchObject({ max_budget: 12.5, blocked: false });
  });

  it('reports an invalid member role and a member without id or email', async () => {
    const role = await post(ctx.emu, '/team/new', { members_with_roles: [{ user_id: 'u', role: 'owner' }] });
    expect(role.body.detail).toEqual([
      {
        type: 'literal_error',
        loc: ['body', 'members_with_roles', 0, 'role'],
        msg: "Input should be 'admin' or 'user'",
        input: 'owner',
        ctx: { expected: "'admin' or 'user'" },
      },
    ]);
    const anonymous = await post(ctx.emu, '/team/new', { members_with_roles: [{ role: 'user' }] });
    expect(anonymous.body.detail[0]).toMatchObject({
      type: 'value_error',
      loc: ['body', 'members_with_roles', 0],
      msg: 'Value error, Either user id or user email must be provided',
    });
  });

  it.each([
    ['/key/delete', {}, "Value error, At least one of 'keys' or 'key_aliases' must be provided."],
    ['/key/delete', { keys: [] }, "Value error, At least one of 'keys' or 'key_aliases' must be provided."],
    ['/user/update', { max_budget: 1 }, 'Value error, Either user id or user email must be provided'],
    ['/team/member_update', { team_id: 't' }, 'Value error, Either user id or user email must be provided'],
    ['/team/member_delete', { team_id: 't' }, 'Value error, Either user id or user email must be provided'],
  ])('runs model validators on %s %j', async (path, body, msg) => {
    const reply = await post(ctx.emu, path, body);
    expect(reply.status).toBe(422);
    expect(reply.body.detail).toEqual([{ type: 'value_error', loc: ['body'], msg, input: body, ctx: { error: {} } }]);
  });

  it('requires temp_budget_increase and temp_budget_expiry together', async () => {
    const reply = await post(ctx.emu, '/key/update', { key: 'sk-x', temp_budget_increase: 5 });
    expect(reply.body.detail[0].msg).toBe(
      'Value error, temp_budget_increase and temp_budget_expiry must be set together'
    );
  });

  it('reports both union branches for a bad member_add member', async () => {
    const reply = await post(ctx.emu, '/team/member_add', { team_id: 't', member: 'u1' });
    expect((reply.body.detail as Array<{ loc: unknown[] }>).map((e) => e.loc)).toEqual([
      ['body', 'member', 'list[Member]'],
      ['body', 'member', 'Member'],
    ]);
  });

  it('ignores unknown fields', async () => {
    const reply = await post(ctx.emu, '/team/new', { team_id: 't1', favourite_colour: 'blue' });
    expect(reply.status).toBe(200);
    expect(reply.body).not.toHaveProperty('favourite_colour');
  });

  it('authenticates before validating fields', async () => {
    const reply = await post(ctx.emu, '/team/update', {}, {});
    expect(reply.status).toBe(401);
  });

  it('answers 404 {"detail":"Not Found"} for unknown routes and 405 for a wrong method', async () => {
    expect(await get(ctx.emu, '/team/list-all')).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    expect(await get(ctx.emu, '/team/new')).toMatchObject({ status: 405, body: { detail: 'Method Not Allowed' } });
  });

  it('keeps serving after a barrage of garbage', async () => {
    const garbage = ['{', 'null', '"x"', '[]', '{"team_id": null}', '{"team_ids": "t"}', '\u0000', '{"member": {}}'];
    for (const path of ['/team/new', '/team/delete', '/team/member_add', '/key/generate', '/user/new', '/key/delete']) {
      for (const body of garbage) {
        const reply = await call(ctx.emu, 'POST', path, body);
        expect([200, 400, 404, 422]).toContain(reply.status);
      }
    }
    expect((await get(ctx.emu, '/v1/models')).status).toBe(200);
  });
});
