/**
 * Activities against stubbed HTTP (undici MockAgent): odd answers, each "already so" branch, the failure
 * classification, cancellation and redaction of logs and failures.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { errors as undiciErrors } from 'undici';
import { createActivities } from '../../src/activities';
import { toFailure } from '../../src/activities/failures';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import {
  LiteLLMHttpError,
  LiteLLMInputError,
  LiteLLMResponseError,
  LiteLLMTransportError,
} from '../../src/litellm/errors';
import { deriveKey, hashKey } from '../../src/litellm/keys';
import { detailError, MASTER_KEY, MockLiteLLM, proxyError } from '../litellm/mock';
import { CapturingLogger, caught, DERIVATION_SECRET, failureText, inActivity, PROVISIONING } from './helpers';

const VIRTUAL_KEY = 'sk-userVIRTUALkey0123456789abcdEFGH';

function teamInfo(teamId: string, over: Record<string, unknown> = {}, memberships: unknown[] = []) {
  return {
    team_id: teamId,
    team_info: {
      team_id: teamId,
      team_alias: 'alias',
      max_budget: 20,
      spend: 5,
      metadata: { keep: 'me', version: 1 },
      members_with_roles: [
        { user_id: 'default_user_id', role: 'admin' },
        { user_id: 'u2', role: 'user' },
        { user_id: 'u1', role: 'user' },
      ],
      ...over,
    },
    team_memberships: memberships,
  };
}

describe('activities (stubbed HTTP)', () => {
  let mock: MockLiteLLM;
  let logger: CapturingLogger;
  let acts: ReturnType<typeof createActivities>;
  const failures: unknown[] = [];

  beforeEach(() => {
    mock = new MockLiteLLM();
    logger = new CapturingLogger();
    acts = createActivities({
      client: mock.client(),
      provisioning: PROVISIONING,
      liteLLMBaseUrl: 'https://llm.example.com',
      keyDerivationSecret: DERIVATION_SECRET,
    });
  });
  afterEach(async () => {
    await mock.close();
    // No secret or e-mail in anything logged, nor in any failure produced by the test.
    const text = logger.text() + failures.map(failureText).join('\n');
    expect(text).not.toContain(MASTER_KEY);
    expect(text).not.toContain(VIRTUAL_KEY);
    expect(text).not.toContain(DERIVATION_SECRET);
    expect(text).not.toMatch(/alice@/i);
    expect(text).not.toMatch(/sk-[A-Za-z0-9_-]{8,}/);
    failures.length = 0;
  });

  /** Run in an activity context and record the failure, if any, for the redaction check. */
  async function run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await inActivity(logger, fn);
    } catch (e) {
      failures.push(e);
      throw e;
    }
  }
  async function fail(fn: () => Promise<unknown>): Promise<ApplicationFailure> {
    const e = await caught(run(fn));
    expect(e).toBeInstanceOf(ApplicationFailure);
    return e as ApplicationFailure;
  }

  it('getProvisioningSettings needs no HTTP', async () => {
    await expect(acts.getProvisioningSettings()).resolves.toEqual({
      defaultTeamId: 'default-team',
      defaultInitialBudget: null,
      liteLLMBaseUrl: 'https://llm.example.com',
      defaultModel: 'litellm_proxy/minimax-m2.5',
      orgSettingsVersion: 5,
    });
    expect(mock.requests).toHaveLength(0);
  });

  it('newIssuanceId needs no HTTP and is a fresh 256-bit value each time', async () => {
    const ids = await Promise.all([acts.newIssuanceId(), acts.newIssuanceId()]);
    expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ids[1]).not.toBe(ids[0]);
    expect(mock.requests).toHaveLength(0);
  });

  describe('teams', () => {
    it('getTeam maps the snapshot without the proxy admin, 404 → null', async () => {
      mock.on('GET', '/team/info', () => ({
        status: 200,
        body: teamInfo('t', {}, [
          { user_id: 'default_user_id', team_id: 't', spend: 0, litellm_budget_table: null, budget_source: 'none' },
          { user_id: 'u2', team_id: 't', spend: 1, litellm_budget_table: { max_budget: 7 } },
          { user_id: 'u1', team_id: 't', spend: null, litellm_budget_table: null },
        ]),
      }));
      mock.on('GET', '/team/info', () =>
        proxyError(404, "{'message': 'Team not found, passed team id: x.'}", 'auth_error')
      );
      await expect(run(() => acts.getTeam({ teamId: 't' }))).resolves.toEqual({
        teamId: 't',
        teamAlias: 'alias',
        maxBudget: 20,
        spend: 5,
        metadata: { keep: 'me', version: 1 },
        memberUserIds: ['u1', 'u2'],
        memberships: [
          { userId: 'u1', maxBudgetInTeam: null, spend: 0 },
          { userId: 'u2', maxBudgetInTeam: 7, spend: 1 },
        ],
      });
      await expect(run(() => acts.getTeam({ teamId: 'x' }))).resolves.toBeNull();
    });

    it('listTeamMemberships pages in user-id order', async () => {
      const rows = ['c', 'a', 'b'].map((u) => ({ user_id: u, team_id: 't', spend: 0, litellm_budget_table: null }));
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('t', {}, rows) }), 2);
      const p1 = await run(() => acts.listTeamMemberships({ teamId: 't', offset: 0, limit: 2 }));
      const p2 = await run(() => acts.listTeamMemberships({ teamId: 't', offset: 2, limit: 2 }));
      expect(p1).toMatchObject({ userIds: ['a', 'b'], total: 3 });
      expect(p2).toMatchObject({ userIds: ['c'], total: 3 });
      expect(p2.memberships).toEqual([{ userId: 'c', maxBudgetInTeam: null, spend: 0 }]);
    });

    it('createTeam sends metadata and omits a null budget', async () => {
      mock.on('POST', '/team/new', () => ({ status: 200, body: { team_id: 't' } }));
      await expect(run(() => acts.createTeam({ teamId: 't', teamAlias: 'u', maxBudget: null }))).resolves.toEqual({
        created: true,
      });
      expect(mock.requests[0]!.body).toEqual({
        team_id: 't',
        team_alias: 'u',
        models: [],
        metadata: { version: 5, model: 'litellm_proxy/minimax-m2.5' },
      });
    });

    it('createTeam on an existing team updates alias and merged metadata, budget only when given', async () => {
      mock.on(
        'POST',
        '/team/new',
        () => proxyError(400, "{'error': 'Team id = t already exists. Please use a different team id.'}"),
        2
      );
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('t') }), 2);
      mock.on('POST', '/team/update', () => ({ status: 200, body: { team_id: 't', data: {} } }), 2);
      await expect(run(() => acts.createTeam({ teamId: 't', teamAlias: 'u', maxBudget: null }))).resolves.toEqual({
        created: false,
      });
      await run(() => acts.createTeam({ teamId: 't', teamAlias: 'u', maxBudget: 12 }));
      const updates = mock.requests.filter((r) => r.path === '/team/update');
      expect(updates[0]!.body).toEqual({
        team_id: 't',
        team_alias: 'u',
        metadata: { keep: 'me', version: 5, model: 'litellm_proxy/minimax-m2.5' },
      });
      expect(updates[1]!.body).toMatchObject({ max_budget: 12 });
    });

    it('updateTeam: null clears, undefined is not sent, nothing → no call', async () => {
      mock.on('POST', '/team/update', () => ({ status: 200, body: { team_id: 't' } }));
      await run(() => acts.updateTeam({ teamId: 't', maxBudget: null }));
      await run(() => acts.updateTeam({ teamId: 't' }));
      expect(mock.requests.map((r) => r.body)).toEqual([{ team_id: 't', max_budget: null }]);
    });

    it('deleteTeam: 404 → deleted false', async () => {
      mock.on('POST', '/team/delete', () => ({ status: 200, body: { deleted_teams: ['t'] } }));
      mock.on('POST', '/team/delete', () => detailError(404, { error: 'Team not found, passed team_id=t' }));
      await expect(run(() => acts.deleteTeam({ teamId: 't' }))).resolves.toEqual({ deleted: true });
      await expect(run(() => acts.deleteTeam({ teamId: 't' }))).resolves.toEqual({ deleted: false });
    });

    it('addUserToTeam: already in team → added false (by type)', async () => {
      mock.on('POST', '/team/member_add', () => ({ status: 200, body: { team_id: 't' } }));
      mock.on('POST', '/team/member_add', () =>
        proxyError(400, 'User already in team. Member: user_id=u', 'team_member_already_in_team', 'member')
      );
      await expect(run(() => acts.addUserToTeam({ userId: 'u', teamId: 't', maxBudgetInTeam: 3 }))).resolves.toEqual({
        added: true,
      });
      await expect(run(() => acts.addUserToTeam({ userId: 'u', teamId: 't', maxBudgetInTeam: 3 }))).resolves.toEqual({
        added: false,
      });
      expect(mock.requests[0]!.body).toEqual({
        team_id: 't',
        member: { user_id: 'u', role: 'user' },
        max_budget_in_team: 3,
      });
    });

    it('addUserToTeam: unknown team → LiteLLMNotFound', async () => {
      mock.on('POST', '/team/member_add', () =>
        detailError(404, { error: "Team doesn't exist in db. Team=t. Create team via `/team/new` call." })
      );
      const f = await fail(() => acts.addUserToTeam({ userId: 'u', teamId: 't', maxBudgetInTeam: null }));
      expect(f.type).toBe('LiteLLMNotFound');
      expect(f.nonRetryable).toBe(true);
    });

    it.each([
      ['not a member', detailError(400, { error: 'User not found in team' })],
      ['team gone', detailError(400, { error: 'Team id=t does not exist in db' })],
      ['404', detailError(404, { error: 'is not a member' })],
    ])('removeUserFromTeam: %s → removed false', async (_name, answer) => {
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('t') }));
      mock.on('POST', '/team/member_delete', () => answer);
      await expect(run(() => acts.removeUserFromTeam({ userId: 'u', teamId: 't' }))).resolves.toEqual({
        removed: false,
      });
    });

    it('removeUserFromTeam deletes the budget row the membership leaves, unless the team still uses it', async () => {
      const row = (user: string, budgetId: string) => ({ user_id: user, team_id: 't', spend: 0, budget_id: budgetId });
      mock.on('GET', '/team/info', () => ({
        status: 200,
        body: teamInfo('t', {}, [row('u1', 'b1'), row('u2', 'b2')]),
      }));
      mock.on('POST', '/team/member_delete', () => ({ status: 200, body: { team_id: 't' } }));
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('t', {}, [row('u2', 'b2')]) }));
      mock.on('POST', '/budget/delete', () => ({ status: 200, body: null }));
      await expect(run(() => acts.removeUserFromTeam({ userId: 'u1', teamId: 't' }))).resolves.toEqual({
        removed: true,
      });
      expect(mock.requests.filter((r) => r.path === '/budget/delete').map((r) => r.body)).toEqual([{ id: 'b1' }]);

      mock.on('GET', '/team/info', () => ({
        status: 200,
        body: teamInfo('t', {}, [row('u1', 'shared'), row('u2', 'shared')]),
      }));
      mock.on('POST', '/team/member_delete', () => ({ status: 200, body: { team_id: 't' } }));
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('t', {}, [row('u2', 'shared')]) }));
      await expect(run(() => acts.removeUserFromTeam({ userId: 'u1', teamId: 't' }))).resolves.toEqual({
        removed: true,
      });
      expect(mock.requests.filter((r) => r.path === '/budget/delete')).toHaveLength(1);
    });

    it('getUserTeamInfo: personal org uses the member row, team org the team budget', async () => {
      const rows = [
        { user_id: 'p', team_id: 'p', spend: 2, litellm_budget_table: { max_budget: 9 } },
        { user_id: 'u', team_id: 'org', spend: 1, litellm_budget_table: { max_budget: 4 } },
      ];
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('p', {}, rows) }));
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('org', {}, rows) }));
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('org', {}, []) }));
      await expect(run(() => acts.getUserTeamInfo({ userId: 'p', teamId: 'p' }))).resolves.toEqual({
        userId: 'p',
        teamId: 'p',
        spend: 2,
        maxBudgetInTeam: null,
        budgetMaxBudget: 9,
      });
      await expect(run(() => acts.getUserTeamInfo({ userId: 'u', teamId: 'org' }))).resolves.toEqual({
        userId: 'u',
        teamId: 'org',
        spend: 5,
        maxBudgetInTeam: 20,
        budgetMaxBudget: 4,
      });
      await expect(run(() => acts.getUserTeamInfo({ userId: 'u', teamId: 'org' }))).resolves.toBeNull();
    });
  });

  describe('users', () => {
    const row = (id: string) => ({
      user_id: id,
      user_email: 'alice@example.com',
      max_budget: 5,
      spend: 1,
      teams: ['x'],
    });
    // `/user/list?user_ids=` matches as a substring: the answer may hold other users than the one asked for.
    const listed =
      (...users: ReturnType<typeof row>[]) =>
      () => ({
        status: 200,
        body: { users, total: users.length, page: 1, page_size: 100, total_pages: users.length > 0 ? 1 : 0 },
      });
    const notListed = listed();
    const userInfo = (id: string) => () => ({ status: 200, body: { user_id: id, user_info: row(id), keys: [] } });
    const snapshot = { userId: 'u', email: 'alice@example.com', maxBudget: 5, spend: 1, teams: ['x'] };

    it('userExists: not listed → false, 500 throws (the seed said false)', async () => {
      mock.on('GET', '/user/list', notListed);
      mock.on('GET', '/user/list', () => proxyError(500, 'Internal Server Error, boom'));
      await expect(run(() => acts.userExists({ userId: 'u' }))).resolves.toBe(false);
      const f = await fail(() => acts.userExists({ userId: 'u' }));
      expect(f.type).toBe('LiteLLMUnavailable');
      expect(f.nonRetryable).toBe(false);
    });

    it('getUser reads the row by id from /user/list, not /user/info (e-mail kept in the result)', async () => {
      mock.on('GET', '/user/list', listed(row('u-2'), row('U'), row('u')));
      await expect(run(() => acts.getUser({ userId: 'u' }))).resolves.toEqual(snapshot);
      expect(mock.requests.map((r) => r.path)).toEqual(['/user/list?user_ids=u&page_size=100']);
    });

    it('a user listed only by ids that contain its own is unknown', async () => {
      mock.on('GET', '/user/list', listed(row('u-2'), row('U')));
      await expect(run(() => acts.getUser({ userId: 'u' }))).resolves.toBeNull();
      expect(mock.requests).toHaveLength(1);
    });

    it('more matching users than a page holds: /user/info decides', async () => {
      const others = Array.from({ length: 100 }, (_, i) => row(`u-${i}`));
      mock.on('GET', '/user/list', () => ({ status: 200, body: { users: others, total: 250, page: 1 } }));
      mock.on('GET', '/user/info', userInfo('u'));
      await expect(run(() => acts.getUser({ userId: 'u' }))).resolves.toEqual(snapshot);
      expect(mock.requests.map((r) => r.path.split('?')[0])).toEqual(['/user/list', '/user/info']);
    });

    it('an id with a comma (LiteLLM would split it) is read with /user/info; 404 → unknown', async () => {
      mock.on('GET', '/user/info', () => proxyError(404, 'User a,b not found'));
      await expect(run(() => acts.getUser({ userId: 'a,b' }))).resolves.toBeNull();
      expect(mock.requests.map((r) => r.path)).toEqual(['/user/info?user_id=a%2Cb']);
    });

    it("an id with a backslash (an escape in LiteLLM's pattern) is read with /user/info", async () => {
      mock.on('GET', '/user/info', userInfo('a\\b'));
      await expect(run(() => acts.getUser({ userId: 'a\\b' }))).resolves.toMatchObject({ userId: 'a\\b' });
      expect(mock.requests.map((r) => r.path)).toEqual(['/user/info?user_id=a%5Cb']);
    });

    it('createUser: existing user → existed, no user/new', async () => {
      mock.on('GET', '/user/list', listed(row('u')));
      await expect(run(() => acts.createUser({ userId: 'u', email: 'alice@example.com' }))).resolves.toEqual({
        outcome: 'existed',
      });
      expect(mock.requests.map((r) => r.path)).toEqual(['/user/list?user_ids=u&page_size=100']);
    });

    it('createUser: duplicate e-mail → retried once without it', async () => {
      mock.on('GET', '/user/list', notListed);
      mock.on('POST', '/user/new', () =>
        proxyError(400, "{'error': 'User with email alice@example.com already exists'}")
      );
      mock.on('POST', '/user/new', () => ({ status: 200, body: { user_id: 'u', key: '' } }));
      await expect(run(() => acts.createUser({ userId: 'u', email: 'alice@example.com' }))).resolves.toEqual({
        outcome: 'created',
      });
      const news = mock.requests.filter((r) => r.path === '/user/new');
      expect(news[0]!.body).toMatchObject({ user_email: 'alice@example.com', teams: ['default-team'] });
      expect(news[1]!.body).not.toHaveProperty('user_email');
    });

    it('createUser: any other error is not retried without the e-mail', async () => {
      mock.on('GET', '/user/list', notListed);
      mock.on('POST', '/user/new', () => proxyError(400, 'Organization not found'));
      const f = await fail(() => acts.createUser({ userId: 'u', email: 'alice@example.com' }));
      expect(f.type).toBe('LiteLLMValidationError');
      expect(mock.requests.filter((r) => r.path === '/user/new')).toHaveLength(1);
    });

    it('createUser: "already exists" but absent → LiteLLMUserMissing', async () => {
      mock.on('GET', '/user/list', notListed, 2);
      mock.on('POST', '/user/new', () => proxyError(409, 'User u already exists'));
      const f = await fail(() => acts.createUser({ userId: 'u', email: null }));
      expect(f.type).toBe('LiteLLMUserMissing');
      expect(f.nonRetryable).toBe(true);
    });

    it('updateUser refuses to create a missing user', async () => {
      mock.on('GET', '/user/list', notListed);
      const f = await fail(() => acts.updateUser({ userId: 'u', maxBudget: 1e9 }));
      expect(f.type).toBe('LiteLLMNotFound');
      expect(mock.requests.filter((r) => r.path === '/user/update')).toHaveLength(0);
    });

    it('updateUser to unlimited: a budget kept on null gets the sentinel; a user gone meanwhile is not found', async () => {
      const kept = { ...row('u'), max_budget: 5 };
      mock.on('GET', '/user/list', listed(kept), 2);
      mock.on('POST', '/user/update', () => ({ status: 200, body: { user_id: 'u' } }), 2);
      await run(() => acts.updateUser({ userId: 'u', maxBudget: null }));
      const updates = mock.requests.filter((r) => r.path === '/user/update').map((r) => r.body);
      expect(updates).toEqual([
        { user_id: 'u', max_budget: null },
        { user_id: 'u', max_budget: UNLIMITED_USER_BUDGET },
      ]);
      mock.on('GET', '/user/list', listed(kept));
      mock.on('POST', '/user/update', () => ({ status: 200, body: { user_id: 'u' } }));
      mock.on('GET', '/user/list', notListed);
      const f = await fail(() => acts.updateUser({ userId: 'u', maxBudget: null }));
      expect(f.type).toBe('LiteLLMNotFound');
    });

    it('deleteUser: 404 → deleted false', async () => {
      mock.on('POST', '/user/delete', () => detailError(404, { error: 'User not found, passed user_id=u' }));
      await expect(run(() => acts.deleteUser({ userId: 'u' }))).resolves.toEqual({ deleted: false });
    });
  });

  describe('keys', () => {
    const issuanceId = 'wf-1/run-1/generate-key';
    const derived = deriveKey(DERIVATION_SECRET, issuanceId);

    it('generateKey sends the derived key and returns it with its hash', async () => {
      mock.on('POST', '/key/generate', (req) => ({
        status: 200,
        body: { key: (req.body as { key: string }).key, token: hashKey(derived), key_alias: 'A' },
      }));
      const issued = await run(() => acts.generateKey({ userId: 'u', teamId: 't', keyAlias: 'A', issuanceId }));
      expect(issued).toEqual({ key: derived, tokenHash: hashKey(derived), keyAlias: 'A' });
      expect(mock.requests[0]!.body).toEqual({ key: derived, user_id: 'u', models: [], team_id: 't', key_alias: 'A' });
    });

    it('generateKey: alias taken by our own earlier attempt → the same key', async () => {
      mock.on('POST', '/key/generate', () =>
        proxyError(
          400,
          "Key with alias 'A' already exists. Unique key aliases across all keys are required.",
          'bad_request_error',
          'key_alias'
        )
      );
      mock.on('GET', '/key/info', () => ({ status: 200, body: { key: hashKey(derived), info: { key_alias: 'A' } } }));
      const issued = await run(() => acts.generateKey({ userId: 'u', teamId: 't', keyAlias: 'A', issuanceId }));
      expect(issued.key).toBe(derived);
      expect(mock.requests[1]!.path).toBe(`/key/info?key=${hashKey(derived)}`);
    });

    it('generateKey: alias held by another key → LiteLLMKeyAliasTaken', async () => {
      mock.on('POST', '/key/generate', () =>
        proxyError(400, "Key with alias 'A' already exists.", 'bad_request_error', 'key_alias')
      );
      mock.on('GET', '/key/info', () => proxyError(404, 'Key not found in database', 'not_found_error', 'key'));
      const f = await fail(() => acts.generateKey({ userId: 'u', teamId: 't', keyAlias: 'A', issuanceId }));
      expect(f.type).toBe('LiteLLMKeyAliasTaken');
      expect(f.nonRetryable).toBe(true);
    });

    it('deleteIssuedKey deletes by the derived hash', async () => {
      mock.on('POST', '/key/delete', () => ({ status: 200, body: { deleted_keys: [hashKey(derived)] } }));
      mock.on('POST', '/key/delete', () => proxyError(404, "{'error': 'No keys found'}"));
      await expect(run(() => acts.deleteIssuedKey({ issuanceId }))).resolves.toEqual({ deleted: true });
      await expect(run(() => acts.deleteIssuedKey({ issuanceId }))).resolves.toEqual({ deleted: false });
      expect(mock.requests[0]!.body).toEqual({ keys: [hashKey(derived)] });
    });

    it('deleteKey: unknown key → deletes the orphaned alias, deleted false', async () => {
      mock.on('POST', '/key/delete', () => proxyError(404, "{'error': 'No keys found'}"));
      mock.on('POST', '/key/delete', () => ({ status: 200, body: { deleted_keys: ['A'] } }));
      await expect(run(() => acts.deleteKey({ keyOrHash: VIRTUAL_KEY, keyAlias: 'A' }))).resolves.toEqual({
        deleted: false,
      });
      expect(mock.requests.map((r) => r.body)).toEqual([{ keys: [hashKey(VIRTUAL_KEY)] }, { key_aliases: ['A'] }]);
    });

    it('listUserKeys reads every page', async () => {
      const key = (n: number) => ({
        token: `${n}`.padStart(64, '0'),
        key_alias: `a${n}`,
        team_id: 't',
        key_name: 'sk-...abcd',
        metadata: null,
      });
      mock.on('GET', '/key/list', () => ({
        status: 200,
        body: {
          keys: Array.from({ length: 100 }, (_, i) => key(i)),
          total_count: 101,
          current_page: 1,
          total_pages: 2,
        },
      }));
      mock.on('GET', '/key/list', () => ({
        status: 200,
        body: { keys: [key(100)], total_count: 101, current_page: 2, total_pages: 2 },
      }));
      const keys = await run(() => acts.listUserKeys({ userId: 'u' }));
      expect(keys).toHaveLength(101);
      expect(keys[100]).toEqual({
        tokenHash: key(100).token,
        keyAlias: 'a100',
        teamId: 't',
        keyName: 'sk-...abcd',
        metadata: {},
      });
    });

    it('listUserKeys throws instead of returning [] on errors', async () => {
      mock.on('GET', '/key/list', () => proxyError(500, 'Internal Server Error, db'));
      const f = await fail(() => acts.listUserKeys({ userId: 'u' }));
      expect(f.type).toBe('LiteLLMUnavailable');
    });

    it('updateKey: unknown key → unknown_key; bad master key → LiteLLMAuthError', async () => {
      mock.on('POST', '/key/update', () =>
        proxyError(
          401,
          `Authentication Error: invalid user key - user key does not exist in db. User Key=${hashKey(VIRTUAL_KEY)}`,
          'auth_error'
        )
      );
      mock.on('POST', '/key/update', () =>
        proxyError(401, 'Authentication Error, Malformed API Key passed in.', 'auth_error')
      );
      await expect(run(() => acts.updateKey({ keyOrHash: VIRTUAL_KEY, teamId: 't' }))).resolves.toEqual({
        outcome: 'unknown_key',
      });
      const f = await fail(() => acts.updateKey({ keyOrHash: VIRTUAL_KEY, teamId: 't' }));
      expect(f.type).toBe('LiteLLMAuthError');
    });

    it('verifyExistingKey checks user, org and alias/type by hash', async () => {
      const alias = 'OpenHands Cloud - user u - org o';
      mock.on('GET', '/key/info', () => ({
        status: 200,
        body: { info: { user_id: 'u', team_id: 'o', key_alias: alias } },
      }));
      mock.on('GET', '/key/info', () => ({
        status: 200,
        body: { info: { user_id: 'u', team_id: 'o', key_alias: alias } },
      }));
      mock.on('GET', '/key/info', () => ({
        status: 200,
        body: { info: { user_id: 'u', team_id: 'o', metadata: { type: 'openhands' } } },
      }));
      mock.on('GET', '/key/info', () => proxyError(404, 'Key not found in database', 'not_found_error', 'key'));
      mock.on('GET', '/key/info', () => proxyError(503, 'down'));
      const v = (openhandsType: boolean, orgId = 'o') =>
        run(() => acts.verifyExistingKey({ userId: 'u', orgId, key: VIRTUAL_KEY, openhandsType }));
      await expect(v(false)).resolves.toBe(true);
      await expect(v(false, 'other')).resolves.toBe(false);
      await expect(v(true)).resolves.toBe(true);
      await expect(v(false)).resolves.toBe(false);
      const f = await fail(() => v(false));
      expect(f.type).toBe('LiteLLMUnavailable');
      await expect(
        run(() => acts.verifyExistingKey({ userId: 'u', orgId: 'o', key: '', openhandsType: false }))
      ).resolves.toBe(false);
    });

    it.each([
      ['200', { status: 200, body: { data: [], object: 'list' } }, 'valid'],
      [
        '401',
        proxyError(
          401,
          `Authentication Error, Invalid proxy server token passed. Received API Key = ${VIRTUAL_KEY}`,
          'token_not_found_in_db',
          'key'
        ),
        'invalid',
      ],
      ['403', proxyError(403, 'forbidden', 'auth_error'), 'invalid'],
      ['expired', proxyError(400, 'Authentication Error - Expired Key.', 'expired_key'), 'invalid'],
      ['over budget', proxyError(400, 'Budget has been exceeded!', 'budget_exceeded', null), 'valid'],
    ])('verifyKey: %s', async (_n, answer, expected) => {
      mock.on('GET', '/v1/models', () => answer);
      await expect(run(() => acts.verifyKey({ key: VIRTUAL_KEY }))).resolves.toBe(expected);
    });

    it('verifyKey: 5xx, timeouts and 429 throw retryable (no rotation on a blip)', async () => {
      mock.on('GET', '/v1/models', () => proxyError(503, 'down'));
      mock.on('GET', '/v1/models', () => ({ status: 200, body: { data: [] } }), 1, 2_000);
      mock.on('GET', '/v1/models', () => ({ ...proxyError(429, 'slow'), headers: { 'retry-after': '3' } }));
      const f1 = await fail(() => acts.verifyKey({ key: VIRTUAL_KEY }));
      const f2 = await fail(() => acts.verifyKey({ key: VIRTUAL_KEY }));
      const f3 = await fail(() => acts.verifyKey({ key: VIRTUAL_KEY }));
      expect([f1.type, f2.type, f3.type]).toEqual(['LiteLLMUnavailable', 'LiteLLMTimeout', 'LiteLLMRateLimited']);
      expect([f1, f2, f3].every((f) => !f.nonRetryable)).toBe(true);
      expect(f3.nextRetryDelay).toBe(3000);
    });
  });

  describe('cancellation', () => {
    it('cancelling the activity aborts its HTTP call', async () => {
      mock.on('GET', '/team/info', () => ({ status: 200, body: teamInfo('t') }), 1, 10_000);
      const env = new MockActivityEnvironment({}, { logger });
      const started = Date.now();
      const p = env.run(() => acts.getTeam({ teamId: 't' }));
      setTimeout(() => env.cancel(), 50);
      const e = await caught(p);
      expect(e).toBeInstanceOf(CancelledFailure);
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });

  it('logs and fails without secrets even when LiteLLM echoes them', async () => {
    mock.on('POST', '/key/generate', () =>
      proxyError(500, `Internal Server Error, ${MASTER_KEY} ${VIRTUAL_KEY} alice@example.com`)
    );
    const f = await fail(() =>
      acts.generateKey({ userId: 'alice@example.com', teamId: null, keyAlias: null, issuanceId: 'i' })
    );
    expect(f.type).toBe('LiteLLMUnavailable');
    expect(logger.lines.some((l) => l.level === 'WARN')).toBe(true);
  });
});

describe('toFailure', () => {
  const http = (status: number, extra: Partial<ConstructorParameters<typeof LiteLLMHttpError>[0]> = {}) =>
    new LiteLLMHttpError({ status, route: '/r', message: 'm', ...extra });
  const f = (e: unknown) => toFailure(e, 'act') as ApplicationFailure;

  it.each([
    ['http(400)', http(400), 'LiteLLMValidationError', true],
    ['http(422)', http(422), 'LiteLLMValidationError', true],
    ['http(401)', http(401), 'LiteLLMAuthError', true],
    ['http(403)', http(403), 'LiteLLMChangeRefused', true],
    ['http(404)', http(404), 'LiteLLMNotFound', true],
    ['http(409)', http(409), 'LiteLLMConflict', true],
    ['http(429)', http(429), 'LiteLLMRateLimited', false],
    ['http(500)', http(500), 'LiteLLMUnavailable', false],
    ['http(503)', http(503), 'LiteLLMUnavailable', false],
    [
      'http(400, { errorType: "no_db_connection" })',
      http(400, { errorType: 'no_db_connection' }),
      'LiteLLMUnavailable',
      false,
    ],
    ['new LiteLLMTransportError("/r", "timeout")', new LiteLLMTransportError('/r', 'timeout'), 'LiteLLMTimeout', false],
    [
      'new LiteLLMTransportError("/r", "connection", "ECONNRESET")',
      new LiteLLMTransportError('/r', 'connection', 'ECONNRESET'),
      'LiteLLMConnectionError',
      false,
    ],
    [
      'new LiteLLMResponseError("/r", 200, "a.b", "bad")',
      new LiteLLMResponseError('/r', 200, 'a.b', 'bad'),
      'LiteLLMResponseInvalid',
      true,
    ],
    ['new LiteLLMInputError("teamId", "empty")', new LiteLLMInputError('teamId', 'empty'), 'LiteLLMInputError', true],
    ['new Error("bug")', new Error('bug'), 'LiteLLMActivityError', false],
  ])('%s', (_name, err, type, nonRetryable) => {
    const failure = f(err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
  });

  it('carries Retry-After as nextRetryDelay and safe details', () => {
    const failure = f(http(429, { retryAfterMs: 2500, errorType: 'rate_limit' }));
    expect(failure.nextRetryDelay).toBe(2500);
    expect(failure.details).toEqual([{ activity: 'act', route: '/r', status: 429, errorType: 'rate_limit' }]);
  });

  it('an aborted call becomes a cancellation', () => {
    expect(toFailure(new LiteLLMTransportError('/r', 'aborted'), 'act')).toBeInstanceOf(CancelledFailure);
  });

  it('a socket error from undici is a connection failure', () => {
    const e = new LiteLLMTransportError('/r', 'connection', new undiciErrors.SocketError('x').code);
    expect(f(e).type).toBe('LiteLLMConnectionError');
  });
});
