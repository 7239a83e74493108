/**
 * The doctor's diagnosis: pure and deterministic (no I/O, no clock), so it is unit-tested on plain facts and
 * can run anywhere. The activities gather the facts from LiteLLM; these functions decide what they mean.
 *
 * The personal org of a user is the team whose id is the user id (OpenHands' personal orgs, the seed's
 * `user_id == org_id`). A user's budget at the "migrated" sentinel (or never set) means the personal account
 * was moved into that team; a finite budget means it was not (or was downgraded back).
 */
import { openHandsCloudKeyAlias } from './aliases';
import { isUnlimitedUserBudget } from './budgets';
import type { DoctorKey, Finding } from './doctor-findings';
import type { AccountState, FindingClass } from './doctor-findings';

export interface DoctorContext {
  /** The legacy shared team (`LITELLM_DEFAULT_TEAM_ID`): keys there, or in no team, are personal keys. */
  defaultTeamId: string | null;
}

/** Everything the doctor needs to know about one user, read from LiteLLM. */
export interface UserFacts {
  userId: string;
  maxBudget: number | null;
  /** `user.teams` as LiteLLM lists it. */
  teams: string[];
  /** The personal org team (team id = user id), or null when LiteLLM has none. */
  personalTeam: { maxBudget: number | null; memberUserIds: string[] } | null;
  /** Of `teams`, those LiteLLM no longer has. */
  missingTeams: string[];
  /** Every key of the user. */
  keys: DoctorKey[];
}

export interface UserDiagnosis {
  /** The one account class of the user: a state, or the finding class describing its residue. */
  account: AccountState | FindingClass;
  /** Every finding about the user (the account's, then memberships, then duplicate aliases). */
  findings: Finding[];
}

/** Keys that belong to the personal account and not to an org: no team, or the legacy shared team. */
export function personalKeys(keys: DoctorKey[], ctx: DoctorContext): DoctorKey[] {
  return keys.filter((k) => k.teamId === null || k.teamId === ctx.defaultTeamId);
}

export function diagnoseUser(facts: UserFacts, ctx: DoctorContext): UserDiagnosis {
  const account = diagnoseAccount(facts, ctx);
  const findings: Finding[] = account.finding ? [account.finding] : [];
  if (facts.missingTeams.length > 0) {
    findings.push({
      class: 'membership_in_deleted_team',
      userId: facts.userId,
      evidence: { missingTeams: [...facts.missingTeams].sort() },
      repair: null,
      unrepairable:
        "LiteLLM's admin API cannot edit a user's team list (/user/update ignores `teams`); remove the ids from LiteLLM_UserTable.teams",
    });
  }
  findings.push(...duplicateCloudAliases(facts));
  return { account: account.class, findings };
}

function diagnoseAccount(
  facts: UserFacts,
  ctx: DoctorContext
): { class: AccountState | FindingClass; finding?: Finding } {
  const { userId, personalTeam } = facts;
  const isMember = personalTeam?.memberUserIds.includes(userId) ?? false;
  const unmoved = personalKeys(facts.keys, ctx);
  const base = { userId, teamId: userId };
  const budget = { userMaxBudget: facts.maxBudget };

  if (!isUnlimitedUserBudget(facts.maxBudget)) {
    if (personalTeam && isMember) {
      return {
        class: 'downgraded_leftover',
        finding: {
          class: 'downgraded_leftover',
          ...base,
          evidence: { ...budget, personalTeamExists: true, memberOfPersonalTeam: true },
          repair: { kind: 'finishDowngrade', orgId: userId, userId },
        },
      };
    }
    return { class: 'personal_not_migrated' };
  }

  const move = unmoved.map((k) => ({ tokenHash: k.tokenHash, fromTeamId: k.teamId }));
  const keyHashes = move.length > 0 ? { keyHashes: move.map((m) => m.tokenHash) } : {};
  const repair = (createTeam: boolean, addMember: boolean) =>
    ({ kind: 'finishPersonalMigration', userId, teamId: userId, createTeam, addMember, moveKeys: move }) as const;

  // A budget never set and no personal team: a user the seed never migrated (migrateEntries leaves it too).
  if (!personalTeam && facts.maxBudget === null) return { class: 'personal_not_migrated' };
  if (!personalTeam) {
    const orgTeams = facts.teams.filter(
      (t) => t !== ctx.defaultTeamId && t !== userId && !facts.missingTeams.includes(t)
    );
    const cls: FindingClass = orgTeams.length === 0 ? 'sentinel_without_org' : 'half_migrated_no_team';
    return {
      class: cls,
      finding: {
        class: cls,
        ...base,
        ...keyHashes,
        evidence: { ...budget, personalTeamExists: false, orgTeams: orgTeams.sort(), unmovedKeys: move.length },
        repair: repair(true, true),
      },
    };
  }
  if (!isMember) {
    return {
      class: 'half_migrated_no_membership',
      finding: {
        class: 'half_migrated_no_membership',
        ...base,
        ...keyHashes,
        evidence: { ...budget, personalTeamExists: true, memberOfPersonalTeam: false, unmovedKeys: move.length },
        repair: repair(false, true),
      },
    };
  }
  if (move.length > 0) {
    return {
      class: 'half_migrated_keys_not_moved',
      finding: {
        class: 'half_migrated_keys_not_moved',
        ...base,
        ...keyHashes,
        evidence: {
          ...budget,
          memberOfPersonalTeam: true,
          unmovedKeys: move.map((m) => ({ tokenHash: m.tokenHash, teamId: m.fromTeamId })),
        },
        repair: repair(false, false),
      },
    };
  }
  return { class: 'migrated' };
}

/** Newest first: by creation time, then by hash so equal times still give one answer. */
function newestFirst(a: DoctorKey, b: DoctorKey): number {
  const at = a.createdAt ?? '';
  const bt = b.createdAt ?? '';
  if (at !== bt) return at < bt ? 1 : -1;
  return a.tokenHash < b.tokenHash ? 1 : a.tokenHash > b.tokenHash ? -1 : 0;
}

/** Groups of the user's keys sharing one OpenHands Cloud alias: keep the newest, delete the others. */
export function duplicateCloudAliases(facts: Pick<UserFacts, 'userId' | 'keys'>): Finding[] {
  const groups = new Map<string, DoctorKey[]>();
  for (const key of facts.keys) {
    if (!key.keyAlias?.startsWith(openHandsCloudKeyAlias(facts.userId, ''))) continue;
    groups.set(key.keyAlias, [...(groups.get(key.keyAlias) ?? []), key]);
  }
  const findings: Finding[] = [];
  for (const [keyAlias, keys] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (keys.length < 2) continue;
    const [keep, ...others] = [...keys].sort(newestFirst) as [DoctorKey, ...DoctorKey[]];
    findings.push({
      class: 'duplicate_cloud_alias_keys',
      userId: facts.userId,
      keyHashes: [keep.tokenHash, ...others.map((k) => k.tokenHash)],
      evidence: { keyAlias, count: keys.length, keep: keep.tokenHash, keepCreatedAt: keep.createdAt },
      repair: {
        kind: 'dedupeAliasKeys',
        userId: facts.userId,
        keyAlias,
        keepTokenHash: keep.tokenHash,
        deleteTokenHashes: others.map((k) => k.tokenHash),
      },
    });
  }
  return findings;
}

/** A key whose user or team LiteLLM no longer has (user gone first: deleting the key settles both). */
export function diagnoseKey(key: DoctorKey, exists: { user: boolean; team: boolean }): Finding | null {
  const reason =
    key.userId !== null && !exists.user ? 'user_gone' : key.teamId !== null && !exists.team ? 'team_gone' : null;
  if (reason === null) return null;
  const cls: FindingClass = reason === 'user_gone' ? 'orphan_key_user_gone' : 'orphan_key_team_gone';
  return {
    class: cls,
    ...(key.userId !== null ? { userId: key.userId } : {}),
    ...(key.teamId !== null ? { teamId: key.teamId } : {}),
    keyHashes: [key.tokenHash],
    evidence: {
      keyAlias: key.keyAlias,
      userId: key.userId,
      teamId: key.teamId,
      missing: reason === 'user_gone' ? 'user' : 'team',
    },
    repair: { kind: 'deleteOrphanKey', tokenHash: key.tokenHash, keyAlias: key.keyAlias, userId: key.userId, reason },
  };
}
