/**
 * What the client raises, and the two Temporal calls every start and every operator decision go through, so
 * each maps Temporal's errors to ours in one place.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandleWithStartDetails,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/** Another operation on the same entity is running; it carries that run's workflow id. */
export class OperationInProgressError extends Error {
  constructor(
    readonly workflowId: string,
    readonly workflowType: string
  ) {
    super(`Another operation is already in progress for this entity (workflow id ${workflowId})`);
    this.name = 'OperationInProgressError';
  }
}

/** A `resume` or `rollback` that does not fit the operation's state (nothing awaited, wrong decision). */
export class DecisionRefusedError extends Error {
  constructor(
    readonly workflowId: string,
    reason: string
  ) {
    super(`Decision refused for ${workflowId}: ${reason}`);
    this.name = 'DecisionRefusedError';
  }
}

/** Starts `workflowType` unless a run with its id is open (`workflowIdConflictPolicy: 'FAIL'`). */
export async function startExclusive<W extends Workflow>(
  client: Client,
  workflowType: string,
  options: WorkflowStartOptions<W>
): Promise<WorkflowHandleWithStartDetails<W>> {
  try {
    return await client.workflow.start<W>(workflowType, { ...options, workflowIdConflictPolicy: 'FAIL' });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new OperationInProgressError(options.workflowId, err.workflowType);
    }
    throw err;
  }
}

/** Runs an operator's Update; a refusal by its validator (or a run that is gone) becomes {@link DecisionRefusedError}. */
export async function decideOrRefuse<T>(workflowId: string, update: () => Promise<T>): Promise<T> {
  try {
    return await update();
  } catch (err) {
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new DecisionRefusedError(workflowId, reason);
  }
}
