/**
 * What the fleet doctor reports (pure types and constants: imported by workflow code, activities, the client
 * and the CLI). A user is in exactly one account class; keys and memberships add findings of their own.
 * No key value ever appears here: keys are named by their sha256 hash (LiteLLM's token) and alias.
 */

/** Account classes that are states, not residue: reported and counted, never repaired. */
export const ACCOUNT_STATES = ['personal_not_migrated', 'migrated'] as const;

/** Residue: each class has evidence and, where LiteLLM's admin API allows it, a repair. */
export const FINDING_CLASSES = [
  /** Budget is the "migrated" sentinel but the personal org team (team id = user id) is missing. */
  'half_migrated_no_team',
  /** Sentinel, the personal org team exists, the user is not a member of it. */
  'half_migrated_no_membership',
  /** Sentinel, member of the personal org team, personal keys (no team / the default team) never moved. */
  'half_migrated_keys_not_moved',
  /** Sentinel, and the user is a member of no existing org team at all. */
  'sentinel_without_org',
  /** Budget restored by a downgrade that stopped before leaving and deleting the personal org team. */
  'downgraded_leftover',
  /** `user.teams` names teams LiteLLM no longer has. */
  'membership_in_deleted_team',
  /** Several keys under one OpenHands Cloud alias (one user, one org). */
  'duplicate_cloud_alias_keys',
  /** A key whose team no longer exists. */
  'orphan_key_team_gone',
  /** A key whose user no longer exists. */
  'orphan_key_user_gone',
] as const;

export type AccountState = (typeof ACCOUNT_STATES)[number];
export type FindingClass = (typeof FINDING_CLASSES)[number];
export type DoctorClass = AccountState | FindingClass;

/** A key as the doctor sees it: never its value. */
export interface DoctorKey {
  tokenHash: string;
  keyAlias: string | null;
  userId: string | null;
  teamId: string | null;
  /** ISO time LiteLLM created it (null when the proxy did not say). */
  createdAt: string | null;
}

/** The saga that heals a finding, with everything it needs decided at diagnosis time. */
export type RepairPlan =
  | {
      kind: 'finishPersonalMigration';
      userId: string;
      /** The personal org team: its id is the user id. */
      teamId: string;
      createTeam: boolean;
      addMember: boolean;
      moveKeys: Array<{ tokenHash: string; fromTeamId: string | null }>;
    }
  | { kind: 'finishDowngrade'; orgId: string; userId: string }
  | {
      kind: 'deleteOrphanKey';
      tokenHash: string;
      keyAlias: string | null;
      /** The key's user (null when it has none); a key of a user who is gone is repaired on its own. */
      userId: string | null;
      reason: 'team_gone' | 'user_gone';
    }
  | { kind: 'dedupeAliasKeys'; userId: string; keyAlias: string; keepTokenHash: string; deleteTokenHashes: string[] };

export interface Finding {
  class: FindingClass;
  userId?: string;
  teamId?: string;
  /** Keys involved, by hash. */
  keyHashes?: string[];
  /** What was seen, in plain values (ids, budgets, aliases, counts): never a key value. */
  evidence: Record<string, unknown>;
  repair: RepairPlan | null;
  /** Why there is no repair, when `repair` is null. */
  unrepairable?: string;
}

export type ClassCounts = Record<DoctorClass, number>;

export function emptyCounts(): ClassCounts {
  return Object.fromEntries([...ACCOUNT_STATES, ...FINDING_CLASSES].map((c) => [c, 0])) as ClassCounts;
}

/** Adds `more` into `into` (both complete count tables). */
export function addCounts(into: ClassCounts, more: Partial<ClassCounts>): ClassCounts {
  for (const [name, n] of Object.entries(more) as Array<[DoctorClass, number]>) into[name] += n;
  return into;
}

/** Findings of every class summed. */
export function totalFindings(counts: ClassCounts): number {
  return FINDING_CLASSES.reduce((sum, c) => sum + counts[c], 0);
}
