/**
 * `repairFindings`: heals the doctor findings of one user (or one orphan key) as a saga like any other. It re-reads what it is about to change
 * (the finding may be stale by the time it runs), does only the steps still needed, registers an undo before
 * each reversible step, and applies the failure policy (rollback, or pause for an operator).
 *
 * Deleting a key cannot be undone (its value is not known to anyone but its holder), so those repairs
 * commit first: the deletes are then retried until done, never rolled back.
 */
import type { z } from 'zod';
import type { RepairPlan } from '../domain/doctor-findings';
import type { repairFindingsInputSchema } from '../inputs';
import { beginOperation } from './begin-operation';
import { compensation, forward, local } from './activity-options';
import { Saga } from './saga';
import { createOrUpdateTeam, moveKeys } from './steps';

/** The repairs this workflow runs (a downgrade leftover is finished by `downgradeEntries` itself). */
export type FindingRepair = Exclude<RepairPlan, { kind: 'finishDowngrade' }>;

/**
 * `subject`: what every repair is about (a user id, or `key:<hash>` for a key of a user who is gone);
 * `repairs` run reversible ones first, since a key deletion commits the saga.
 */
export type RepairFindingsInput = z.input<typeof repairFindingsInputSchema>;

export interface RepairFindingsResult {
  subject: string;
  results: RepairFindingResult[];
}

export interface RepairFindingResult {
  kind: FindingRepair['kind'];
  /** `repaired`: LiteLLM was changed; `already_fine`: nothing left to do; `stale`: the finding no longer holds. */
  status: 'repaired' | 'already_fine' | 'stale';
  /** What was done, counted (never a key value). */
  changes: { teamCreated?: boolean; memberAdded?: boolean; keysMoved?: number; keysDeleted?: number };
}

/** Reversible repairs run before those that commit (key deletions). */
export const REPAIR_ORDER: Record<FindingRepair['kind'], number> = {
  finishPersonalMigration: 0,
  dedupeAliasKeys: 1,
  deleteOrphanKey: 2,
};

export async function repairFindings(raw: RepairFindingsInput): Promise<RepairFindingsResult> {
  const input = beginOperation('repairFindings', raw);
  const saga = new Saga('repairFindings', input.failurePolicy);
  const repairs = [...input.repairs].sort((a, b) => REPAIR_ORDER[a.kind] - REPAIR_ORDER[b.kind]);
  return saga.run(async () => {
    const results: RepairFindingResult[] = [];
    for (const repair of repairs) results.push(await repairOne(saga, repair));
    return { subject: input.subject, results };
  });
}

function repairOne(saga: Saga, repair: FindingRepair): Promise<RepairFindingResult> {
  switch (repair.kind) {
    case 'finishPersonalMigration':
      return finishPersonalMigration(saga, repair);
    case 'dedupeAliasKeys':
      return dedupeAliasKeys(saga, repair);
    case 'deleteOrphanKey':
      return deleteOrphanKey(saga, repair);
  }
}

/** Creates the personal org team if missing, adds the user if not a member, moves the planned keys in. */
async function finishPersonalMigration(
  saga: Saga,
  repair: Extract<FindingRepair, { kind: 'finishPersonalMigration' }>
): Promise<RepairFindingResult> {
  const { userId, teamId } = repair;
  const settings = await local.getProvisioningSettings();
  const team = await saga.step('read team', () => forward.getTeam({ teamId }));
  const keys = await saga.step('read keys', () => forward.listUserKeys({ userId }));
  const planned = new Map(repair.moveKeys.map((k) => [k.tokenHash, k.fromTeamId]));
  // Only keys still where the doctor saw them: a key moved elsewhere since is someone else's decision.
  const toMove = keys.filter((k) => planned.has(k.tokenHash) && planned.get(k.tokenHash) === k.teamId);
  const isMember = team?.memberUserIds.includes(userId) ?? false;
  if (team && isMember && toMove.length === 0) return { kind: repair.kind, status: 'already_fine', changes: {} };

  const teamBudget = team ? team.maxBudget : settings.defaultInitialBudget;
  if (!team) await createOrUpdateTeam(saga, { teamId, teamAlias: userId, maxBudget: teamBudget }, null);
  if (!isMember) {
    await saga.step('add user to team', () => forward.addUserToTeam({ userId, teamId, maxBudgetInTeam: teamBudget }), {
      undo: () => compensation.removeUserFromTeam({ userId, teamId }),
    });
  }
  const moved = await moveKeys(saga, toMove, teamId);
  return {
    kind: repair.kind,
    status: 'repaired',
    changes: { teamCreated: !team, memberAdded: !isMember, keysMoved: moved.moved },
  };
}

/** Keeps the newest key under the alias, deletes the others still there. */
async function dedupeAliasKeys(
  saga: Saga,
  repair: Extract<FindingRepair, { kind: 'dedupeAliasKeys' }>
): Promise<RepairFindingResult> {
  const keys = await saga.step('read keys', () => forward.listUserKeys({ userId: repair.userId }));
  const underAlias = keys.filter((k) => k.keyAlias === repair.keyAlias);
  // The key to keep must still be there, or deleting the others would leave the user without one.
  if (!underAlias.some((k) => k.tokenHash === repair.keepTokenHash)) {
    return { kind: repair.kind, status: 'stale', changes: {} };
  }
  const doomed = underAlias.filter((k) => repair.deleteTokenHashes.includes(k.tokenHash));
  if (doomed.length === 0) return { kind: repair.kind, status: 'already_fine', changes: {} };
  saga.commit();
  let deleted = 0;
  for (const key of doomed) {
    const res = await saga.step(`delete duplicate key ${key.tokenHash.slice(0, 8)}`, () =>
      forward.deleteKey({ keyOrHash: key.tokenHash })
    );
    if (res.deleted) deleted += 1;
  }
  return { kind: repair.kind, status: 'repaired', changes: { keysDeleted: deleted } };
}

/** Deletes a key whose user or team is gone, after checking it still is. */
async function deleteOrphanKey(
  saga: Saga,
  repair: Extract<FindingRepair, { kind: 'deleteOrphanKey' }>
): Promise<RepairFindingResult> {
  const key = await saga.step('read key', () => forward.getKeyInfo({ keyHash: repair.tokenHash }));
  if (!key) return { kind: repair.kind, status: 'already_fine', changes: {} };
  const stillOrphan =
    repair.reason === 'user_gone'
      ? key.userId !== null && !(await saga.step('check user', () => forward.userExists({ userId: key.userId! })))
      : key.teamId !== null && (await saga.step('read team', () => forward.getTeam({ teamId: key.teamId! }))) === null;
  if (!stillOrphan) return { kind: repair.kind, status: 'stale', changes: {} };
  saga.commit();
  const res = await saga.step('delete orphan key', () => forward.deleteKey({ keyOrHash: repair.tokenHash }));
  return {
    kind: repair.kind,
    status: res.deleted ? 'repaired' : 'already_fine',
    changes: { keysDeleted: res.deleted ? 1 : 0 },
  };
}
