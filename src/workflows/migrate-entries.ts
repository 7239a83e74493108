import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { UNLIMITED_USER_BUDGET } from '../domain/budgets';
import { decideMigration } from '../domain/decisions';
import { compensation, forward, local, verification } from './activity-options';
import type { MigrateEntriesInput, MigrateEntriesResult } from './definitions';
import { beginOperation } from './begin-operation';
import { Saga } from './saga';
import { createOrUpdateTeam, issueCloudKey, moveKeys } from './steps';

type StoredKeyStatus = MigrateEntriesResult['storedKey'];

/**
 * Moves a personal account into an org team (seed: `migrate_entries`): the user's remaining credits become
 * the team's budget, the user's own budget becomes unlimited, the user joins the team, the user's keys move
 * into it, and the stored key is checked (and replaced if LiteLLM does not know it).
 *
 * Unlike the seed, a user whose budget already carries the "migrated" sentinel but whose membership or keys
 * were never moved (a migration that died half-way, OpenHands F1) is completed, not skipped for ever.
 */
export async function migrateEntries(raw: MigrateEntriesInput): Promise<MigrateEntriesResult> {
  const input = beginOperation('migrateEntries', raw);
  const saga = new Saga('migrateEntries', input.failurePolicy);
  const { orgId, userId } = input;

  return saga.run(async () => {
    const settings = await local.getProvisioningSettings();
    const user = await saga.step('read user', () => forward.getUser({ userId }));
    const nothingMoved = { teamId: orgId, movedKeys: 0, unknownKeys: 0, storedKey: 'not_checked' as const };
    if (!user) return { status: 'user_not_found', ...nothingMoved };

    const team = await saga.step('read team', () => forward.getTeam({ teamId: orgId }));
    const keys = await saga.step('read keys', () => forward.listUserKeys({ userId }));
    const decision = decideMigration({ user, team, keys }, input);
    if (decision.status === 'already_migrated') return { status: 'already_migrated', ...nothingMoved };
    const { status, credits, teamBudget, addMember, keysToMove } = decision;

    if (teamBudget !== undefined) {
      await createOrUpdateTeam(saga, { teamId: orgId, teamAlias: userId, maxBudget: teamBudget }, team);
    }
    if (decision.setUserUnlimited) {
      const previousBudget = user.maxBudget;
      await saga.step(
        'set user budget unlimited',
        () => forward.updateUser({ userId, maxBudget: UNLIMITED_USER_BUDGET }),
        { undo: () => compensation.updateUser({ userId, maxBudget: previousBudget ?? undefined }) }
      );
    }

    if (addMember) {
      await saga.step(
        'add user to team',
        () => forward.addUserToTeam({ userId, teamId: orgId, maxBudgetInTeam: addMember.maxBudgetInTeam }),
        { undo: () => compensation.removeUserFromTeam({ userId, teamId: orgId }) }
      );
    }

    const moved = await moveKeys(saga, keysToMove, orgId);
    const verified = await checkStoredKey(saga, input, settings.liteLLMBaseUrl);

    return {
      status,
      teamId: orgId,
      ...(credits !== undefined ? { credits } : {}),
      movedKeys: moved.moved,
      unknownKeys: moved.unknown,
      storedKey: verified.storedKey,
      ...(verified.newKey ? { newKey: verified.newKey } : {}),
    };
  });
}

async function checkStoredKey(
  saga: Saga,
  input: MigrateEntriesInput,
  liteLLMBaseUrl: string
): Promise<{ storedKey: StoredKeyStatus; newKey?: string }> {
  const { llmApiKey, llmBaseUrl } = input.userSettings;
  // Only keys issued by this LiteLLM can be checked against it.
  if (!llmApiKey || !llmBaseUrl || llmBaseUrl.replace(/\/+$/, '') !== liteLLMBaseUrl) {
    return { storedKey: 'not_checked' };
  }
  const storedKey = await saga.step('verify stored key', async (): Promise<StoredKeyStatus> => {
    try {
      return await verification.verifyKey({ key: llmApiKey });
    } catch (err) {
      // LiteLLM unreachable or failing: we cannot tell, so keep the key (the seed rotated it on every blip).
      if (err instanceof ActivityFailure && !(err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) {
        return 'unknown';
      }
      throw err;
    }
  });
  if (storedKey !== 'invalid') return { storedKey };
  const issued = await issueCloudKey(saga, input.userId, input.orgId);
  return { storedKey, newKey: issued.key };
}
