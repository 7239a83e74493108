/**
 * A deliberately changed migrateEntries: it reads the team before the user. Replaying a history recorded
 * with the real code must fail, which proves the replay test can catch a breaking change.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { LiteLLMActivities } from '../../src/workflows/activity-options';
import type { MigrateEntriesInput } from '../../src/workflows/definitions';

const forward = proxyActivities<LiteLLMActivities>({ startToCloseTimeout: '10s' });

export async function migrateEntries(input: MigrateEntriesInput): Promise<unknown> {
  await forward.getTeam({ teamId: input.orgId });
  return forward.getUser({ userId: input.userId });
}
