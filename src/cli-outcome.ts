/**
 * What the CLI prints and the exit code it ends with, for a started operation it waits on.
 */
import { ActivityFailure, ChildWorkflowFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { LiteLLMWorkflowsClient } from './client';
import { redact } from './redact';

export const EXIT = { ok: 0, failed: 1, badInput: 2, inProgress: 3, awaitingOperator: 4, wouldChange: 5 } as const;

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The innermost failure of a chain (child workflow → activity → application failure): the real cause. */
function rootCause(err: Error): Error {
  let cause: Error = err;
  while ((cause instanceof ChildWorkflowFailure || cause instanceof ActivityFailure) && cause.cause)
    cause = cause.cause;
  return cause;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the outcome: completed (exit 0), failed or rolled back (1, with the root cause), or paused for
 * an operator (4, with the step, its error and the commands that decide), whichever comes first.
 */
export async function waitFor(workflows: LiteLLMWorkflowsClient, handle: WorkflowHandle): Promise<number> {
  const { workflowId } = handle;
  const outcome = handle.result().then(
    (result: unknown) => ({ result }),
    (error: unknown) => ({ error })
  );
  for (;;) {
    const settled = await Promise.race([outcome, sleep(1000).then(() => undefined)]);
    if (settled && 'result' in settled) {
      print({ workflowId, status: 'completed', result: settled.result });
      return EXIT.ok;
    }
    if (settled) {
      if (!(settled.error instanceof WorkflowFailedError)) throw settled.error;
      const cause = rootCause(settled.error.cause ?? settled.error);
      const failureType = 'type' in cause && typeof cause.type === 'string' ? cause.type : cause.name;
      print({ workflowId, status: 'failed', error: redact(cause.message), failureType });
      return EXIT.failed;
    }
    const state = await workflows.getState(workflowId).catch(() => undefined);
    if (state?.phase === 'awaiting_operator' && state.awaiting) {
      const decide = (decision: string) => `litellm-workflows ${decision} --workflow-id ${workflowId}`;
      const commands = state.awaiting.allowed.map((d) => decide(d === 'retry' ? 'resume' : d));
      print({ workflowId, status: 'awaiting_operator', awaiting: state.awaiting, decideWith: commands });
      return EXIT.awaitingOperator;
    }
  }
}
