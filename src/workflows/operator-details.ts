/**
 * What the Web UI shows an operator about a run: its static summary and details (set by the client at start:
 * the operation, its entities, its failure policy) and its current details (kept up to date by the saga at
 * each phase change: the phase, the failed step and its error, the decisions accepted and how to send each,
 * the deadline). Pure text from the state: no secrets (errors are redacted before they reach the state).
 */
import type { Decision, OperationName, OperationState, ResolvedFailurePolicy } from './definitions';

/** The CLI command that sends each decision (the `decide` Update with the decision as its one argument). */
const COMMAND: Record<Decision, string> = { retry: 'resume', rollback: 'rollback', skip: 'skip' };

export function staticSummary(
  operation: OperationName,
  ids: { orgId?: string; userId?: string; teamId?: string },
  policy: ResolvedFailurePolicy
): string {
  const entities = [
    ids.orgId && `org ${ids.orgId}`,
    ids.userId && `user ${ids.userId}`,
    ids.teamId && ids.teamId !== ids.orgId && `team ${ids.teamId}`,
  ].filter(Boolean);
  return `${operation} · ${entities.join(' · ')} · on failure: ${policy.onFailure}`;
}

export function staticDetails(
  operation: OperationName,
  ids: { orgId?: string; userId?: string; teamId?: string },
  policy: ResolvedFailurePolicy
): string {
  return [
    `- **Operation** ${operation}`,
    ...(ids.orgId ? [`- **Org** ${ids.orgId}`] : []),
    ...(ids.userId ? [`- **User** ${ids.userId}`] : []),
    ...(ids.teamId ? [`- **Team** ${ids.teamId}`] : []),
    policy.onFailure === 'pause'
      ? `- **On failure** pause for an operator (up to ${policy.operatorTimeout}, then ${policy.defaultDecision})`
      : '- **On failure** roll back at once',
  ].join('\n');
}

/** The run's current details, in the Web UI's markdown (one list item per field: plain lines would run together). */
export function currentDetails(workflowId: string, state: OperationState): string {
  const done = state.steps.filter((s) => s.status === 'done').length;
  const awaiting = state.phase === 'awaiting_operator' ? state.awaiting : undefined;
  const lines = [`- **Phase** ${state.phase.replace(/_/g, ' ')} · ${done} of ${state.steps.length} steps done`];
  if (awaiting) {
    // The Web UI shows these in a frame of fixed height: the deadline first, the commands last and complete.
    lines.push(
      `- **Deadline** ${awaiting.deadline}, then ${awaiting.defaultDecision} is taken`,
      `- **Failed step** ${awaiting.step}${awaiting.during === 'compensation' ? ' (its undo)' : ''}: ${awaiting.error}`,
      '- **Decide** (the `decide` Update, or the CLI):',
      ...awaiting.allowed.map(
        (decision) => `  - ${decision}: \`litellm-workflows ${COMMAND[decision]} --workflow-id ${workflowId}\``
      )
    );
  }
  const failed = state.steps.find((s) => s.compensationError);
  if (!awaiting && failed) lines.push(`- **Undo failed** ${failed.name}: ${failed.compensationError}`);
  return lines.join('\n');
}
