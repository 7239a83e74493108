import { ApplicationFailure, continueAsNew } from '@temporalio/workflow';
import { INVALID_INPUT } from './begin-operation';
import { checkWorkflowInput, describeInputIssues } from './input-check';
import { ORG_ID, STATE, USER_ID } from '../search-attributes';
import { ChildWindow, installWindowHandlers, type ChildTask } from './child-window';
import {
  MIGRATION_WIDEST_LEVEL,
  workflowIds,
  type MigrateEntriesInput,
  type MigrateEntriesResult,
  type MigrateFleetInput,
  type MigrateFleetResult,
} from './definitions';

/** Defaults of {@link MigrateFleetInput}. */
export const FLEET_DEFAULTS = { liteLLMConcurrency: 32 };

/** What the fleet report keeps of one migration: everything but the new key (a secret, kept in that run). */
function summarize(result: unknown): unknown {
  const { newKey, ...rest } = result as MigrateEntriesResult;
  return { ...rest, newKeyIssued: newKey !== undefined };
}

/**
 * Migrates many users, each as its own `migrateEntries` child (same workflow id as a single migration, so a
 * user is never migrated twice at once), through a sliding window sized from the LiteLLM concurrency
 * allowed. One user's failure never stops the fleet; it continues as new every `childrenPerRun` users so
 * history stays bounded; `fleetProgress` shows done / failed / rolled back / running, rate and ETA, and the
 * `fleetControl` Update pauses, resumes or cancels the whole fleet. The result reports every user.
 */
export async function migrateFleet(input: MigrateFleetInput): Promise<MigrateFleetResult> {
  // Checked here too (a run started from Python or the CLI of `temporal`), before any child starts.
  const { carry: _carry, ...fields } = input;
  const checked = checkWorkflowInput('migrateFleet', fields);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: INVALID_INPUT,
      message: describeInputIssues('migrateFleet', checked.issues),
      details: [checked.issues],
      nonRetryable: true,
    });
  }
  const concurrency = input.liteLLMConcurrency ?? FLEET_DEFAULTS.liteLLMConcurrency;
  const window = new ChildWindow(
    {
      size: Math.max(1, Math.floor(concurrency / MIGRATION_WIDEST_LEVEL)),
      ...(input.childrenPerRun ? { childrenPerRun: input.childrenPerRun } : {}),
      summarize,
    },
    input.carry
  );
  installWindowHandlers(window);

  const tasks: ChildTask[] = input.users.map((user) => {
    const args: MigrateEntriesInput = {
      ...user,
      failurePolicy: input.failurePolicy ?? { onFailure: 'rollback' },
    };
    return {
      key: `${user.orgId}/${user.userId}`,
      workflowType: 'migrateEntries',
      workflowId: workflowIds.tenancy(user.orgId, user.userId),
      args: [args],
      typedSearchAttributes: [
        { key: ORG_ID, value: user.orgId },
        { key: USER_ID, value: user.userId },
        { key: STATE, value: 'Running' },
      ],
    };
  });
  const { started, done } = await window.run(tasks);
  if (!done) {
    return continueAsNew<typeof migrateFleet>({ ...input, users: input.users.slice(started), carry: window.carry() });
  }
  return window.summary();
}
