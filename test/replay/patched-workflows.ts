/**
 * The README's "Changing a workflow" example: migrateEntries gains a step (after the migration it reads the
 * user back, to confirm the budget sentinel landed), shipped behind `patched()` so that runs started before
 * the deploy replay exactly as they were recorded, and only new runs take the new step.
 */
import { patched } from '@temporalio/workflow';
import { forward } from '../../src/workflows/activity-options';
import type { MigrateEntriesInput, MigrateEntriesResult } from '../../src/workflows/definitions';
import { migrateEntries as migrateEntriesBeforeTheChange } from '../../src/workflows/migrate-entries';

export async function migrateEntries(input: MigrateEntriesInput): Promise<MigrateEntriesResult> {
  const result = await migrateEntriesBeforeTheChange(input);
  if (patched('migrate-confirms-user-budget')) {
    await forward.getUser({ userId: input.userId });
  }
  return result;
}
