/**
 * Steps more than one workflow takes, each with its undo: the org team, key moves, key issuance.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import { openHandsCloudKeyAlias } from '../domain/aliases';
import { compensation, forward, local, type LiteLLMActivities } from './activity-options';
import type { Saga } from './saga';

type TeamSnapshot = NonNullable<Awaited<ReturnType<LiteLLMActivities['getTeam']>>>;
type KeySummary = Awaited<ReturnType<LiteLLMActivities['listUserKeys']>>[number];

/**
 * Creates the org team, or updates it when it exists. The undo deletes a team this step created, or
 * restores exactly the alias, budget and metadata of one it found (`before`, read earlier in the run).
 */
export function createOrUpdateTeam(
  saga: Saga,
  team: { teamId: string; teamAlias: string; maxBudget: number | null },
  before: TeamSnapshot | null
): Promise<{ created: boolean }> {
  return saga.step('create or update team', () => forward.createTeam(team), {
    undo: () =>
      before
        ? compensation.updateTeam({
            teamId: team.teamId,
            maxBudget: before.maxBudget,
            teamAlias: before.teamAlias,
            // Histories recorded before snapshots carried metadata replay with it absent: left unchanged then.
            ...(before.metadata ? { metadata: before.metadata } : {}),
          })
        : compensation.deleteTeam({ teamId: team.teamId }),
  });
}

/** Moves every key into `teamId` together, each with its own undo back to the team it came from. */
export async function moveKeys(
  saga: Saga,
  keys: KeySummary[],
  teamId: string | null
): Promise<{ moved: number; unknown: number }> {
  // All at once (one level): each key is its own step with its own undo.
  const outcomes = await saga.all(
    keys.map(
      (key) => () =>
        saga.step(
          `move key ${key.tokenHash.slice(0, 8)}`,
          () => forward.updateKey({ keyOrHash: key.tokenHash, teamId }),
          { undo: () => compensation.updateKey({ keyOrHash: key.tokenHash, teamId: key.teamId }) }
        )
    )
  );
  // A key LiteLLM no longer knows is reported, not swallowed (the seed logged and went on silently).
  const moved = outcomes.filter((o) => o.outcome === 'updated').length;
  const unknown = outcomes.length - moved;
  return { moved, unknown };
}

/**
 * Moves every key into `teamId` in one step (one activity, the writes in parallel inside it); the undo moves
 * each key back to the team it came from, also in one activity. Both are absolute writes, so an undo after a
 * partial move is exact: a key that never moved is "moved back" to where it already is.
 */
export async function moveKeysTogether(
  saga: Saga,
  keys: KeySummary[],
  teamId: string | null
): Promise<{ moved: number; unknown: number }> {
  if (keys.length === 0) return { moved: 0, unknown: 0 };
  const { updated, unknown } = await saga.step(
    keys.length === 1 ? 'move key' : `move ${keys.length} keys`,
    () => forward.setKeyTeams({ keys: keys.map((key) => ({ tokenHash: key.tokenHash, teamId })) }),
    {
      undo: () =>
        compensation.setKeyTeams({ keys: keys.map(({ tokenHash, teamId: from }) => ({ tokenHash, teamId: from })) }),
    }
  );
  // A key LiteLLM no longer knows is reported, not swallowed (the seed logged and went on silently).
  return { moved: updated, unknown };
}

/**
 * Issues the user's OpenHands Cloud key in the org. The issuance id is random, taken once before the step and
 * kept (encrypted) in history, so a retried issuance returns the same key instead of minting a second one, and
 * no workflow or run id lets anyone derive the key; the undo deletes exactly that key.
 */
export async function issueCloudKey(
  saga: Saga,
  userId: string,
  orgId: string
): Promise<Awaited<ReturnType<LiteLLMActivities['generateKey']>>> {
  // Runs started before random issuance ids keep the id they derived their key from (README: patching).
  const issuanceId = patched('random-issuance-id')
    ? await local.newIssuanceId()
    : `${workflowInfo().workflowId}/${workflowInfo().runId}/key`;
  const keyAlias = openHandsCloudKeyAlias(userId, orgId);
  return saga.step('generate key', () => forward.generateKey({ userId, teamId: orgId, keyAlias, issuanceId }), {
    undo: () => compensation.deleteIssuedKey({ issuanceId }),
  });
}
