import { ActivityFailure, ApplicationFailure, patched } from '@temporalio/workflow';
import { UNLIMITED_USER_BUDGET } from '../domain/budgets';
import { decideMigration } from '../domain/decisions';
import { compensation, forward, local, localRead, verification, type LiteLLMActivities } from './activity-options';
import type { MigrateEntriesInput, MigrateEntriesResult } from './definitions';
import { beginOperation } from './begin-operation';
import { Saga } from './saga';
import { createOrUpdateTeam, issueCloudKey, moveKeys, moveKeysTogether } from './steps';

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
    const fewerRoundTrips = patched(LOCAL_READS_AND_KEYS_TOGETHER);
    // Level 1, reads only: the user, the org team, the user's keys (and, in runs started before
    // LOCAL_READS_AND_KEYS_TOGETHER, whether LiteLLM knows the stored key).
    const {
      settings,
      user,
      team,
      keys,
      storedKey: checkedEarlier,
    } = fewerRoundTrips
      ? { ...(await readLocally(saga, input)), storedKey: undefined }
      : await readWithActivities(saga, input);
    const nothingMoved = { teamId: orgId, movedKeys: 0, unknownKeys: 0, storedKey: 'not_checked' as const };
    // The seed raises here (sign-in fails); answering "done" would let a caller mark the user migrated.
    if (!user) throw ApplicationFailure.nonRetryable(`LiteLLM has no user ${userId}`, 'UserNotFound', { userId });
    const decision = decideMigration({ user, team, keys }, input, settings.defaultInitialBudget);
    if (decision.status === 'already_migrated') return { status: 'already_migrated', ...nothingMoved };
    const { status, credits, teamBudget, addMember, keysToMove } = decision;

    // Level 2: the org team, the user's own budget and the stored key's check are independent.
    const previousBudget = user.maxBudget;
    const storedKeyToCheck =
      checkedEarlier === undefined ? checkableStoredKey(input, settings.liteLLMBaseUrl) : undefined;
    const [, , checkedNow] = await saga.all([
      () =>
        teamBudget !== undefined
          ? createOrUpdateTeam(saga, { teamId: orgId, teamAlias: userId, maxBudget: teamBudget }, team)
          : Promise.resolve(),
      () =>
        decision.setUserUnlimited
          ? saga.step(
              'set user budget unlimited',
              () => forward.updateUser({ userId, maxBudget: UNLIMITED_USER_BUDGET, justRead: fewerRoundTrips }),
              {
                undo: () => compensation.updateUser({ userId, maxBudget: previousBudget ?? undefined }),
              }
            )
          : Promise.resolve(),
      () => (storedKeyToCheck ? verifyStoredKey(saga, storedKeyToCheck) : Promise.resolve(undefined)),
    ]);
    const storedKey = checkedEarlier ?? checkedNow ?? 'not_checked';

    // Level 3: a member can only be added to a team that exists.
    if (addMember) {
      await saga.step(
        'add user to team',
        () => forward.addUserToTeam({ userId, teamId: orgId, maxBudgetInTeam: addMember.maxBudgetInTeam }),
        { undo: () => compensation.removeUserFromTeam({ userId, teamId: orgId }) }
      );
    }

    // Level 4: keys move (or are issued) only into a team the user is a member of.
    const [moved, newKey] = await saga.all([
      () => (fewerRoundTrips ? moveKeysTogether(saga, keysToMove, orgId) : moveKeys(saga, keysToMove, orgId)),
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

/**
 * Patch id of the shape with fewer round trips (issue 9): the reads are local activities in the run's first
 * workflow task, and the user's keys move in one step. Runs started before it replay the shape they began with.
 */
const LOCAL_READS_AND_KEYS_TOGETHER = 'migrate-local-reads-keys-together';

type MigrationReads = {
  settings: Awaited<ReturnType<typeof local.getProvisioningSettings>>;
  user: Awaited<ReturnType<LiteLLMActivities['getUser']>>;
  team: Awaited<ReturnType<LiteLLMActivities['getTeam']>>;
  keys: Awaited<ReturnType<LiteLLMActivities['listUserKeys']>>;
  storedKey: StoredKeyStatus;
};

/**
 * Level 1 inside the run's first workflow task: one local activity reading the settings, the user, the team
 * and the keys, recorded (a marker) before any write is scheduled. The stored key is checked in level 2.
 */
async function readLocally(saga: Saga, input: MigrateEntriesInput): Promise<Omit<MigrationReads, 'storedKey'>> {
  return saga.step('read user, team and keys', () =>
    localRead.readMigrationState({ userId: input.userId, teamId: input.orgId })
  );
}

/** Level 1 of runs started before `LOCAL_READS_AND_KEYS_TOGETHER`: one activity per read. */
async function readWithActivities(saga: Saga, input: MigrateEntriesInput): Promise<MigrationReads> {
  const { userId, orgId } = input;
  // Recorded (a marker in history) before any activity is scheduled, as every read must be before a write.
  const settings = await local.getProvisioningSettings();
  const storedKeyToCheck = checkableStoredKey(input, settings.liteLLMBaseUrl);
  const [user, team, keys, storedKey] = await saga.all([
    () => saga.step('read user', () => forward.getUser({ userId })),
    () => saga.step('read team', () => forward.getTeam({ teamId: orgId })),
    () => saga.step('read keys', () => forward.listUserKeys({ userId })),
    () => (storedKeyToCheck ? verifyStoredKey(saga, storedKeyToCheck) : Promise.resolve('not_checked' as const)),
  ]);
  return { settings, user, team, keys, storedKey };
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
