/**
 * `repairFleet`: heals a doctor report's findings through the fleet window (bounded concurrency, pause /
 * resume / cancel by the `fleetControl` Update, `fleetProgress` query, continue-as-new, an outcome per task).
 *
 * One task per user (all of a user's repairs in one `repairFindings` saga under the user's tenancy workflow
 * id, so a repair never runs beside a migration of the same user), one per key of a user who is gone, and a
 * `downgradeEntries` run for a downgrade left half-way. A user's other repairs wait while its downgrade is
 * finished (`deferred`: the next doctor finds them again).
 */
import { ApplicationFailure, continueAsNew } from '@temporalio/workflow';
import { INVALID_INPUT } from './begin-operation';
import { checkWorkflowInput, describeInputIssues } from './input-check';
import type { RepairPlan } from '../domain/doctor-findings';
import {
  ChildWindow,
  installWindowHandlers,
  type ChildTask,
  type WindowCarry,
  type WindowSummary,
} from './child-window';
import { MIGRATION_WIDEST_LEVEL, workflowIds, type FailurePolicy } from './definitions';
import type { FindingRepair, RepairFindingsInput } from './repair-findings';

export interface RepairFleetInput {
  repairs: RepairPlan[];
  /** LiteLLM calls the repairs may have in flight at once. @default 32 */
  liteLLMConcurrency?: number;
  /** Each repair's failure policy. @default { onFailure: 'rollback' } */
  failurePolicy?: FailurePolicy;
  /** Tasks started per run before continuing as new. @default 250 */
  childrenPerRun?: number;
  /** Carried across continue-as-new; callers leave it out. */
  carry?: WindowCarry;
  /** Carried across continue-as-new: tasks not yet started. */
  pending?: RepairTask[];
  deferred?: string[];
}

/** One outcome per task (a user, or a key): its status and what its saga did. */
export interface RepairFleetResult extends WindowSummary {
  /** Users whose other repairs wait for their downgrade to be finished. */
  deferred: string[];
}

export type RepairTask =
  | { subject: string; workflow: 'downgradeEntries'; userId: string }
  | { subject: string; workflow: 'repairFindings'; userId: string | null; repairs: FindingRepair[] };

export const REPAIR_DEFAULTS = { liteLLMConcurrency: 32 };

/** Groups repairs into tasks: one per user, one per orphan key of a user who is gone (pure, deterministic). */
export function repairTasks(repairs: RepairPlan[]): { tasks: RepairTask[]; deferred: string[] } {
  const byUser = new Map<string, FindingRepair[]>();
  const downgrades = new Set<string>();
  const keyTasks: RepairTask[] = [];
  for (const repair of repairs) {
    if (repair.kind === 'finishDowngrade') downgrades.add(repair.userId);
    else if (repair.kind === 'deleteOrphanKey' && (repair.reason === 'user_gone' || repair.userId === null)) {
      const subject = `key:${repair.tokenHash}`;
      keyTasks.push({ subject, workflow: 'repairFindings', userId: null, repairs: [repair] });
    } else {
      const userId = repair.userId as string;
      byUser.set(userId, [...(byUser.get(userId) ?? []), repair]);
    }
  }
  const tasks: RepairTask[] = [...downgrades].map((userId) => ({
    subject: userId,
    workflow: 'downgradeEntries' as const,
    userId,
  }));
  const deferred: string[] = [];
  for (const [userId, list] of byUser) {
    if (downgrades.has(userId)) deferred.push(userId);
    else tasks.push({ subject: userId, workflow: 'repairFindings', userId, repairs: list });
  }
  return { tasks: [...tasks, ...keyTasks], deferred };
}

function toChildTask(task: RepairTask, failurePolicy: FailurePolicy): ChildTask {
  if (task.workflow === 'downgradeEntries') {
    return {
      key: task.subject,
      workflowType: 'downgradeEntries',
      workflowId: workflowIds.tenancy(task.userId, task.userId),
      args: [{ orgId: task.userId, userId: task.userId, failurePolicy }],
    };
  }
  const args: RepairFindingsInput = { subject: task.subject, repairs: task.repairs, failurePolicy };
  return {
    key: task.subject,
    workflowType: 'repairFindings',
    // A user's repairs share the user's lock with create/migrate/downgrade; a lone key gets its own id.
    workflowId: task.userId ? workflowIds.tenancy(task.userId, task.userId) : `litellm-repair-${task.subject}`,
    args: [args],
  };
}

export async function repairFleet(input: RepairFleetInput): Promise<RepairFleetResult> {
  const checked = checkWorkflowInput('repairFleet', input);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: INVALID_INPUT,
      message: describeInputIssues('repairFleet', checked.issues),
      nonRetryable: true,
    });
  }
  const concurrency = input.liteLLMConcurrency ?? REPAIR_DEFAULTS.liteLLMConcurrency;
  const failurePolicy = input.failurePolicy ?? { onFailure: 'rollback' };
  const window = new ChildWindow(
    {
      size: Math.max(1, Math.floor(concurrency / MIGRATION_WIDEST_LEVEL)),
      ...(input.childrenPerRun ? { childrenPerRun: input.childrenPerRun } : {}),
      summarize: (result) => result,
    },
    input.carry
  );
  installWindowHandlers(window);
  const grouped = input.pending ? { tasks: input.pending, deferred: input.deferred ?? [] } : repairTasks(input.repairs);
  const { started, done } = await window.run(grouped.tasks.map((t) => toChildTask(t, failurePolicy)));
  if (!done) {
    return continueAsNew<typeof repairFleet>({
      ...input,
      repairs: [],
      pending: grouped.tasks.slice(started),
      deferred: grouped.deferred,
      carry: window.carry(),
    });
  }
  return { ...window.summary(), deferred: grouped.deferred };
}
