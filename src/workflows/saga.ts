/**
 * The one mechanism behind every workflow: a list of steps, each with an optional undo registered before
 * it runs; a failure policy (roll back now, or pause for an operator's `retry` / `rollback`); a rollback
 * that runs newest-first in a non-cancellable scope and escalates a failed undo instead of swallowing it;
 * and a `state` query that shows all of it at any time. A workflow using it reads as its list of steps.
 * It counts compensations and operator waits through the workflow metric meter (not counted on replay).
 */
import { msToNumber } from '@temporalio/common/lib/time';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  ContinueAsNew,
  isCancellation,
  log,
  metricMeter,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import { STATE } from '../search-attributes';
import { currentDetails } from './operator-details';
import {
  decideUpdate,
  resolveFailurePolicy,
  stateQuery,
  type AwaitedDecision,
  type Decision,
  type FailurePolicy,
  type OperationName,
  type OperationPhase,
  type OperationState,
  type ResolvedFailurePolicy,
  type StepState,
} from './definitions';

const SEARCH_ATTRIBUTE_STATE: Record<OperationPhase, string> = {
  running: 'Running',
  awaiting_operator: 'AwaitingOperator',
  rolling_back: 'RollingBack',
  completed: 'Completed',
  rolled_back: 'RolledBack',
  rollback_failed: 'RollbackFailed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Counters of the saga, exported with the SDK's metrics (the meter adds namespace, task queue, workflow type). */
function sagaMetrics() {
  return {
    compensations: metricMeter.createCounter(
      'litellm_compensations_total',
      'compensations',
      'Undo steps run, by operation and outcome (compensated, skipped, failed)'
    ),
    awaitingOperator: metricMeter.createCounter(
      'litellm_awaiting_operator_total',
      'operations',
      'Failures that made an operation wait for an operator decision'
    ),
  };
}

interface Compensation {
  step: StepState;
  undo: () => Promise<unknown>;
}

export interface StepOptions {
  /** Undo of this step, built from what was read before it ran; must be idempotent ("…if present"). */
  undo?: () => Promise<unknown>;
}

/** Mask anything that looks like a virtual key; activity errors are redacted already, this is a last guard. */
function maskKeys(text: string): string {
  return text.replace(/sk-[A-Za-z0-9_-]{4,}/g, (key) => `sk-…${key.slice(-4)}`);
}

/** A short, secret-free description of why a step failed: the LiteLLM error type and message. */
export function describeFailure(err: unknown): string {
  let cause: unknown = err;
  while ((cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) && cause.cause)
    cause = cause.cause;
  // A spent retry budget is a timeout whose cause is the last attempt's failure: name both.
  if (cause instanceof TimeoutFailure && cause.cause) return `${describeFailure(cause.cause)} (retry budget spent)`;
  if (cause instanceof ApplicationFailure) return maskKeys(`${cause.type ?? 'Error'}: ${cause.message}`);
  if (cause instanceof Error) return maskKeys(`${cause.name}: ${cause.message}`);
  return maskKeys(String(cause));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Thrown inside the workflow when a step failed for good and the decision was to roll back. */
class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: string
  ) {
    super(`step "${step}" failed: ${reason}`);
    this.name = 'StepFailed';
  }
}

export class Saga {
  private readonly policy: ResolvedFailurePolicy;
  private readonly steps: StepState[] = [];
  private readonly compensations: Compensation[] = [];
  private readonly metrics = sagaMetrics();
  private phase: OperationPhase = 'running';
  private awaiting?: AwaitedDecision;
  private decision?: Decision;
  /** Past the point of no return: no more rollback, remaining steps are retried until they succeed. */
  private committed = false;
  /** Set once one step's failure led to a rollback: other failed steps of the same level ask nobody. */
  private rollbackDecided = false;

  constructor(
    private readonly operation: OperationName,
    policy: FailurePolicy | undefined
  ) {
    this.policy = resolveFailurePolicy(policy);
    setHandler(stateQuery, () => this.state());
    setHandler(
      decideUpdate,
      async (decision) => {
        this.decision = decision;
        // Answer once the decision is taken up, so the operator sees the state it led to.
        await condition(() => this.awaiting === undefined);
        return this.state();
      },
      {
        validator: (decision: Decision, ...extra: unknown[]) => {
          if (extra.length > 0) throw new Error('The decision is one argument: "retry", "rollback" or "skip"');
          if (!this.awaiting) throw new Error(`No decision is awaited: the operation is ${this.phase}`);
          if (!this.awaiting.allowed.includes(decision)) {
            throw new Error(
              `Decision "${decision}" does not fit now: step "${this.awaiting.step}" awaits one of ${this.awaiting.allowed.join(', ')}`
            );
          }
        },
      }
    );
  }

  state(): OperationState {
    return {
      operation: this.operation,
      phase: this.phase,
      steps: this.steps.map((s) => ({ ...s })),
      ...(this.awaiting ? { awaiting: { ...this.awaiting } } : {}),
    };
  }

  /** Runs the workflow body; on failure or cancellation rolls back what was done. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    // No search-attribute event here: every workflow's first line (beginOperation) set LiteLLMState=Running.
    try {
      const result = await body();
      this.setPhase('completed');
      return result;
    } catch (err) {
      // Continuing as new is how a long operation keeps its history bounded, not a failure.
      if (err instanceof ContinueAsNew) throw err;
      const cancelled = isCancellation(err);
      const reason = err instanceof StepFailed ? err.reason : describeFailure(err);
      log.warn('Operation failed; rolling back', { operation: this.operation, cancelled, reason });
      await CancellationScope.nonCancellable(() => this.rollback());
      if (cancelled) {
        this.setPhase('cancelled');
        throw err;
      }
      // A workflow's own refusal (e.g. `UserNotFound`) keeps its name: the caller tells it from a rollback.
      if (err instanceof ApplicationFailure) {
        this.setPhase('failed');
        throw err;
      }
      throw ApplicationFailure.nonRetryable(
        `${this.operation} was rolled back: ${err instanceof StepFailed ? err.message : reason}`,
        'OperationRolledBack',
        this.state()
      );
    }
  }

  /** One step: registers its undo, runs it, and applies the failure policy when it fails for good. */
  async step<T>(name: string, forward: () => Promise<T>, options: StepOptions = {}): Promise<T> {
    const step: StepState = { name, status: 'pending', attempts: 0 };
    this.steps.push(step);
    if (options.undo && !this.committed) this.compensations.push({ step, undo: options.undo });
    const attempt = () => this.attemptUntilDecided(step, forward);
    return this.committed ? CancellationScope.nonCancellable(attempt) : attempt();
  }

  /**
   * One level of independent steps run together: each branch is a function calling `saga.step` (or a short
   * sequence of them), so each step keeps its own undo (registered before it runs) and its own state row.
   * The failure policy applies per failed step; operator decisions are asked one at a time. When a step fails
   * for good, the other branches are cancelled (an activity in flight ends before its cancellation is seen:
   * WAIT_CANCELLATION_COMPLETED) and the level waits for all of them to settle before the failure goes on
   * to the rollback, so no forward write of this level can land after the rollback began. The rollback then
   * undoes, newest level first, every step that started, including the cancelled ones (undos are idempotent).
   * Resolves to the branches' values, in order.
   */
  async all<const B extends ReadonlyArray<() => Promise<unknown>>>(
    branches: B
  ): Promise<{ -readonly [K in keyof B]: B[K] extends () => Promise<infer R> ? R : never }> {
    const scopes = branches.map(() => new CancellationScope());
    let firstFailure: unknown;
    const settled = await Promise.allSettled(
      branches.map((branch, i) =>
        (scopes[i] as CancellationScope).run(branch).catch((err: unknown) => {
          if (firstFailure === undefined && !isCancellation(err)) {
            firstFailure = err;
            scopes.forEach((scope, j) => j !== i && scope.cancel());
          }
          throw err;
        })
      )
    );
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (firstFailure !== undefined || rejected) throw asError(firstFailure ?? rejected?.reason);
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
      -readonly [K in keyof B]: B[K] extends () => Promise<infer R> ? R : never;
    };
  }

  /**
   * From here on nothing is rolled back: the remaining steps (the irreversible end of a downgrade) run
   * shielded from cancellation and are retried until they succeed, by their retry policy and then by an
   * operator's `retry`.
   */
  commit(): void {
    this.committed = true;
    this.compensations.length = 0;
  }

  private async attemptUntilDecided<T>(step: StepState, forward: () => Promise<T>): Promise<T> {
    for (;;) {
      step.status = 'running';
      step.attempts += 1;
      try {
        const value = await forward();
        step.status = 'done';
        delete step.lastError;
        return value;
      } catch (err) {
        step.status = 'failed';
        step.lastError = isCancellation(err) ? 'cancelled' : describeFailure(err);
        if (isCancellation(err)) throw err;
        const decision = await this.decideAfterFailure(step);
        if (decision === 'retry') continue;
        this.rollbackDecided = true;
        throw new StepFailed(step.name, step.lastError);
      }
    }
  }

  private decideAfterFailure(step: StepState): Promise<Decision> {
    if (this.committed) return this.awaitDecision(step, 'forward', ['retry'], 'retry');
    if (this.policy.onFailure === 'rollback' || this.rollbackDecided) return Promise.resolve('rollback');
    return this.awaitDecision(step, 'forward', ['retry', 'rollback'], this.policy.defaultDecision);
  }

  private async rollback(): Promise<void> {
    this.setPhase('rolling_back');
    for (const compensation of [...this.compensations].reverse()) {
      await this.compensate(compensation);
    }
    this.setPhase('rolled_back');
  }

  private async compensate({ step, undo }: Compensation): Promise<void> {
    step.status = 'compensating';
    for (;;) {
      try {
        await undo();
        step.status = 'compensated';
        delete step.compensationError;
        this.countCompensation('compensated');
        return;
      } catch (err) {
        step.compensationError = describeFailure(err);
        log.error('Compensation failed', { operation: this.operation, step: step.name, error: step.compensationError });
        if (this.policy.onFailure === 'rollback') {
          // Later undos may depend on this one (keys must leave a team before it is deleted): stop here.
          this.countCompensation('failed');
          this.setPhase('rollback_failed');
          throw ApplicationFailure.nonRetryable(
            `${this.operation}: undoing step "${step.name}" failed: ${step.compensationError}`,
            'RollbackFailed',
            this.state()
          );
        }
        const decision = await this.awaitDecision(step, 'compensation', ['retry', 'skip'], 'retry');
        if (decision === 'skip') {
          step.status = 'failed';
          this.countCompensation('skipped');
          return;
        }
      }
    }
  }

  private async awaitDecision(
    step: StepState,
    during: AwaitedDecision['during'],
    allowed: Decision[],
    defaultDecision: Decision
  ): Promise<Decision> {
    // Steps of one level may fail together: one decision is awaited at a time, and a rollback decided
    // meanwhile answers the others. A loop, not one wait: waiters released by the same activation all
    // see "nothing awaited", and the first to run takes the slot again before the others resume.
    while (this.awaiting !== undefined) await condition(() => this.awaiting === undefined);
    if (during === 'forward' && this.rollbackDecided && !this.committed) return 'rollback';
    const resumePhase = this.phase;
    this.decision = undefined;
    this.awaiting = {
      step: step.name,
      during,
      error: (during === 'forward' ? step.lastError : step.compensationError) ?? 'unknown error',
      allowed,
      defaultDecision,
      deadline: new Date(Date.now() + msToNumber(this.policy.operatorTimeout)).toISOString(),
    };
    this.setPhase('awaiting_operator');
    this.metrics.awaitingOperator.add(1, { operation: this.operation });
    try {
      const decided = await condition(() => this.decision !== undefined, this.policy.operatorTimeout);
      const decision = decided && this.decision ? this.decision : defaultDecision;
      log.info('Operator decision', { operation: this.operation, step: step.name, decision, timedOut: !decided });
      this.setPhase(resumePhase);
      return decision;
    } finally {
      // Also on cancellation while waiting: the rollback that follows awaits nothing.
      this.awaiting = undefined;
      this.decision = undefined;
    }
  }

  private countCompensation(outcome: 'compensated' | 'skipped' | 'failed'): void {
    this.metrics.compensations.add(1, { operation: this.operation, outcome });
  }

  private setPhase(phase: OperationPhase): void {
    this.phase = phase;
    setCurrentDetails(currentDetails(workflowInfo().workflowId, this.state()));
    upsertSearchAttributes([{ key: STATE, value: SEARCH_ATTRIBUTE_STATE[phase] }]);
  }
}
