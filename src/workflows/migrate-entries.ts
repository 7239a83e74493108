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
 * Unlike the seed, a user whose budget already carries the "migrated" sentinel but whose org team, membership
 * or keys were never made or moved (a migration that died half-way, OpenHands F1) is completed, not skipped
 * for ever. A user LiteLLM does not know fails the run (`UserNotFound`), as the seed raises.
 */
export async function migrateEntries(raw: MigrateEntriesInput): Promise<MigrateEntriesResult> {
  const input = beginOperation('migrateEntries', raw);
  const saga = new Saga('migrateEntries', input.failurePolicy);
  const { orgId, userId } = input;

  return saga.run(async () => {
    // Recorded (a marker in history) before any activity is scheduled, as every read must be before a write.
    const settings = await local.getProvisioningSettings();
    const storedKeyToCheck = checkableStoredKey(input, settings.liteLLMBaseUrl);

    // Level 1, reads only: the user, the org team, the user's keys, and whether LiteLLM knows the stored key.
    const [user, team, keys, storedKey] = await saga.all([
      () => saga.step('read user', () => forward.getUser({ userId })),
      () => saga.step('read team', () => forward.getTeam({ teamId: orgId })),
      () => saga.step('read keys', () => forward.listUserKeys({ userId })),
      () => (storedKeyToCheck ? verifyStoredKey(saga, storedKeyToCheck) : Promise.resolve('not_checked' as const)),
    ]);
    const nothingMoved = { teamId: orgId, movedKeys: 0, unknownKeys: 0, storedKey: 'not_checked' as const };
    // The seed raises here (sign-in fails); answering "done" would let a caller mark the user migrated.
    if (!user) throw ApplicationFailure.nonRetryable(`LiteLLM has no user ${userId}`, 'UserNotFound', { userId });
    const decision = decideMigration({ user, team, keys }, input, settings.defaultInitialBudget);
    if (decision.status === 'already_migrated') return { status: 'already_migrated', ...nothingMoved };
    const { status, credits, teamBudget, addMember, keysToMove } = decision;

    // Level 2: the org team, and the user's own budget, are independent.
    const previousBudget = user.maxBudget;
    await saga.all([
      () =>
        teamBudget !== undefined
          ? createOrUpdateTeam(saga, { teamId: orgId, teamAlias: userId, maxBudget: teamBudget }, team)
          : Promise.resolve(),
      () =>
        decision.setUserUnlimited
          ? saga.step(
              'set user budget unlimited',
              () => forward.updateUser({ userId, maxBudget: UNLIMITED_USER_BUDGET }),
              {
                undo: () => compensation.updateUser({ userId, maxBudget: previousBudget ?? undefined }),
              }
            )
          : Promise.resolve(),
    ]);

    // Level 3: a member can only be added to a team that exists.
    if (addMember) {
      await saga.step(
        'add user to team',
        () => forward.addUserToTeam({ userId, teamId: orgId, maxBudgetInTeam: addMember.maxBudgetInTeam }),
        { undo: () => compensation.removeUserFromTeam({ userId, teamId: orgId }) }
      );
    }

    // Level 4: keys move (or are issued) only into a team the user is a member of; each key on its own.
    const [moved, newKey] = await saga.all([
      () => moveKeys(saga, keysToMove, orgId),
      async (): Promise<string | undefined> =>
        storedKey === 'invalid' ? (await issueCloudKey(saga, userId, orgId)).key : undefined,
    ]);

    return {
      status,
      teamId: orgId,
      ...(credits !== undefined ? { credits } : {}),
      movedKeys: moved.moved,
      unknownKeys: moved.unknown,
      storedKey,
      ...(newKey ? { newKey } : {}),
    };
  });
}

/** The stored key, when it can be checked: only keys issued by this LiteLLM can be checked against it. */
function checkableStoredKey(input: MigrateEntriesInput, liteLLMBaseUrl: string): string | undefined {
  const { llmApiKey, llmBaseUrl } = input.userSettings;
  if (!llmApiKey || !llmBaseUrl || llmBaseUrl.replace(/\/+$/, '') !== liteLLMBaseUrl) return undefined;
  return llmApiKey;
}

function verifyStoredKey(saga: Saga, key: string): Promise<StoredKeyStatus> {
  return saga.step('verify stored key', async (): Promise<StoredKeyStatus> => {
    try {
      return await verification.verifyKey({ key });
    } catch (err) {
      // LiteLLM unreachable or failing: we cannot tell, so keep the key (the seed rotated it on every blip).
      if (err instanceof ActivityFailure && !(err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) {
        return 'unknown';
      }
      throw err;
    }
  });
}
