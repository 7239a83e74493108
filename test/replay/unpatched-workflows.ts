/** The same change as patched-workflows.ts without `patched()`: runs in flight would break on it. */
import { forward } from '../../src/workflows/activity-options';
import type { MigrateEntriesInput, MigrateEntriesResult } from '../../src/workflows/definitions';
import { migrateEntries as migrateEntriesBeforeTheChange } from '../../src/workflows/migrate-entries';

export async function migrateEntries(input: MigrateEntriesInput): Promise<MigrateEntriesResult> {
  const result = await migrateEntriesBeforeTheChange(input);
  await forward.getUser({ userId: input.userId });
  return result;
}
