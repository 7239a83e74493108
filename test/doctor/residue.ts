/**
 * A LiteLLM fleet with a known mix of residue, seeded straight into the emulator: every doctor class, a few
 * hundred users. `expected` is what a correct doctor must report, class by class and entity by entity.
 */
import type { Emulator } from '../../emulator';
import { emptyCounts, type ClassCounts, type DoctorClass } from '../../src/domain/doctor-findings';
import { openHandsCloudKeyAlias } from '../../src/domain/aliases';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';

export const DEFAULT_TEAM = 'openhands-default';
const ORG_TEAM = 'acme-org';

export interface ResidueSizes {
  migrated: number;
  notMigrated: number;
  noTeam: number;
  withoutOrg: number;
  noMembership: number;
  keysNotMoved: number;
  downgraded: number;
  /** Of the migrated users: these also list a deleted team. */
  deletedTeamMembership: number;
  /** Of the migrated users: these have 2–3 keys under their cloud alias. */
  duplicateAlias: number;
  orphanTeamGone: number;
  orphanUserGone: number;
}

export const DEFAULT_SIZES: ResidueSizes = {
  migrated: 120,
  notMigrated: 80,
  noTeam: 15,
  withoutOrg: 10,
  noMembership: 15,
  keysNotMoved: 15,
  downgraded: 10,
  deletedTeamMembership: 8,
  duplicateAlias: 8,
  orphanTeamGone: 12,
  orphanUserGone: 12,
};

export interface SeededResidue {
  counts: ClassCounts;
  /** `class userId` for user findings, `class tokenHash` for orphan keys. */
  findings: string[];
  /** Every plaintext key seeded (none may appear in a report). */
  plaintextKeys: string[];
  /** User ids of the mix (the proxy admin excluded). */
  userIds: string[];
}

export function seedResidue(emulator: Emulator, sizes: ResidueSizes = DEFAULT_SIZES): SeededResidue {
  const { seed } = emulator;
  const counts = emptyCounts();
  const findings: string[] = [];
  const plaintextKeys: string[] = [];
  const userIds: string[] = [];
  const found = (cls: DoctorClass, id: string) => {
    counts[cls] += 1;
    findings.push(`${cls} ${id}`);
  };
  const key = (input: Parameters<Emulator['seed']['key']>[0]) => {
    const k = seed.key(input);
    plaintextKeys.push(k.key);
    return k;
  };
  const cloud = (u: string) => openHandsCloudKeyAlias(u, u);

  seed.team({ team_id: DEFAULT_TEAM, team_alias: 'default' });
  seed.team({ team_id: ORG_TEAM, team_alias: 'acme' });
  const legacyUser = (u: string, budget: number) => {
    userIds.push(u);
    seed.user({ user_id: u, max_budget: budget, spend: 3 });
    seed.membership({ user_id: u, team_id: DEFAULT_TEAM, max_budget_in_team: budget });
  };
  const migratedUser = (u: string) => {
    userIds.push(u);
    seed.user({ user_id: u, max_budget: UNLIMITED_USER_BUDGET, spend: 1 });
    seed.team({ team_id: u, team_alias: u, max_budget: 25, members: [{ user_id: u, role: 'user' }] });
  };

  for (let i = 0; i < sizes.migrated; i++) {
    const u = `migrated-${i}`;
    migratedUser(u);
    key({ user_id: u, team_id: u, key_alias: cloud(u) });
    counts.migrated += 1;
    if (i < sizes.deletedTeamMembership) {
      seed.user({ user_id: u, teams: [u, `deleted-team-${i}`] });
      found('membership_in_deleted_team', u);
    } else if (i < sizes.deletedTeamMembership + sizes.duplicateAlias) {
      for (let d = 0; d < 1 + (i % 2); d++) key({ user_id: u, team_id: u, key_alias: cloud(u) });
      found('duplicate_cloud_alias_keys', u);
    } else if (i < sizes.deletedTeamMembership + sizes.duplicateAlias + sizes.orphanTeamGone) {
      const { token } = key({
        user_id: u,
        team_id: `gone-team-${i}`,
        key_alias: `BYOR Key - user ${u}, org gone-${i}`,
      });
      found('orphan_key_team_gone', token);
    }
  }
  for (let i = 0; i < sizes.notMigrated; i++) {
    const u = `legacy-${i}`;
    legacyUser(u, 20);
    key({ user_id: u, team_id: DEFAULT_TEAM, key_alias: cloud(u) });
    counts.personal_not_migrated += 1;
  }
  for (let i = 0; i < sizes.noTeam; i++) {
    const u = `no-team-${i}`;
    userIds.push(u);
    seed.user({ user_id: u, max_budget: UNLIMITED_USER_BUDGET });
    seed.membership({ user_id: u, team_id: ORG_TEAM });
    key({ user_id: u, team_id: null, key_alias: cloud(u) });
    found('half_migrated_no_team', u);
  }
  for (let i = 0; i < sizes.withoutOrg; i++) {
    const u = `no-org-${i}`;
    userIds.push(u);
    seed.user({ user_id: u, max_budget: UNLIMITED_USER_BUDGET });
    if (i % 2 === 0) seed.membership({ user_id: u, team_id: DEFAULT_TEAM });
    found('sentinel_without_org', u);
  }
  for (let i = 0; i < sizes.noMembership; i++) {
    const u = `no-member-${i}`;
    userIds.push(u);
    seed.user({ user_id: u, max_budget: UNLIMITED_USER_BUDGET });
    seed.team({ team_id: u, team_alias: u, max_budget: 30 });
    seed.membership({ user_id: u, team_id: DEFAULT_TEAM });
    key({ user_id: u, team_id: DEFAULT_TEAM, key_alias: cloud(u) });
    found('half_migrated_no_membership', u);
  }
  for (let i = 0; i < sizes.keysNotMoved; i++) {
    const u = `keys-left-${i}`;
    migratedUser(u);
    key({ user_id: u, team_id: u, key_alias: cloud(u) });
    key({ user_id: u, team_id: i % 2 === 0 ? null : DEFAULT_TEAM, key_alias: `BYOR Key - user ${u}, org ${u}` });
    found('half_migrated_keys_not_moved', u);
  }
  for (let i = 0; i < sizes.downgraded; i++) {
    const u = `downgraded-${i}`;
    userIds.push(u);
    seed.user({ user_id: u, max_budget: 15, spend: 2 });
    seed.team({ team_id: u, team_alias: u, max_budget: 15, members: [{ user_id: u, role: 'user' }] });
    seed.membership({ user_id: u, team_id: DEFAULT_TEAM, max_budget_in_team: 15 });
    key({ user_id: u, team_id: DEFAULT_TEAM, key_alias: cloud(u) });
    found('downgraded_leftover', u);
  }
  for (let i = 0; i < sizes.orphanUserGone; i++) {
    const { token } = key({ user_id: `gone-user-${i}`, team_id: null, key_alias: null });
    found('orphan_key_user_gone', token);
  }
  return { counts, findings: findings.sort(), plaintextKeys, userIds };
}

/** `class id` of each finding of a report, comparable with {@link SeededResidue.findings}. */
export function findingIds(findings: Array<{ class: string; userId?: string; keyHashes?: string[] }>): string[] {
  return findings
    .map((f) => `${f.class} ${f.class.startsWith('orphan_key') ? (f.keyHashes?.[0] ?? '') : (f.userId ?? '')}`)
    .sort();
}
