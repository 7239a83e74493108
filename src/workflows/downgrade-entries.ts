import { patched } from '@temporalio/workflow';
import { downgradeRestore } from '../domain/decisions';
import { compensation, forward, local, localRead, untilDone, type LiteLLMActivities } from './activity-options';
import type { DowngradeEntriesInput, DowngradeEntriesResult } from './definitions';
import { beginOperation } from './begin-operation';
import { Saga } from './saga';
import { moveKeys, moveKeysTogether } from './steps';

type DowngradeState = Awaited<ReturnType<LiteLLMActivities['readDowngradeState']>>;

/**
 * Patch id of the shape with fewer round trips (issue 9): the reads are one local activity in the run's first
 * workflow task, and the keys move in one step. Runs started before it replay the shape they began with.
 */
const LOCAL_READS_AND_KEYS_TOGETHER = 'downgrade-local-reads-keys-together';

/**
 * Undoes a migration (seed: `downgrade_entries`): the user's budget comes back from the org team, the user
 * rejoins the default team, the keys leave the org team, then the user leaves the org team and the team is
 * deleted. Those last two steps cannot be undone, so they are retried until they succeed, never rolled back.
 */
export async function downgradeEntries(raw: DowngradeEntriesInput): Promise<DowngradeEntriesResult> {
  const input = beginOperation('downgradeEntries', raw);
  const saga = new Saga('downgradeEntries', input.failurePolicy);
  const { orgId, userId } = input;

  return saga.run(async () => {
    const fewerRoundTrips = patched(LOCAL_READS_AND_KEYS_TOGETHER);
    // Level 1, reads only: the org team, the membership, the user, the default team and the user's keys.
    const { settings, team, membership, user, defaultTeam, keys } = fewerRoundTrips
      ? await saga.step('read team, membership, user and keys', () =>
          localRead.readDowngradeState({ userId, teamId: orgId })
        )
      : await readWithActivities(saga, userId, orgId);
    const defaultTeamId = settings.defaultTeamId;
    if (!team) return { status: 'team_not_found', movedKeys: 0 };

    const { restoredBudget, restoredSpend } = downgradeRestore(team, membership);

    // Level 2: the user's budget and the membership of the default team are independent.
    await saga.all([
      () =>
        saga.step(
          'restore user budget',
          () =>
            forward.updateUser({
              userId,
              maxBudget: restoredBudget,
              spend: restoredSpend,
              // A user read moments ago is not checked again on the first attempt (null: let it check).
              justRead: fewerRoundTrips && user !== null,
            }),
          {
            undo: async () =>
              user
                ? compensation.updateUser({ userId, spend: user.spend, maxBudget: user.maxBudget ?? undefined })
                : undefined,
          }
        ),
      async () => {
        if (!defaultTeamId) return;
        const wasMember = defaultTeam?.memberUserIds.includes(userId) ?? false;
        await saga.step(
          'add user to default team',
          () => forward.addUserToTeam({ userId, teamId: defaultTeamId, maxBudgetInTeam: restoredBudget }),
          {
            undo: async () =>
              wasMember ? undefined : compensation.removeUserFromTeam({ userId, teamId: defaultTeamId }),
          }
        );
      },
    ]);

    // Level 3: keys move only into a team the user is a member of.
    const target = defaultTeamId ?? null;
    const leaving = keys.filter((key) => key.teamId !== target);
    const moved = fewerRoundTrips
      ? await moveKeysTogether(saga, leaving, target)
      : await moveKeys(saga, leaving, target);

    saga.commit();
    await saga.step('remove user from org team', () => untilDone.removeUserFromTeam({ userId, teamId: orgId }));
    await saga.step('delete org team', () => untilDone.deleteTeam({ teamId: orgId }));

    return { status: 'downgraded', restoredBudget, restoredSpend, movedKeys: moved.moved };
  });
}

/** Level 1 of runs started before `LOCAL_READS_AND_KEYS_TOGETHER`: one activity per read. */
async function readWithActivities(saga: Saga, userId: string, orgId: string): Promise<DowngradeState> {
  const settings = await local.getProvisioningSettings();
  const defaultTeamId = settings.defaultTeamId;
  const [team, membership, user, defaultTeam, keys] = await saga.all([
    () => saga.step('read team', () => forward.getTeam({ teamId: orgId })),
    () => saga.step('read membership', () => forward.getUserTeamInfo({ userId, teamId: orgId })),
    () => saga.step('read user', () => forward.getUser({ userId })),
    () =>
      defaultTeamId
        ? saga.step('read default team', () => forward.getTeam({ teamId: defaultTeamId }))
        : Promise.resolve(null),
    () => saga.step('read keys', () => forward.listUserKeys({ userId })),
  ]);
  return { settings, team, membership, user, defaultTeam, keys };
}
