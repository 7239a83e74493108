/**
 * The LiteLLM contract: request scripts for every route and answer the client and the activities rely on.
 * Each script runs against one target (the emulator in a dialect, or a real proxy) and records, per step,
 * what the client reads from the answer: status, LiteLLM's error type, which of the client's answer
 * predicates match (the message parts it recognises), whether the body has the shape the client's schema
 * needs, and the state read back afterwards. Two targets of the same version must record the same thing.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { parseErrorBody } from '../../src/litellm/error-body';
import {
  isAlreadyInTeam,
  isDuplicateEmail,
  isKeyAliasTaken,
  isMemberAbsent,
  isTeamAlreadyExists,
  isUnknownKey,
  isUserAlreadyExists,
  LiteLLMHttpError,
} from '../../src/litellm/errors';
import { hashKey } from '../../src/litellm/keys';
import * as S from '../../src/litellm/schemas';

export interface Target {
  url: string;
  masterKey: string;
}

/** One answer as the client sees it. */
export interface Observation {
  step: string;
  status: number;
  errorType?: string;
  /** The client's predicates that recognise this answer (e.g. `isUnknownKey`). */
  recognisedAs?: string[];
  /** Does the body satisfy the schema the client reads it with? */
  shapeOk?: boolean;
  /** State read back after the step (normalised: ids of this run replaced by their role). */
  state?: unknown;
}

const PREDICATES = {
  isTeamAlreadyExists,
  isAlreadyInTeam,
  isMemberAbsent,
  isDuplicateEmail,
  isUserAlreadyExists,
  isKeyAliasTaken,
  isUnknownKey,
};

interface Reply {
  status: number;
  body: unknown;
}

export class ScriptRun {
  readonly observations: Observation[] = [];
  /** Unique per run, so real proxies shared by several runs never collide. */
  readonly prefix = `ct-${randomUUID().slice(0, 8)}`;
  private readonly cleanup: Array<() => Promise<unknown>> = [];

  constructor(readonly target: Target) {}

  id(role: string): string {
    return `${this.prefix}-${role}`;
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown, key = this.target.masterKey): Promise<Reply> {
    const res = await fetch(this.target.url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // kept as text
    }
    return { status: res.status, body: json };
  }

  /** Send one request and record how the client reads the answer. */
  async step(
    name: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { schema?: z.ZodType; key?: string } = {}
  ): Promise<Reply> {
    const reply = await this.call(method, path, body, options.key);
    const obs: Observation = { step: name, status: reply.status };
    if (reply.status >= 400) {
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const parsed = parseErrorBody(text);
      const error = new LiteLLMHttpError({ status: reply.status, route: path, ...parsed });
      if (parsed.errorType) obs.errorType = parsed.errorType;
      obs.recognisedAs = Object.entries(PREDICATES)
        .filter(([, p]) => p(error))
        .map(([n]) => n);
    } else if (options.schema) {
      obs.shapeOk = options.schema.safeParse(reply.body).success;
    }
    this.observations.push(obs);
    return reply;
  }

  /** Record a read-back of state, normalised so two targets compare. */
  record(name: string, state: unknown): void {
    this.observations.push({ step: name, status: 0, state: this.normalise(state) });
  }

  onCleanup(fn: () => Promise<unknown>): void {
    this.cleanup.push(fn);
  }

  async dispose(): Promise<void> {
    for (const fn of this.cleanup.reverse()) await fn().catch(() => undefined);
  }

  private normalise(value: unknown): unknown {
    return JSON.parse(
      JSON.stringify(value ?? null)
        .split(this.prefix)
        .join('<run>')
    ) as unknown;
  }
}

type TeamInfo = z.infer<typeof S.TeamInfoResponse>;

/** A team as the activities read it: alias, budget, metadata, members and their budgets (proxy admin apart). */
async function readTeam(run: ScriptRun, teamId: string): Promise<unknown> {
  const r = await run.call('GET', `/team/info?team_id=${encodeURIComponent(teamId)}`);
  if (r.status !== 200) return { status: r.status };
  const info = r.body as TeamInfo;
  const t = info.team_info;
  return {
    alias: t.team_alias ?? null,
    maxBudget: t.max_budget ?? null,
    metadata: t.metadata ?? {},
    members: (t.members_with_roles ?? []).map((m) => `${m.user_id ?? '?'}:${m.role ?? '?'}`).sort(),
    memberBudgets: (info.team_memberships ?? [])
      .filter((m) => m.user_id !== 'default_user_id')
      .map((m) => `${m.user_id}:${m.litellm_budget_table?.max_budget ?? 'none'}`)
      .sort(),
  };
}

async function readUserBudget(run: ScriptRun, userId: string): Promise<unknown> {
  const r = await run.call('GET', `/user/info?user_id=${encodeURIComponent(userId)}`);
  if (r.status !== 200) return { status: r.status };
  return (r.body as z.infer<typeof S.UserInfoResponse>).user_info?.max_budget ?? null;
}

/** The ids `/user/list?user_ids=` answers for `part` (readUser picks the exact one among them). */
async function listedUserIds(run: ScriptRun, part: string): Promise<unknown> {
  const r = await run.call('GET', `/user/list?user_ids=${encodeURIComponent(part)}&page_size=100`);
  if (r.status !== 200) return { status: r.status };
  return (r.body as z.infer<typeof S.UserListResponse>).users.map((u) => u.user_id).sort();
}

async function budgetRowIds(run: ScriptRun): Promise<Set<string>> {
  const r = await run.call('GET', '/budget/list');
  return new Set((r.body as Array<{ budget_id: string }>).map((b) => b.budget_id));
}

/** Whether a key is gone as the client decides it: 404, or 1.108.5's `status: "deleted"`. */
async function keyGone(run: ScriptRun, key: string): Promise<boolean> {
  const r = await run.call('GET', `/key/info?key=${hashKey(key)}`);
  if (r.status === 404) return true;
  return (r.body as { info?: { status?: string } }).info?.status === 'deleted';
}

export interface Script {
  name: string;
  run(run: ScriptRun): Promise<void>;
}

const q = encodeURIComponent;

export const SCRIPTS: Script[] = [
  {
    name: 'teams: create, already exists, budgets null vs omitted vs a number, alias and metadata restored',
    async run(r) {
      const team = r.id('team');
      r.onCleanup(() => r.call('POST', '/team/delete', { team_ids: [team] }));
      await r.step(
        'team/new',
        'POST',
        '/team/new',
        { team_id: team, team_alias: 'a', metadata: { m: 1 }, max_budget: 5 },
        { schema: S.TeamNewResponse }
      );
      await r.step('team/new again', 'POST', '/team/new', { team_id: team });
      r.record('created team', await readTeam(r, team));
      await r.step('team/info', 'GET', `/team/info?team_id=${q(team)}`, undefined, { schema: S.TeamInfoResponse });
      await r.step(
        'team/update omitted budget',
        'POST',
        '/team/update',
        { team_id: team, team_alias: 'b' },
        { schema: S.TeamUpdateResponse }
      );
      r.record('budget kept when omitted', await readTeam(r, team));
      await r.step('team/update null budget', 'POST', '/team/update', { team_id: team, max_budget: null });
      r.record('budget cleared by null', await readTeam(r, team));
      await r.step('team/update restore', 'POST', '/team/update', {
        team_id: team,
        team_alias: null,
        max_budget: 7,
        metadata: { m: 2 },
      });
      r.record('alias cleared, metadata replaced', await readTeam(r, team));
      await r.step('team/info unknown', 'GET', `/team/info?team_id=${q(r.id('nope'))}`);
      await r.step('team/delete', 'POST', '/team/delete', { team_ids: [team] }, { schema: S.TeamDeleteResponse });
      await r.step('team/delete missing', 'POST', '/team/delete', { team_ids: [team] });
    },
  },
  {
    name: 'users: create, exists, e-mail taken, budget null vs a number, unknown, delete',
    async run(r) {
      const user = r.id('user');
      const email = `${r.prefix}@example.com`;
      r.onCleanup(() => r.call('POST', '/user/delete', { user_ids: [user, r.id('user2')] }));
      const base = { auto_create_key: false, send_invite_email: false, models: [] };
      await r.step(
        'user/new',
        'POST',
        '/user/new',
        { ...base, user_id: user, user_email: email },
        { schema: S.UserNewResponse }
      );
      await r.step('user/new existing id', 'POST', '/user/new', { ...base, user_id: user });
      await r.step('user/new e-mail taken', 'POST', '/user/new', {
        ...base,
        user_id: r.id('user2'),
        user_email: email,
      });
      await r.step('user/info', 'GET', `/user/info?user_id=${q(user)}`, undefined, { schema: S.UserInfoResponse });
      await r.step('user/list by id', 'GET', `/user/list?user_ids=${q(user)}&page_size=100`, undefined, {
        schema: S.UserListResponse,
      });
      r.record('users listed by their id', await listedUserIds(r, user));
      r.record('users listed by part of an id, in capitals', await listedUserIds(r, `${r.prefix}-USE`.toUpperCase()));
      r.record('users listed by an unknown id', await listedUserIds(r, r.id('nobody')));
      // ILIKE, unescaped: `%` is a wildcard, and a backslash escapes, so an id holding one is not listed by it.
      const backslashed = r.id('back\\slash');
      r.onCleanup(() => r.call('POST', '/user/delete', { user_ids: [backslashed] }));
      await r.call('POST', '/user/new', { ...base, user_id: backslashed });
      r.record('users listed by a pattern with %', await listedUserIds(r, `${r.prefix}-us%r`));
      r.record('users listed by an id with a backslash', await listedUserIds(r, backslashed));
      await r.step(
        'user/update 10',
        'POST',
        '/user/update',
        { user_id: user, max_budget: 10 },
        { schema: S.UserUpdateResponse }
      );
      r.record('user budget 10', await readUserBudget(r, user));
      await r.step('user/update omitted', 'POST', '/user/update', { user_id: user, spend: 0 });
      r.record('user budget kept when omitted', await readUserBudget(r, user));
      await r.step('user/update null', 'POST', '/user/update', { user_id: user, max_budget: null });
      r.record('user budget after null', await readUserBudget(r, user));
      await r.step('user/info unknown', 'GET', `/user/info?user_id=${q(r.id('nobody'))}`);
      await r.step('user/delete', 'POST', '/user/delete', { user_ids: [user] }, { schema: S.UserDeleteResponse });
      await r.step('user/delete missing', 'POST', '/user/delete', { user_ids: [user] });
    },
  },
  {
    name: 'members: add with a budget, already in team, member budgets null vs omitted vs a number, delete and its budget row',
    async run(r) {
      const team = r.id('team');
      const user = r.id('member');
      r.onCleanup(() => r.call('POST', '/team/delete', { team_ids: [team] }));
      r.onCleanup(() => r.call('POST', '/user/delete', { user_ids: [user] }));
      await r.call('POST', '/team/new', { team_id: team });
      await r.call('POST', '/user/new', { user_id: user, auto_create_key: false });
      r.record('proxy admin added as team admin', await readTeam(r, team));
      const member = { user_id: user, role: 'user' };
      await r.step(
        'member_add 125',
        'POST',
        '/team/member_add',
        { team_id: team, member, max_budget_in_team: 125 },
        { schema: S.TeamMemberAddResponse }
      );
      await r.step('member_add again', 'POST', '/team/member_add', { team_id: team, member });
      r.record('member budget 125', await readTeam(r, team));
      await r.step(
        'member_update 200',
        'POST',
        '/team/member_update',
        { team_id: team, user_id: user, max_budget_in_team: 200 },
        { schema: S.TeamMemberUpdateResponse }
      );
      await r.step('member_update omitted', 'POST', '/team/member_update', { team_id: team, user_id: user });
      r.record('member budget after omitted', await readTeam(r, team));
      await r.step('member_update 50', 'POST', '/team/member_update', {
        team_id: team,
        user_id: user,
        max_budget_in_team: 50,
      });
      await r.step('member_update null', 'POST', '/team/member_update', {
        team_id: team,
        user_id: user,
        max_budget_in_team: null,
      });
      r.record('member budget cleared by null', await readTeam(r, team));
      await r.step('member_update 30', 'POST', '/team/member_update', {
        team_id: team,
        user_id: user,
        max_budget_in_team: 30,
      });
      const info = (await r.call('GET', `/team/info?team_id=${q(team)}`)).body as TeamInfo;
      const rowId = info.team_memberships?.find((m) => m.user_id === user)?.budget_id ?? null;
      await r.step(
        'member_delete',
        'POST',
        '/team/member_delete',
        { team_id: team, user_id: user },
        { schema: S.TeamMemberDeleteResponse }
      );
      const rowsAfter = await budgetRowIds(r);
      r.record('budget row left by the removed membership', rowId !== null && rowsAfter.has(rowId));
      // Only this run's row: the proxy may be shared, other runs' rows are not ours to delete.
      if (rowId !== null) await r.step('budget/delete', 'POST', '/budget/delete', { id: rowId });
      await r.step('budget/delete missing', 'POST', '/budget/delete', { id: r.id('no-budget') });
      r.record('the row is gone after budget/delete', rowId !== null && !(await budgetRowIds(r)).has(rowId));
      await r.step('member_delete again', 'POST', '/team/member_delete', { team_id: team, user_id: user });
      await r.step('member_delete team gone', 'POST', '/team/member_delete', {
        team_id: r.id('no-team'),
        user_id: user,
      });
    },
  },
  {
    name: 'keys: generate, alias taken, info by hash, moves to missing and foreign teams, delete, deleted and unknown keys',
    async run(r) {
      const user = r.id('owner');
      const home = r.id('home');
      const foreign = r.id('foreign');
      const key = `sk-${r.prefix}-${randomUUID().replace(/-/g, '')}`;
      const other = `sk-${r.prefix}-${randomUUID().replace(/-/g, '')}`;
      r.onCleanup(() => r.call('POST', '/team/delete', { team_ids: [home, foreign] }));
      r.onCleanup(() => r.call('POST', '/user/delete', { user_ids: [user] }));
      await r.call('POST', '/user/new', { user_id: user, auto_create_key: false });
      await r.call('POST', '/team/new', { team_id: home });
      await r.call('POST', '/team/new', { team_id: foreign });
      await r.call('POST', '/team/member_add', { team_id: home, member: { user_id: user, role: 'user' } });
      const alias = r.id('alias');
      const gen = { user_id: user, team_id: home, key_alias: alias, models: [] };
      await r.step('key/generate', 'POST', '/key/generate', { ...gen, key }, { schema: S.KeyGenerateResponse });
      await r.step('key/generate alias taken', 'POST', '/key/generate', { ...gen, key: other });
      await r.step('key/info by hash', 'GET', `/key/info?key=${hashKey(key)}`, undefined, {
        schema: S.KeyInfoResponse,
      });
      await r.step(
        'key/list',
        'GET',
        `/key/list?user_id=${q(user)}&return_full_object=true&page=1&size=100`,
        undefined,
        { schema: S.KeyListResponse }
      );
      await r.step('v1/models with the key', 'GET', '/v1/models', undefined, { schema: S.ModelsResponse, key });
      await r.step('key/update to missing team', 'POST', '/key/update', {
        key: hashKey(key),
        team_id: r.id('missing'),
      });
      await r.step('key/update to foreign team', 'POST', '/key/update', { key: hashKey(key), team_id: foreign });
      await r.step(
        'key/update to null team',
        'POST',
        '/key/update',
        { key: hashKey(key), team_id: null },
        { schema: S.KeyUpdateResponse }
      );
      await r.step('key/delete', 'POST', '/key/delete', { keys: [hashKey(key)] }, { schema: S.KeyDeleteResponse });
      r.record('deleted key is gone for the client', await keyGone(r, key));
      await r.step('key/update deleted key', 'POST', '/key/update', { key: hashKey(key), team_id: home });
      await r.step('key/update unknown key', 'POST', '/key/update', { key: hashKey(other), team_id: home });
      await r.step('key/info unknown key', 'GET', `/key/info?key=${hashKey(other)}`);
      await r.step('key/delete missing', 'POST', '/key/delete', { keys: [hashKey(key)] });
      await r.step('key/delete missing alias', 'POST', '/key/delete', { key_aliases: [r.id('no-alias')] });
      await r.step('v1/models deleted key', 'GET', '/v1/models', undefined, { key });
    },
  },
  {
    name: 'v1/models: unknown, blocked and over-budget keys',
    async run(r) {
      const user = r.id('spender');
      r.onCleanup(() => r.call('POST', '/user/delete', { user_ids: [user] }));
      await r.call('POST', '/user/new', { user_id: user, auto_create_key: false });
      await r.step('v1/models unknown key', 'GET', '/v1/models', undefined, { key: `sk-${r.prefix}-unknown-0000` });
      const blocked = `sk-${r.prefix}-${randomUUID().replace(/-/g, '')}`;
      await r.call('POST', '/key/generate', { key: blocked, user_id: user, models: [] });
      await r.step('key/block', 'POST', '/key/block', { key: hashKey(blocked) });
      await r.step('v1/models blocked key', 'GET', '/v1/models', undefined, { key: blocked });
      const broke = `sk-${r.prefix}-${randomUUID().replace(/-/g, '')}`;
      await r.call('POST', '/key/generate', { key: broke, user_id: user, models: [], max_budget: 0 });
      await r.step('v1/models over-budget key', 'GET', '/v1/models', undefined, { key: broke });
    },
  },
];

/** What the client and the activities rely on, per step, in either version (checked on every target). */
export function checkClientReliance(observations: Observation[], version: string): void {
  const at = (step: string): Observation => {
    const found = observations.find((o) => o.step === step);
    if (!found) throw new Error(`contract step "${step}" did not run`);
    return found;
  };
  const recognised = (step: string, predicate: string): void => {
    expect({ step, recognisedAs: at(step).recognisedAs }).toEqual({
      step,
      recognisedAs: expect.arrayContaining([predicate]) as unknown,
    });
  };
  for (const o of observations) {
    if (o.shapeOk !== undefined) expect({ step: o.step, shapeOk: o.shapeOk }).toEqual({ step: o.step, shapeOk: true });
  }
  recognised('team/new again', 'isTeamAlreadyExists');
  recognised('member_add again', 'isAlreadyInTeam');
  recognised('member_delete again', 'isMemberAbsent');
  recognised('member_delete team gone', 'isMemberAbsent');
  recognised('user/new e-mail taken', 'isDuplicateEmail');
  recognised('key/generate alias taken', 'isKeyAliasTaken');
  recognised('key/update deleted key', 'isUnknownKey');
  recognised('key/update unknown key', 'isUnknownKey');
  expect(
    at('user/new existing id').status === 200 ||
      at('user/new existing id').recognisedAs?.includes('isUserAlreadyExists')
  ).toBe(true);
  expect(at('team/info unknown').status).toBe(404);
  expect(at('user/info unknown').status).toBe(404);
  // readUser reads `/user/list?user_ids=`: a case-insensitive ILIKE pattern, the exact id picked by the client.
  expect(at('users listed by their id').state).toEqual(expect.arrayContaining(['<run>-user']));
  expect(at('users listed by part of an id, in capitals').state).toEqual(expect.arrayContaining(['<run>-user']));
  expect(at('users listed by an unknown id').state).toEqual([]);
  expect(at('users listed by a pattern with %').state).toEqual(expect.arrayContaining(['<run>-user']));
  expect(at('users listed by an id with a backslash').state).toEqual([]);
  expect(at('key/info unknown key').status).toBe(404);
  for (const missing of [
    'team/delete missing',
    'user/delete missing',
    'key/delete missing',
    'key/delete missing alias',
  ]) {
    expect({ missing, status: at(missing).status }).toEqual({ missing, status: 404 });
  }
  expect(at('deleted key is gone for the client').state).toBe(true);
  expect(at('member budget cleared by null').state).toMatchObject({ memberBudgets: ['<run>-member:none'] });
  expect(at('budget cleared by null').state).toMatchObject({ maxBudget: null });
  expect(at('alias cleared, metadata replaced').state).toMatchObject({ alias: null, maxBudget: 7, metadata: { m: 2 } });
  expect(at('the row is gone after budget/delete').state).toBe(true);
  if (version === '1.108.5') {
    expect(at('user budget after null').state).toBeNull();
    expect(at('member budget after omitted').state).toMatchObject({ memberBudgets: ['<run>-member:200'] });
  }
}
