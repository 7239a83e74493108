import { downgradeRestore } from '../domain/decisions';
import { compensation, forward, local, untilDone } from './activity-options';
import type { DowngradeEntriesInput, DowngradeEntriesResult } from './definitions';
import { beginOperation } from './begin-operation';
import { Saga } from './saga';
import { moveKeys } from './steps';

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
    const settings = await local.getProvisioningSettings();
    const team = await saga.step('read team', () => forward.getTeam({ teamId: orgId }));
    if (!team) return { status: 'team_not_found', movedKeys: 0 };

    const membership = await saga.step('read membership', () => forward.getUserTeamInfo({ userId, teamId: orgId }));
    const { restoredBudget, restoredSpend } = downgradeRestore(team, membership);

    const user = await saga.step('read user', () => forward.getUser({ userId }));
    await saga.step(
      'restore user budget',
      () => forward.updateUser({ userId, maxBudget: restoredBudget, spend: restoredSpend }),
      {
        undo: async () =>
          user
            ? compensation.updateUser({ userId, spend: user.spend, maxBudget: user.maxBudget ?? undefined })
            : undefined,
      }
    );

    const defaultTeamId = settings.defaultTeamId;
    if (defaultTeamId) {
      const defaultTeam = await saga.step('read default team', () => forward.getTeam({ teamId: defaultTeamId }));
      const wasMember = defaultTeam?.memberUserIds.includes(userId) ?? false;
      await saga.step(
        'add user to default team',
        () => forward.addUserToTeam({ userId, teamId: defaultTeamId, maxBudgetInTeam: restoredBudget }),
        {
          undo: async () =>
            wasMember ? undefined : compensation.removeUserFromTeam({ userId, teamId: defaultTeamId }),
        }
      );
    }

    const keys = await saga.step('read keys', () => forward.listUserKeys({ userId }));
    const target = defaultTeamId ?? null;
    const moved = await moveKeys(
      saga,
      keys.filter((key) => key.teamId !== target),
      target
    );

    saga.commit();
    await saga.step('remove user from org team', () => untilDone.removeUserFromTeam({ userId, teamId: orgId }));
    await saga.step('delete org team', () => untilDone.deleteTeam({ teamId: orgId }));

    return { status: 'downgraded', restoredBudget, restoredSpend, movedKeys: moved.moved };
  });
}
