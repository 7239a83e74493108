/**
 * A sliding window of child workflows: the reusable engine behind `migrateFleet` (and `doctor --repair`).
 *
 * A parent hands it a list of {@link ChildTask}s (workflow type, id, arguments) and a window size; at most
 * `size` children run at once, each next one starts as soon as one settles (the window is the back-pressure
 * that keeps LiteLLM and the Temporal server within what they can take), and every child's outcome is kept:
 * `completed` with a caller-chosen summary of its result, `rolled_back` (its saga undid itself), `failed`,
 * `cancelled`, or `not_started` (the fleet was cancelled first). One child's failure never stops the others.
 * `pause()` stops starting children (those running finish), `resume()` goes on, `cancel()` cancels the
 * running children (each rolls back and ends cancelled) and starts no more. `run()` returns after
 * `childrenPerRun` starts (or when the server suggests it) once the window has drained, so the parent can
 * continue as new with `carry()` and the tasks not yet started: history stays bounded at any fleet size.
 * `installWindowHandlers` adds the `fleetProgress` query and the `fleetControl` Update to the parent.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { describeFailure } from './saga';

export interface ChildTask {
  /** What the outcome report names this task by (e.g. `org/user`). */
  key: string;
  workflowType: string;
  workflowId: string;
  args: unknown[];
  typedSearchAttributes?: SearchAttributePair[];
}

export type ChildOutcomeStatus = 'completed' | 'rolled_back' | 'failed' | 'cancelled' | 'not_started';

export interface ChildOutcome {
  key: string;
  workflowId: string;
  status: ChildOutcomeStatus;
  /** What the parent kept of the child's result (never a secret: see `summarize`). */
  summary?: unknown;
  /** Redacted reason of a failure or rollback. */
  error?: string;
}

export type FleetCommand = 'pause' | 'resume' | 'cancel';

export interface WindowProgress {
  total: number;
  completed: number;
  rolledBack: number;
  failed: number;
  cancelled: number;
  running: number;
  pending: number;
  phase: 'running' | 'paused' | 'cancelling' | 'finished';
  windowSize: number;
  /** Children settled per minute since the fleet started (workflow time). */
  perMinute: number;
  /** Seconds until every task has settled at the current rate; null before the first one settled. */
  etaSeconds: number | null;
}

/** What a finished window reports: its counts, and one outcome per task (never a secret). */
export interface WindowSummary {
  total: number;
  completed: number;
  rolledBack: number;
  failed: number;
  cancelled: number;
  outcomes: ChildOutcome[];
}

/** What a window carries across continue-as-new. */
export interface WindowCarry {
  startedAtMs: number;
  outcomes: ChildOutcome[];
  paused: boolean;
}

export interface WindowOptions {
  /** Children running at once. */
  size: number;
  /** Children started per run before the parent continues as new. @default 250 */
  childrenPerRun?: number;
  /** Keeps what the report should hold of a child's result (default: nothing). */
  summarize?: (result: unknown) => unknown;
}

export const fleetProgressQuery = defineQuery<WindowProgress>('fleetProgress');
export const fleetControlUpdate = defineUpdate<WindowProgress, [FleetCommand]>('fleetControl');

/** Defaults of {@link WindowOptions}, resolved in one place. */
export const WINDOW_DEFAULTS = { childrenPerRun: 250 };

export class ChildWindow {
  private readonly outcomes: ChildOutcome[];
  private readonly startedAtMs: number;
  private readonly scopes = new Set<CancellationScope>();
  private paused: boolean;
  private cancelled = false;
  private finished = false;
  private pending = 0;

  constructor(
    private readonly options: WindowOptions,
    carry?: WindowCarry
  ) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new Error('window size must be an integer ≥ 1');
    this.outcomes = carry?.outcomes ?? [];
    this.startedAtMs = carry?.startedAtMs ?? Date.now();
    this.paused = carry?.paused ?? false;
  }

  /** Stops starting children; those running go on. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Cancels the running children (each rolls back) and starts no more; the rest is reported `not_started`. */
  cancel(): void {
    this.cancelled = true;
    for (const scope of this.scopes) scope.cancel();
  }

  command(command: FleetCommand): void {
    if (command === 'pause') this.pause();
    else if (command === 'resume') this.resume();
    else this.cancel();
  }

  /**
   * Runs `tasks` through the window. Returns how many were started (the parent continues as new with the
   * rest when `done` is false), after every started child has settled.
   */
  async run(tasks: ChildTask[]): Promise<{ started: number; done: boolean }> {
    const perRun = this.options.childrenPerRun ?? WINDOW_DEFAULTS.childrenPerRun;
    let started = 0;
    let running = 0;
    const inFlight: Array<Promise<void>> = [];
    while (started < tasks.length && !this.cancelled) {
      if (started >= perRun || (started > 0 && workflowInfo().continueAsNewSuggested)) break;
      this.pending = tasks.length - started;
      try {
        await condition(() => this.cancelled || (!this.paused && running < this.options.size));
      } catch (err) {
        // The parent itself was cancelled: its scope cancelled the children's; report what they did.
        if (!isCancellation(err)) throw err;
        this.cancelled = true;
      }
      if (this.cancelled) break;
      const task = tasks[started] as ChildTask;
      started += 1;
      running += 1;
      inFlight.push(
        this.runChild(task).finally(() => {
          running -= 1;
        })
      );
    }
    this.pending = tasks.length - started;
    await Promise.all(inFlight);
    const done = started === tasks.length || this.cancelled;
    if (this.cancelled) {
      for (const task of tasks.slice(started)) {
        this.outcomes.push({ key: task.key, workflowId: task.workflowId, status: 'not_started' });
      }
      this.pending = 0;
    }
    if (done) this.finished = true;
    return { started, done };
  }

  /** The state the next run starts from. */
  carry(): WindowCarry {
    return { startedAtMs: this.startedAtMs, outcomes: this.outcomes, paused: this.paused };
  }

  /** The report of a finished window. */
  summary(): WindowSummary {
    const { total, completed, rolledBack, failed, cancelled } = this.progress();
    return { total, completed, rolledBack, failed, cancelled, outcomes: this.outcomes };
  }

  progress(): WindowProgress {
    const count = (status: ChildOutcomeStatus) => this.outcomes.filter((o) => o.status === status).length;
    const settled = this.outcomes.filter((o) => o.status !== 'not_started').length;
    const running = this.scopes.size;
    const total = this.outcomes.length + running + this.pending;
    const minutes = Math.max(Date.now() - this.startedAtMs, 1) / 60_000;
    const perMinute = settled / minutes;
    const left = running + this.pending;
    return {
      total,
      completed: count('completed'),
      rolledBack: count('rolled_back'),
      failed: count('failed'),
      cancelled: count('cancelled') + count('not_started'),
      running,
      pending: this.pending,
      phase: this.finished ? 'finished' : this.cancelled ? 'cancelling' : this.paused ? 'paused' : 'running',
      windowSize: this.options.size,
      perMinute: Math.round(perMinute * 10) / 10,
      etaSeconds: settled > 0 ? Math.round((left / perMinute) * 60) : null,
    };
  }

  private async runChild(task: ChildTask): Promise<void> {
    const scope = new CancellationScope();
    this.scopes.add(scope);
    try {
      const result: unknown = await scope.run(async (): Promise<unknown> => {
        const handle = await startChild(task.workflowType, {
          workflowId: task.workflowId,
          args: task.args,
          ...(task.typedSearchAttributes ? { typedSearchAttributes: task.typedSearchAttributes } : {}),
        });
        return (await handle.result()) as unknown;
      });
      this.outcomes.push({
        key: task.key,
        workflowId: task.workflowId,
        status: 'completed',
        ...(this.options.summarize ? { summary: this.options.summarize(result) } : {}),
      });
    } catch (err) {
      this.outcomes.push({ key: task.key, workflowId: task.workflowId, ...classify(err) });
    } finally {
      this.scopes.delete(scope);
    }
  }
}

function classify(err: unknown): { status: ChildOutcomeStatus; error: string } {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  if (isCancellation(err)) return { status: 'cancelled', error: 'cancelled' };
  if (cause instanceof ApplicationFailure && cause.type === 'OperationRolledBack') {
    return { status: 'rolled_back', error: describeFailure(cause) };
  }
  return { status: 'failed', error: describeFailure(cause ?? err) };
}

/** The parent's `fleetProgress` query and `fleetControl` Update (pause, resume, cancel), bound to a window. */
export function installWindowHandlers(window: ChildWindow): void {
  setHandler(fleetProgressQuery, () => window.progress());
  setHandler(
    fleetControlUpdate,
    (command) => {
      window.command(command);
      return window.progress();
    },
    {
      validator: (command: FleetCommand) => {
        if (!['pause', 'resume', 'cancel'].includes(command)) {
          throw new Error(`fleetControl: command must be pause, resume or cancel, got ${String(command)}`);
        }
        const phase = window.progress().phase;
        if (phase === 'finished') throw new Error('fleetControl: the fleet has finished');
      },
    }
  );
}
