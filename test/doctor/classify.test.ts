import { diagnoseKey, diagnoseUser, type UserFacts } from '../../src/domain/doctor-classify';
import type { DoctorKey } from '../../src/domain/doctor-findings';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';

const ctx = { defaultTeamId: 'default' };
const key = (over: Partial<DoctorKey>): DoctorKey => ({
  tokenHash: 'a'.repeat(64),
  keyAlias: null,
  userId: 'u',
  teamId: 'u',
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});
const facts = (over: Partial<UserFacts>): UserFacts => ({
  userId: 'u',
  maxBudget: UNLIMITED_USER_BUDGET,
  teams: ['u'],
  personalTeam: { maxBudget: 10, memberUserIds: ['u'] },
  missingTeams: [],
  keys: [key({})],
  ...over,
});

describe('diagnoseUser: one account class per user', () => {
  it.each([
    ['migrated', facts({})],
    ['migrated', facts({ maxBudget: null })],
    ['personal_not_migrated', facts({ maxBudget: 20, personalTeam: null, teams: ['default'] })],
    ['personal_not_migrated', facts({ maxBudget: null, personalTeam: null, teams: ['acme'] })],
    ['personal_not_migrated', facts({ maxBudget: 20, personalTeam: { maxBudget: 5, memberUserIds: [] } })],
    ['downgraded_leftover', facts({ maxBudget: 20 })],
    ['half_migrated_no_team', facts({ personalTeam: null, teams: ['acme'] })],
    ['sentinel_without_org', facts({ personalTeam: null, teams: ['default'] })],
    ['sentinel_without_org', facts({ personalTeam: null, teams: ['u', 'gone'], missingTeams: ['u', 'gone'] })],
    ['half_migrated_no_membership', facts({ personalTeam: { maxBudget: 1, memberUserIds: ['default_user_id'] } })],
    ['half_migrated_keys_not_moved', facts({ keys: [key({ teamId: null })] })],
    ['half_migrated_keys_not_moved', facts({ keys: [key({ teamId: 'default' })] })],
  ] as const)('%s', (expected, f) => {
    expect(diagnoseUser(f, ctx).account).toBe(expected);
  });

  it('does not count keys of other org teams as unmoved personal keys', () => {
    const d = diagnoseUser(facts({ teams: ['u', 'acme'], keys: [key({ teamId: 'acme' })] }), ctx);
    expect(d).toEqual({ account: 'migrated', findings: [] });
  });

  it('plans the exact repair of a half-migration: only the missing steps, only the personal keys', () => {
    const d = diagnoseUser(
      facts({
        personalTeam: { maxBudget: 1, memberUserIds: [] },
        keys: [key({ tokenHash: 'b'.repeat(64), teamId: null }), key({ teamId: 'acme' })],
      }),
      ctx
    );
    expect(d.findings[0]?.repair).toEqual({
      kind: 'finishPersonalMigration',
      userId: 'u',
      teamId: 'u',
      createTeam: false,
      addMember: true,
      moveKeys: [{ tokenHash: 'b'.repeat(64), fromTeamId: null }],
    });
  });

  it('reports teams that no longer exist, with no repair through the API', () => {
    const d = diagnoseUser(facts({ teams: ['u', 'gone'], missingTeams: ['gone'] }), ctx);
    expect(d.account).toBe('migrated');
    expect(d.findings).toEqual([
      expect.objectContaining({
        class: 'membership_in_deleted_team',
        repair: null,
        evidence: { missingTeams: ['gone'] },
      }),
    ]);
  });

  it('keeps the newest of duplicate cloud-alias keys, whatever order LiteLLM lists them in', () => {
    const alias = 'OpenHands Cloud - user u - org u';
    const keys = [
      key({ tokenHash: '1'.repeat(64), keyAlias: alias, createdAt: '2026-01-02T00:00:00Z' }),
      key({ tokenHash: '2'.repeat(64), keyAlias: alias, createdAt: '2026-03-01T00:00:00Z' }),
      key({ tokenHash: '3'.repeat(64), keyAlias: alias, createdAt: '2026-01-01T00:00:00Z' }),
    ];
    for (const order of [keys, [...keys].reverse()]) {
      const [finding] = diagnoseUser(facts({ keys: order }), ctx).findings;
      expect(finding?.repair).toEqual({
        kind: 'dedupeAliasKeys',
        userId: 'u',
        keyAlias: alias,
        keepTokenHash: '2'.repeat(64),
        deleteTokenHashes: ['1'.repeat(64), '3'.repeat(64)],
      });
    }
  });

  it('ignores a single cloud key and aliases of other users', () => {
    const keys = [
      key({ keyAlias: 'OpenHands Cloud - user u - org u' }),
      key({ tokenHash: 'b'.repeat(64), keyAlias: 'OpenHands Cloud - user v - org u' }),
      key({ tokenHash: 'c'.repeat(64), keyAlias: 'OpenHands Cloud - user v - org u' }),
    ];
    expect(diagnoseUser(facts({ keys }), ctx).findings).toEqual([]);
  });
});

describe('diagnoseKey', () => {
  it('names the missing user first, then the missing team, and nothing for a sound key', () => {
    expect(diagnoseKey(key({}), { user: false, team: false })?.class).toBe('orphan_key_user_gone');
    expect(diagnoseKey(key({}), { user: true, team: false })?.class).toBe('orphan_key_team_gone');
    expect(diagnoseKey(key({}), { user: true, team: true })).toBeNull();
  });
});
