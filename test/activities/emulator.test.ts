/**
 * Every activity against the LiteLLM emulator: success paths, idempotency (called twice; answer dropped
 * after the change was applied), each failure class, cancellation, convergence under random faults, and
 * that no log line or failure carries the master key or a virtual key.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startEmulator } from '../../emulator';
import type { Emulator, StateSnapshot } from '../../emulator/types';
import { createActivities } from '../../src/activities';
import { LOCAL_ACTIVITY_MAX_RETRY_DELAY_MS } from '../../src/activities/failures';
import type { LiteLLMConfig } from '../../src/config';
import { byorKeyAlias, openHandsCloudKeyAlias } from '../../src/domain/aliases';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { LiteLLMClient } from '../../src/litellm/client';
import { deriveKey, hashKey } from '../../src/litellm/keys';
import {
  CapturingLogger,
  caught,
  DERIVATION_SECRET,
  failureText,
  inActivity,
  PROVISIONING,
  withRetries,
} from './helpers';

const MASTER_KEY = 'sk-emulator-MASTER-0123456789abcdefXYZ';
const EMAIL = 'alice.emu@example.com';

type Activities = ReturnType<typeof createActivities>;

let emu: Emulator;
const clients: LiteLLMClient[] = [];
const logger = new CapturingLogger();
/** Every failure any activity produced in this file (checked for secrets at the end). */
const producedFailures: unknown[] = [];
/** Every plaintext virtual key this file saw (issued or seeded). */
const plaintextKeys = new Set<string>();

function config(overrides: Partial<LiteLLMConfig> = {}): LiteLLMConfig {
  return {
    baseUrl: emu.url,
    masterKey: MASTER_KEY,
    authHeader: 'authorization',
    changedBy: 'jest-emulator',
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    maxConnections: 8,
    keyVerifyTimeoutMs: 500,
    ...overrides,
  };
}

function activities(overrides: Partial<LiteLLMConfig> = {}): Activities {
  const client = new LiteLLMClient(config(overrides));
  clients.push(client);
  return createActivities({
    client,
    provisioning: PROVISIONING,
    liteLLMBaseUrl: emu.url,
    keyDerivationSecret: DERIVATION_SECRET,
  });
}

/** Run one activity call in an activity context, recording its failure. */
async function run<T>(fn: () => Promise<T>, info: { attempt?: number; isLocal?: boolean } = {}): Promise<T> {
  try {
    const result = await inActivity(logger, fn, info);
    if (result && typeof result === 'object' && 'key' in result && typeof result.key === 'string') {
      plaintextKeys.add(result.key);
    }
    return result;
  } catch (e) {
    producedFailures.push(e);
    throw e;
  }
}

async function fails(fn: () => Promise<unknown>): Promise<ApplicationFailure> {
  const e = await caught(run(fn));
  expect(e).toBeInstanceOf(ApplicationFailure);
  return e as ApplicationFailure;
}

/** Re-invoke on retryable failures, as Temporal would. */
async function retried<T>(fn: () => Promise<T>): Promise<T> {
  return (await withRetries(() => run(fn), 100)).result;
}

function seedKey(input: Parameters<Emulator['seed']['key']>[0]) {
  const k = emu.seed.key(input);
  plaintextKeys.add(k.key);
  return k;
}

function dropNext(route: string) {
  emu.faults.add({ route, kind: 'drop_after_apply', times: 1 });
}

let acts: Activities;

beforeAll(async () => {
  emu = await startEmulator({ masterKey: MASTER_KEY, port: 0 });
});

beforeEach(() => {
  emu.reset();
  acts = activities();
  emu.seed.team({ team_id: 'default-team', team_alias: 'default' });
});

afterEach(() => {
  // No plaintext key ever travels in a URL (key/info is asked by hash).
  for (const j of emu.journal()) expect(`${j.path} ${JSON.stringify(j.query)}`).not.toContain('sk-');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.stop();
  // Redaction over the whole suite: no master key, no virtual key, no e-mail in any log line or failure.
  const text = logger.text() + '\n' + producedFailures.map(failureText).join('\n');
  expect(logger.lines.length).toBeGreaterThan(0);
  expect(producedFailures.length).toBeGreaterThan(0);
  expect(text).not.toContain(MASTER_KEY);
  expect(text).not.toContain(DERIVATION_SECRET);
  expect(text).not.toContain(EMAIL);
  for (const key of plaintextKeys) expect(text).not.toContain(key);
  expect(plaintextKeys.size).toBeGreaterThan(5);
});

describe('authentication header variants', () => {
  it.each(['authorization', 'x-goog-api-key', 'x-litellm-api-key'])('%s', async (authHeader) => {
    const a = activities({ authHeader });
    await expect(run(() => a.getTeam({ teamId: 'default-team' }))).resolves.toMatchObject({ teamId: 'default-team' });
  });

  it('a wrong master key is LiteLLMAuthError', async () => {
    const a = activities({ masterKey: 'sk-wrong-master-key-0123456789' });
    const f = await fails(() => a.getTeam({ teamId: 'default-team' }));
    expect(f.type).toBe('LiteLLMAuthError');
    expect(f.nonRetryable).toBe(true);
  });

  it('a custom key header configured on the proxy', async () => {
    const custom = await startEmulator({ masterKey: MASTER_KEY, port: 0, customAuthHeader: 'x-proxy-key' });
    const client = new LiteLLMClient({ ...config({ authHeader: 'x-proxy-key' }), baseUrl: custom.url });
    try {
      const a = createActivities({
        client,
        provisioning: PROVISIONING,
        liteLLMBaseUrl: custom.url,
        keyDerivationSecret: DERIVATION_SECRET,
      });
      custom.seed.team({ team_id: 't' });
      await expect(run(() => a.getTeam({ teamId: 't' }))).resolves.toMatchObject({ teamId: 't' });
      const issued = await run(() =>
        a.generateKey({ userId: 'u', teamId: null, keyAlias: null, issuanceId: 'custom-1' })
      );
      await expect(run(() => a.verifyKey({ key: issued.key }))).resolves.toBe('valid');
    } finally {
      await client.close();
      await custom.stop();
    }
  });
});

describe('teams', () => {
  it('createTeam creates with metadata and no budget when null; again → created false', async () => {
    await expect(run(() => acts.createTeam({ teamId: 'org1', teamAlias: 'u1', maxBudget: null }))).resolves.toEqual({
      created: true,
    });
    const team = emu.snapshot().teams.find((t) => t.team_id === 'org1')!;
    expect(team.max_budget).toBeNull();
    expect(team.team_alias).toBe('u1');
    expect(team.metadata).toEqual({ version: 5, model: 'litellm_proxy/minimax-m2.5' });
    await expect(run(() => acts.createTeam({ teamId: 'org1', teamAlias: 'u2', maxBudget: null }))).resolves.toEqual({
      created: false,
    });
    await run(() => acts.createTeam({ teamId: 'org1', teamAlias: 'u2', maxBudget: 30 }));
    const after = emu.snapshot().teams.find((t) => t.team_id === 'org1')!;
    expect(after).toMatchObject({ team_alias: 'u2', max_budget: 30 });
  });

  it('createTeam with its answer dropped after apply converges', async () => {
    dropNext('/team/new');
    const result = await retried(() => acts.createTeam({ teamId: 'org1', teamAlias: 'u1', maxBudget: 10 }));
    expect(result).toEqual({ created: false });
    expect(emu.snapshot().teams.filter((t) => t.team_id === 'org1')).toHaveLength(1);
    expect(emu.snapshot().teams.find((t) => t.team_id === 'org1')!.max_budget).toBe(10);
  });

  it('createTeam keeps other stored metadata', async () => {
    emu.seed.team({ team_id: 'org1', metadata: { keep: true, version: 1 } });
    await run(() => acts.createTeam({ teamId: 'org1', teamAlias: 'u1', maxBudget: null }));
    expect(emu.snapshot().teams.find((t) => t.team_id === 'org1')!.metadata).toEqual({
      keep: true,
      version: 5,
      model: 'litellm_proxy/minimax-m2.5',
    });
  });

  it('getTeam and listTeamMemberships', async () => {
    await expect(run(() => acts.getTeam({ teamId: 'nope' }))).resolves.toBeNull();
    emu.seed.team({
      team_id: 'org1',
      max_budget: 40,
      members: [
        { user_id: 'b', role: 'user' },
        { user_id: 'a', role: 'user' },
      ],
    });
    for (const u of ['c', 'a', 'b']) {
      emu.seed.user({ user_id: u });
      emu.seed.membership({ user_id: u, team_id: 'org1', max_budget_in_team: 5 });
    }
    const snap = await run(() => acts.getTeam({ teamId: 'org1' }));
    expect(snap).toMatchObject({ teamId: 'org1', maxBudget: 40, spend: 0 });
    expect(snap!.memberUserIds).toEqual(expect.arrayContaining(['a', 'b']));
    expect(snap!.memberships.map((m) => m.userId)).toEqual(['a', 'b', 'c']);
    const page = await run(() => acts.listTeamMemberships({ teamId: 'org1', offset: 1, limit: 1 }));
    expect(page).toMatchObject({ userIds: ['b'], total: 3 });
    const f = await fails(() => acts.listTeamMemberships({ teamId: 'nope', offset: 0, limit: 10 }));
    expect(f.type).toBe('LiteLLMNotFound');
  });

  it('updateTeam sets and clears the budget', async () => {
    emu.seed.team({ team_id: 'org1', max_budget: 5 });
    await run(() => acts.updateTeam({ teamId: 'org1', maxBudget: 50 }));
    expect(emu.snapshot().teams.find((t) => t.team_id === 'org1')!.max_budget).toBe(50);
    await run(() => acts.updateTeam({ teamId: 'org1', maxBudget: null }));
    expect(emu.snapshot().teams.find((t) => t.team_id === 'org1')!.max_budget).toBeNull();
    const f = await fails(() => acts.updateTeam({ teamId: 'nope', maxBudget: 1 }));
    expect(f.type).toBe('LiteLLMNotFound');
  });

  it('deleteTeam twice, and with a dropped answer', async () => {
    emu.seed.team({ team_id: 'org1' });
    emu.seed.team({ team_id: 'org2' });
    await expect(run(() => acts.deleteTeam({ teamId: 'org1' }))).resolves.toEqual({ deleted: true });
    await expect(run(() => acts.deleteTeam({ teamId: 'org1' }))).resolves.toEqual({ deleted: false });
    dropNext('/team/delete');
    await expect(retried(() => acts.deleteTeam({ teamId: 'org2' }))).resolves.toEqual({ deleted: false });
    expect(emu.snapshot().teams.map((t) => t.team_id)).toEqual(['default-team']);
  });
});

describe('users', () => {
  it('createUser creates once, joins the default team, existed afterwards', async () => {
    await expect(run(() => acts.createUser({ userId: 'u1', email: EMAIL }))).resolves.toEqual({ outcome: 'created' });
    await expect(run(() => acts.createUser({ userId: 'u1', email: EMAIL }))).resolves.toEqual({ outcome: 'existed' });
    const user = emu.snapshot().users.find((u) => u.user_id === 'u1')!;
    expect(user).toMatchObject({ user_email: EMAIL, metadata: { version: 5, model: 'litellm_proxy/minimax-m2.5' } });
    expect(user.teams).toContain('default-team');
    expect(emu.snapshot().keys).toHaveLength(0); // no auto-created key
  });

  it('createUser with a dropped answer converges to one user', async () => {
    dropNext('/user/new');
    await expect(retried(() => acts.createUser({ userId: 'u1', email: EMAIL }))).resolves.toEqual({
      outcome: 'existed',
    });
    expect(emu.snapshot().users.filter((u) => u.user_id === 'u1')).toHaveLength(1);
  });

  it('createUser: an e-mail used by another user → created without it', async () => {
    emu.seed.user({ user_id: 'other', user_email: EMAIL });
    await expect(run(() => acts.createUser({ userId: 'u1', email: EMAIL }))).resolves.toEqual({ outcome: 'created' });
    expect(emu.snapshot().users.find((u) => u.user_id === 'u1')!.user_email).toBeNull();
  });

  it('userExists, getUser', async () => {
    await expect(run(() => acts.userExists({ userId: 'u1' }))).resolves.toBe(false);
    await expect(run(() => acts.getUser({ userId: 'u1' }))).resolves.toBeNull();
    emu.seed.user({ user_id: 'u1', user_email: EMAIL, max_budget: 12, spend: 3, teams: ['default-team'] });
    await expect(run(() => acts.userExists({ userId: 'u1' }))).resolves.toBe(true);
    await expect(run(() => acts.getUser({ userId: 'u1' }))).resolves.toEqual({
      userId: 'u1',
      email: EMAIL,
      maxBudget: 12,
      spend: 3,
      teams: ['default-team'],
    });
  });

  it('updateUser writes absolute values, the sentinel for unlimited, and never creates a user', async () => {
    emu.seed.user({ user_id: 'u1', max_budget: 12, spend: 3 });
    await run(() => acts.updateUser({ userId: 'u1', maxBudget: null }));
    await run(() => acts.updateUser({ userId: 'u1', maxBudget: null }));
    expect(emu.snapshot().users.find((u) => u.user_id === 'u1')!.max_budget).toBe(UNLIMITED_USER_BUDGET);
    await run(() => acts.updateUser({ userId: 'u1', maxBudget: 7, spend: 0 }));
    expect(emu.snapshot().users.find((u) => u.user_id === 'u1')).toMatchObject({ max_budget: 7, spend: 0 });
    const f = await fails(() => acts.updateUser({ userId: 'ghost', maxBudget: 1 }));
    expect(f.type).toBe('LiteLLMNotFound');
    expect(emu.snapshot().users.some((u) => u.user_id === 'ghost')).toBe(false);
  });

  it("updateUser justRead: the first attempt trusts the run's read, a retry checks again", async () => {
    emu.seed.user({ user_id: 'u1', max_budget: 12 });
    emu.clearJournal();
    await run(() => acts.updateUser({ userId: 'u1', maxBudget: 5, justRead: true }));
    expect(emu.journal().map((e) => e.path)).toEqual(['/user/update']);
    const f = await caught(
      run(() => acts.updateUser({ userId: 'ghost', maxBudget: 1, justRead: true }), { attempt: 2 })
    );
    expect((f as ApplicationFailure).type).toBe('LiteLLMNotFound');
    expect(emu.snapshot().users.some((u) => u.user_id === 'ghost')).toBe(false);
  });

  it('deleteUser twice', async () => {
    emu.seed.user({ user_id: 'u1' });
    await expect(run(() => acts.deleteUser({ userId: 'u1' }))).resolves.toEqual({ deleted: true });
    await expect(run(() => acts.deleteUser({ userId: 'u1' }))).resolves.toEqual({ deleted: false });
  });
});

describe('memberships', () => {
  beforeEach(() => {
    emu.seed.user({ user_id: 'u1' });
    emu.seed.team({ team_id: 'org1', max_budget: 100, spend: 4 });
  });

  it('addUserToTeam once, twice, and with a dropped answer', async () => {
    await expect(run(() => acts.addUserToTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 25 }))).resolves.toEqual(
      { added: true }
    );
    await expect(run(() => acts.addUserToTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 25 }))).resolves.toEqual(
      { added: false }
    );
    emu.seed.user({ user_id: 'u2' });
    dropNext('/team/member_add');
    await expect(
      retried(() => acts.addUserToTeam({ userId: 'u2', teamId: 'org1', maxBudgetInTeam: null }))
    ).resolves.toEqual({
      added: false,
    });
    const snap = emu.snapshot();
    const members = snap.teams.find((t) => t.team_id === 'org1')!.members_with_roles.map((m) => m.user_id);
    expect(members.filter((m) => m === 'u1')).toHaveLength(1);
    expect(members.filter((m) => m === 'u2')).toHaveLength(1);
    expect(snap.memberships.filter((m) => m.team_id === 'org1')).toEqual([
      expect.objectContaining({ user_id: 'u1', max_budget: 25 }),
    ]);
  });

  it('addUserToTeam on a missing team → LiteLLMNotFound', async () => {
    const f = await fails(() => acts.addUserToTeam({ userId: 'u1', teamId: 'nope', maxBudgetInTeam: null }));
    expect(f.type).toBe('LiteLLMNotFound');
  });

  it('getUserTeamInfo: personal and team org', async () => {
    await expect(run(() => acts.getUserTeamInfo({ userId: 'u1', teamId: 'org1' }))).resolves.toBeNull();
    emu.seed.team({ team_id: 'u1', max_budget: 9 });
    emu.seed.membership({ user_id: 'u1', team_id: 'u1', max_budget_in_team: 9, spend: 2 });
    emu.seed.membership({ user_id: 'u1', team_id: 'org1', max_budget_in_team: 30, spend: 1 });
    await expect(run(() => acts.getUserTeamInfo({ userId: 'u1', teamId: 'u1' }))).resolves.toEqual({
      userId: 'u1',
      teamId: 'u1',
      spend: 2,
      maxBudgetInTeam: null,
      budgetMaxBudget: 9,
    });
    await expect(run(() => acts.getUserTeamInfo({ userId: 'u1', teamId: 'org1' }))).resolves.toEqual({
      userId: 'u1',
      teamId: 'org1',
      spend: 4,
      maxBudgetInTeam: 100,
      budgetMaxBudget: 30,
    });
    await expect(run(() => acts.getUserTeamInfo({ userId: 'u1', teamId: 'nope' }))).resolves.toBeNull();
  });

  it('updateUserInTeam sets a budget and clears it', async () => {
    await run(() => acts.addUserToTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 5 }));
    await run(() => acts.updateUserInTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 60 }));
    await run(() => acts.updateUserInTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 60 }));
    const m = () => emu.snapshot().memberships.find((x) => x.user_id === 'u1' && x.team_id === 'org1');
    expect(m()?.max_budget).toBe(60);
    await run(() => acts.updateUserInTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: null }));
    expect(m()?.max_budget ?? null).toBeNull();
  });

  it('removeUserFromTeam twice, and on a missing team', async () => {
    await run(() => acts.addUserToTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: null }));
    await expect(run(() => acts.removeUserFromTeam({ userId: 'u1', teamId: 'org1' }))).resolves.toEqual({
      removed: true,
    });
    await expect(run(() => acts.removeUserFromTeam({ userId: 'u1', teamId: 'org1' }))).resolves.toEqual({
      removed: false,
    });
    await expect(run(() => acts.removeUserFromTeam({ userId: 'u1', teamId: 'nope' }))).resolves.toEqual({
      removed: false,
    });
  });
});

describe('keys', () => {
  beforeEach(() => {
    emu.seed.user({ user_id: 'u1' });
    emu.seed.team({ team_id: 'org1', members: [{ user_id: 'u1', role: 'user' }] });
    emu.seed.team({ team_id: 'org2', members: [{ user_id: 'u1', role: 'user' }] });
  });
  const alias = openHandsCloudKeyAlias('u1', 'org1');

  it('generateKey issues the derived key; calling again returns the same key, one row', async () => {
    const first = await run(() =>
      acts.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: alias, issuanceId: 'i-1' })
    );
    expect(first.key).toBe(deriveKey(DERIVATION_SECRET, 'i-1'));
    expect(first.tokenHash).toBe(hashKey(first.key));
    const again = await run(() =>
      acts.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: alias, issuanceId: 'i-1' })
    );
    expect(again).toEqual(first);
    const keys = emu.snapshot().keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ token: first.tokenHash, key_alias: alias, user_id: 'u1', team_id: 'org1' });
    await expect(run(() => acts.verifyKey({ key: first.key }))).resolves.toBe('valid');
  });

  it.each([
    ['with an alias', alias],
    ['without an alias', null],
  ])('generateKey %s: answer dropped after apply → one live key, the same one', async (_n, keyAlias) => {
    dropNext('/key/generate');
    const issued = await retried(() =>
      acts.generateKey({
        userId: 'u1',
        teamId: 'org1',
        keyAlias,
        metadata: { type: 'openhands' },
        issuanceId: 'i-drop',
      })
    );
    const keys = emu.snapshot().keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]!.token).toBe(issued.tokenHash);
    expect(issued.key).toBe(deriveKey(DERIVATION_SECRET, 'i-drop'));
    await expect(run(() => acts.verifyKey({ key: issued.key }))).resolves.toBe('valid');
  });

  it('generateKey: the alias held by another key → LiteLLMKeyAliasTaken', async () => {
    seedKey({ user_id: 'u1', team_id: 'org1', key_alias: alias });
    const f = await fails(() => acts.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: alias, issuanceId: 'i-2' }));
    expect(f.type).toBe('LiteLLMKeyAliasTaken');
    expect(emu.snapshot().keys).toHaveLength(1);
  });

  it('deleteIssuedKey undoes an issuance, even twice', async () => {
    await run(() => acts.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: alias, issuanceId: 'i-3' }));
    seedKey({ user_id: 'u1', team_id: 'org2', key_alias: 'someone else' });
    await expect(run(() => acts.deleteIssuedKey({ issuanceId: 'i-3' }))).resolves.toEqual({ deleted: true });
    await expect(run(() => acts.deleteIssuedKey({ issuanceId: 'i-3' }))).resolves.toEqual({ deleted: false });
    expect(emu.snapshot().keys.map((k) => k.key_alias)).toEqual(['someone else']);
  });

  it('getKeyInfo by hash or key', async () => {
    const k = seedKey({ user_id: 'u1', team_id: 'org1', key_alias: alias, spend: 2, max_budget: 9 });
    const expected = { tokenHash: k.token, keyAlias: alias, teamId: 'org1', userId: 'u1', spend: 2, maxBudget: 9 };
    await expect(run(() => acts.getKeyInfo({ keyHash: k.token }))).resolves.toEqual(expected);
    await expect(run(() => acts.getKeyInfo({ keyHash: k.key }))).resolves.toEqual(expected);
    await expect(run(() => acts.getKeyInfo({ keyHash: hashKey('sk-unknown-key-000000000000') }))).resolves.toBeNull();
    // The journal shows only the hash in the URL.
    expect(emu.journal().some((j) => JSON.stringify(j).includes(k.key))).toBe(false);
  });

  it('verifyExistingKey', async () => {
    const cloud = seedKey({ user_id: 'u1', team_id: 'org1', key_alias: alias });
    const byor = seedKey({ user_id: 'u1', team_id: 'org1', key_alias: byorKeyAlias('u1', 'org1') });
    const oh = seedKey({ user_id: 'u1', team_id: 'org1', metadata: { type: 'openhands' } });
    const other = seedKey({ user_id: 'u1', team_id: 'org2', key_alias: alias + ' x' });
    const v = (key: string, openhandsType: boolean) =>
      run(() => acts.verifyExistingKey({ userId: 'u1', orgId: 'org1', key, openhandsType }));
    await expect(v(cloud.key, false)).resolves.toBe(true);
    await expect(v(byor.key, false)).resolves.toBe(true);
    await expect(v(oh.key, true)).resolves.toBe(true);
    await expect(v(oh.key, false)).resolves.toBe(false);
    await expect(v(cloud.key, true)).resolves.toBe(false);
    await expect(v(other.key, false)).resolves.toBe(false);
    await expect(v('sk-not-a-known-key-0000000000', false)).resolves.toBe(false);
    emu.faults.add({ route: '/key/info', kind: 'status', status: 500, times: 1 });
    const f = await fails(() => v(cloud.key, false));
    expect(f.type).toBe('LiteLLMUnavailable');
  });

  it('deleteKey, deleteKeyByAlias', async () => {
    const k = seedKey({ user_id: 'u1', team_id: 'org1', key_alias: alias });
    await expect(run(() => acts.deleteKey({ keyOrHash: k.key, keyAlias: alias }))).resolves.toEqual({ deleted: true });
    await expect(run(() => acts.deleteKey({ keyOrHash: k.key, keyAlias: alias }))).resolves.toEqual({ deleted: false });
    seedKey({ user_id: 'u1', team_id: 'org1', key_alias: alias });
    // Unknown key with an orphaned alias: the alias is cleared (F8).
    await expect(run(() => acts.deleteKey({ keyOrHash: k.token, keyAlias: alias }))).resolves.toEqual({
      deleted: false,
    });
    expect(emu.snapshot().keys).toHaveLength(0);
    seedKey({ user_id: 'u1', team_id: 'org1', key_alias: 'b' });
    dropNext('/key/delete');
    await expect(retried(() => acts.deleteKeyByAlias({ keyAlias: 'b' }))).resolves.toEqual({ deleted: false });
    await expect(run(() => acts.deleteKeyByAlias({ keyAlias: 'b' }))).resolves.toEqual({ deleted: false });
    expect(emu.snapshot().keys).toHaveLength(0);
  });

  it('listUserKeys reads every page', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 130; i++) tokens.add(seedKey({ user_id: 'u1', team_id: 'org1', key_alias: `k${i}` }).token);
    seedKey({ user_id: 'someone-else', key_alias: 'not mine' });
    const keys = await run(() => acts.listUserKeys({ userId: 'u1' }));
    expect(keys).toHaveLength(130);
    expect(new Set(keys.map((k) => k.tokenHash))).toEqual(tokens);
    expect(keys[0]).toMatchObject({ teamId: 'org1', metadata: {} });
    expect(keys[0]!.keyName).toMatch(/^sk-\.\.\./);
  });

  it('updateKey moves a key; an unknown key is reported', async () => {
    const k = seedKey({ user_id: 'u1', team_id: 'org1', key_alias: alias });
    await expect(run(() => acts.updateKey({ keyOrHash: k.token, teamId: 'org2' }))).resolves.toEqual({
      outcome: 'updated',
    });
    await expect(run(() => acts.updateKey({ keyOrHash: k.token, teamId: 'org2' }))).resolves.toEqual({
      outcome: 'updated',
    });
    expect(emu.snapshot().keys[0]!.team_id).toBe('org2');
    await expect(
      run(() => acts.updateKey({ keyOrHash: hashKey('sk-unknown-0000000000000000'), teamId: 'org2' }))
    ).resolves.toEqual({
      outcome: 'unknown_key',
    });
  });

  it('setKeyTeams moves several keys, each to its own team; unknown keys are counted', async () => {
    const a = seedKey({ user_id: 'u1', team_id: 'org1' });
    const b = seedKey({ user_id: 'u1', team_id: 'org2' });
    const unknownHash = hashKey('sk-unknown-0000000000000000');
    const moved = await run(() =>
      acts.setKeyTeams({
        keys: [
          { tokenHash: a.token, teamId: 'org2' },
          { tokenHash: b.token, teamId: 'org1' },
          { tokenHash: unknownHash, teamId: 'org2' },
        ],
      })
    );
    expect(moved).toEqual({ updated: 2, unknown: 1 });
    const teamOf = (token: string) => emu.snapshot().keys.find((k) => k.token === token)!.team_id;
    expect([teamOf(a.token), teamOf(b.token)]).toEqual(['org2', 'org1']);
  });

  it('setKeyTeams: after a failure no further key is written, and a retry converges', async () => {
    const keys = Array.from({ length: 20 }, () => seedKey({ user_id: 'u1', team_id: 'org1' }));
    emu.faults.add({ route: '/key/update', after: 2, kind: 'status', status: 400, times: 1 });
    emu.clearJournal();
    const f = await fails(() => acts.setKeyTeams({ keys: keys.map((k) => ({ tokenHash: k.token, teamId: 'org2' })) }));
    expect(f.type).toBe('LiteLLMValidationError');
    // Two at a time: the two before it, the failing third, at most the one beside it; none starts after.
    const writes = emu.journal().filter((e) => e.path === '/key/update').length;
    expect(writes).toBeLessThanOrEqual(4);
    expect(writes).toBeLessThan(keys.length);
    await run(() => acts.setKeyTeams({ keys: keys.map((k) => ({ tokenHash: k.token, teamId: 'org2' })) }));
    expect(new Set(emu.snapshot().keys.map((k) => k.team_id))).toEqual(new Set(['org2']));
  });

  it("readMigrationState reads the three at once, with the settings and the single reads' answers", async () => {
    seedKey({ user_id: 'u1', team_id: 'org1' });
    const together = await run(() => acts.readMigrationState({ userId: 'u1', teamId: 'org1' }));
    expect(together).toEqual({
      settings: await run(() => acts.getProvisioningSettings()),
      user: await run(() => acts.getUser({ userId: 'u1' })),
      team: await run(() => acts.getTeam({ teamId: 'org1' })),
      keys: await run(() => acts.listUserKeys({ userId: 'u1' })),
    });
    expect(together.team).toMatchObject({ teamId: 'org1' });
    expect(together.user).toMatchObject({ userId: 'u1' });
    expect(together.keys).toHaveLength(1);
    await expect(run(() => acts.readMigrationState({ userId: 'nobody', teamId: 'none' }))).resolves.toMatchObject({
      user: null,
      team: null,
      keys: [],
    });
  });

  it('readSignInState: the settings, the team and whether the user exists, at once', async () => {
    await expect(run(() => acts.readSignInState({ teamId: 'org1', userId: 'u1' }))).resolves.toEqual({
      settings: await run(() => acts.getProvisioningSettings()),
      team: await run(() => acts.getTeam({ teamId: 'org1' })),
      userExists: true,
    });
    await expect(run(() => acts.readSignInState({ teamId: 'none', userId: 'nobody' }))).resolves.toMatchObject({
      team: null,
      userExists: false,
    });
  });

  it('readDowngradeState: one /team/info gives the team and the membership; the same answers as the single reads', async () => {
    seedKey({ user_id: 'u1', team_id: 'org1' });
    emu.seed.membership({ user_id: 'u1', team_id: 'org1', max_budget_in_team: 4 });
    emu.clearJournal();
    const state = await run(() => acts.readDowngradeState({ userId: 'u1', teamId: 'org1' }));
    // The org team once (team and membership), the configured default team once.
    expect(emu.journal().filter((e) => e.path === '/team/info')).toHaveLength(2);
    expect(state).toEqual({
      settings: await run(() => acts.getProvisioningSettings()),
      team: await run(() => acts.getTeam({ teamId: 'org1' })),
      membership: await run(() => acts.getUserTeamInfo({ userId: 'u1', teamId: 'org1' })),
      user: await run(() => acts.getUser({ userId: 'u1' })),
      defaultTeam: await run(() => acts.getTeam({ teamId: 'default-team' })),
      keys: await run(() => acts.listUserKeys({ userId: 'u1' })),
    });
    expect(state.membership).toMatchObject({ userId: 'u1', teamId: 'org1', budgetMaxBudget: 4 });
    expect(state.defaultTeam).toMatchObject({ teamId: 'default-team' });
    await expect(run(() => acts.readDowngradeState({ userId: 'u1', teamId: 'none' }))).resolves.toMatchObject({
      team: null,
      membership: null,
    });
  });

  it('verifyKey: invalid for an unknown or deleted key; transient failures throw retryable', async () => {
    const k = seedKey({ user_id: 'u1', team_id: 'org1' });
    await expect(run(() => acts.verifyKey({ key: 'sk-never-issued-000000000000000' }))).resolves.toBe('invalid');
    emu.faults.add({ route: '/v1/models', kind: 'status', status: 503, times: 1 });
    expect((await fails(() => acts.verifyKey({ key: k.key }))).type).toBe('LiteLLMUnavailable');
    emu.faults.add({ route: '/v1/models', kind: 'hang', times: 1 });
    const started = Date.now();
    const timeout = await fails(() => acts.verifyKey({ key: k.key }));
    expect(timeout.type).toBe('LiteLLMTimeout');
    expect(timeout.nonRetryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    emu.faults.add({ route: '/v1/models', kind: 'reset', times: 1 });
    expect((await fails(() => acts.verifyKey({ key: k.key }))).type).toBe('LiteLLMConnectionError');
    await expect(run(() => acts.verifyKey({ key: k.key }))).resolves.toBe('valid');
    await run(() => acts.deleteKey({ keyOrHash: k.key }));
    await expect(run(() => acts.verifyKey({ key: k.key }))).resolves.toBe('invalid');
  });
});

describe('failure classes', () => {
  it('429 → LiteLLMRateLimited with Retry-After as the next retry delay', async () => {
    emu.faults.add({ route: '/user/list', kind: 'rate_limit', retryAfterSeconds: 2, times: 1 });
    const f = await fails(() => acts.getUser({ userId: 'u1' }));
    expect(f.type).toBe('LiteLLMRateLimited');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(2000);
  });

  it('in a local activity an hour-long Retry-After waits at most 10 s: the worker, not the server, retries it', async () => {
    emu.faults.add({ route: '/user/list', kind: 'rate_limit', retryAfterSeconds: 3600, times: 1 });
    const f = (await caught(
      run(() => acts.readMigrationState({ userId: 'u1', teamId: 't' }), { isLocal: true })
    )) as ApplicationFailure;
    expect(f.type).toBe('LiteLLMRateLimited');
    expect(f.nextRetryDelay).toBe(LOCAL_ACTIVITY_MAX_RETRY_DELAY_MS);
  });

  it('503 → LiteLLMUnavailable; reset → LiteLLMConnectionError; both retried to success', async () => {
    emu.faults.add({ route: '/team/new', kind: 'status', status: 503, times: 2 });
    emu.faults.add({ route: '/team/new', kind: 'reset', times: 1, after: 2 });
    const { result, failures } = await withRetries(() =>
      run(() => acts.createTeam({ teamId: 'org1', teamAlias: 'a', maxBudget: null }))
    );
    expect(result).toEqual({ created: true });
    expect(failures.map((f) => f.type)).toEqual(['LiteLLMUnavailable', 'LiteLLMUnavailable', 'LiteLLMConnectionError']);
  });

  it('422 / 400 → LiteLLMValidationError, bad ids → LiteLLMInputError before any call', async () => {
    emu.clearJournal();
    const input = await fails(() => acts.getTeam({ teamId: 'a\nb' }));
    expect(input.type).toBe('LiteLLMInputError');
    expect(emu.journal()).toHaveLength(0);
    const f400 = await fails(() => acts.updateUserInTeam({ userId: 'u1', teamId: 'nope', maxBudgetInTeam: 1 }));
    expect(f400.type).toBe('LiteLLMValidationError');
    expect(f400.nonRetryable).toBe(true);
    emu.faults.add({ route: '/team/update', kind: 'status', status: 422, times: 1 });
    const f422 = await fails(() => acts.updateTeam({ teamId: 'default-team', maxBudget: 1 }));
    expect(f422.type).toBe('LiteLLMValidationError');
  });

  it('LiteLLM text echoing a key, the master key or an e-mail is redacted', async () => {
    const derived = deriveKey(DERIVATION_SECRET, 'echo-1');
    plaintextKeys.add(derived);
    emu.faults.add({
      route: '/key/generate',
      kind: 'status',
      status: 400,
      body: {
        error: {
          message: `{'error': "Invalid key format. Received: ${derived} by ${MASTER_KEY} for ${EMAIL}"}`,
          type: 'bad_request_error',
          param: 'None',
          code: '400',
        },
      },
      times: 1,
    });
    const f = await fails(() => acts.generateKey({ userId: 'u1', teamId: null, keyAlias: null, issuanceId: 'echo-1' }));
    expect(f.type).toBe('LiteLLMValidationError');
    expect(f.message).toContain(`sk-…${derived.slice(-4)}`);
    expect(f.message).toContain('a***@example.com');
    for (const secret of [derived, MASTER_KEY, EMAIL]) expect(f.message).not.toContain(secret);
    const logged = logger.text();
    for (const secret of [derived, MASTER_KEY, EMAIL]) expect(logged).not.toContain(secret);
  });

  it('ids with URL-special characters round-trip', async () => {
    const id = 'org/with?odd&chars#1 %';
    await run(() => acts.createTeam({ teamId: id, teamAlias: 'a&b', maxBudget: 3 }));
    await expect(run(() => acts.getTeam({ teamId: id }))).resolves.toMatchObject({
      teamId: id,
      teamAlias: 'a&b',
      maxBudget: 3,
    });
  });
});

describe('cancellation', () => {
  it('cancelling the activity aborts its in-flight HTTP call', async () => {
    emu.faults.add({ route: '/team/info', kind: 'hang', times: 1 });
    const env = new MockActivityEnvironment({}, { logger });
    const started = Date.now();
    const p = env.run(() => acts.getTeam({ teamId: 'default-team' }));
    setTimeout(() => env.cancel(), 100);
    const e = await caught(p);
    expect(e).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('convergence under random faults', () => {
  /** Every mutating activity, as a provisioning/migration/downgrade would call them. */
  async function scenario(a: Activities, call: <T>(fn: () => Promise<T>) => Promise<T>): Promise<void> {
    await call(() => a.createTeam({ teamId: 'org1', teamAlias: 'u1', maxBudget: 100 }));
    await call(() => a.createUser({ userId: 'u1', email: EMAIL }));
    await call(() => a.createUser({ userId: 'u2', email: null }));
    await call(() => a.addUserToTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 50 }));
    await call(() => a.addUserToTeam({ userId: 'u2', teamId: 'org1', maxBudgetInTeam: null }));
    const cloud = await call(() =>
      a.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: openHandsCloudKeyAlias('u1', 'org1'), issuanceId: 'c-1' })
    );
    await call(() =>
      a.generateKey({
        userId: 'u1',
        teamId: 'org1',
        keyAlias: null,
        metadata: { type: 'openhands' },
        issuanceId: 'c-2',
      })
    );
    const byor = await call(() =>
      a.generateKey({ userId: 'u2', teamId: null, keyAlias: byorKeyAlias('u2', 'org1'), issuanceId: 'c-3' })
    );
    await call(() => a.updateUser({ userId: 'u1', maxBudget: null }));
    await call(() => a.updateUser({ userId: 'u2', maxBudget: 20, spend: 0 }));
    await call(() => a.updateTeam({ teamId: 'org1', maxBudget: 200 }));
    await call(() => a.updateUserInTeam({ userId: 'u1', teamId: 'org1', maxBudgetInTeam: 80 }));
    await call(() => a.updateUserInTeam({ userId: 'u2', teamId: 'org1', maxBudgetInTeam: null }));
    await call(() => a.createTeam({ teamId: 'org2', teamAlias: 'u1', maxBudget: null }));
    await call(() => a.addUserToTeam({ userId: 'u2', teamId: 'org2', maxBudgetInTeam: 5 }));
    await call(() => a.updateKey({ keyOrHash: byor.tokenHash, teamId: 'org2' }));
    await call(() => a.updateKey({ keyOrHash: cloud.tokenHash, teamId: null }));
    await call(() => a.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: 'temp', issuanceId: 'c-4' }));
    await call(() => a.deleteKeyByAlias({ keyAlias: 'temp' }));
    await call(() => a.generateKey({ userId: 'u1', teamId: 'org1', keyAlias: 'undone', issuanceId: 'c-5' }));
    await call(() => a.deleteIssuedKey({ issuanceId: 'c-5' }));
    await call(() => a.deleteKey({ keyOrHash: deriveKey(DERIVATION_SECRET, 'c-2'), keyAlias: 'never-there' }));
    await call(() => a.removeUserFromTeam({ userId: 'u2', teamId: 'org1' }));
    await call(() => a.createTeam({ teamId: 'org3', teamAlias: 'x', maxBudget: 1 }));
    await call(() => a.deleteTeam({ teamId: 'org3' }));
    await call(() => a.createUser({ userId: 'u3', email: 'u3@example.com' }));
    await call(() => a.deleteUser({ userId: 'u3' }));
    await call(() => a.listUserKeys({ userId: 'u1' }));
  }

  function normalise(s: StateSnapshot): StateSnapshot {
    return JSON.parse(JSON.stringify(s)) as StateSnapshot;
  }

  let baseline: StateSnapshot;

  beforeAll(async () => {
    emu.reset();
    emu.seed.team({ team_id: 'default-team', team_alias: 'default' });
    await scenario(activities(), (fn) => run(fn));
    baseline = normalise(emu.snapshot());
  });

  it('the fault-free run leaves the expected state', () => {
    expect(baseline.teams.map((t) => t.team_id)).toEqual(['default-team', 'org1', 'org2']);
    expect(baseline.users.map((u) => u.user_id).sort()).toEqual(expect.arrayContaining(['u1', 'u2']));
    expect(baseline.keys).toHaveLength(2);
  });

  it.each([1, 7, 42, 1234])('seed %i: same snapshot as without faults, no duplicate keys', async (seed) => {
    emu.faults.add({ route: '*', kind: 'random', rate: 0.3, seed });
    let retries = 0;
    await scenario(activities(), async (fn) => {
      const { result, failures } = await withRetries(() => run(fn), 200);
      retries += failures.length;
      return result;
    });
    emu.faults.clear();
    const snap = normalise(emu.snapshot());
    expect(snap).toEqual(baseline);
    expect(new Set(snap.keys.map((k) => k.token)).size).toBe(snap.keys.length);
    const aliases = snap.keys.map((k) => k.key_alias).filter((a) => a !== null);
    expect(new Set(aliases).size).toBe(aliases.length);
    expect(retries).toBeGreaterThan(0);
    expect(emu.journal().some((j) => j.fault?.includes('drop_after_apply'))).toBe(true);
  });
});
