/**
 * Timeouts and retry policies of every LiteLLM activity, in one place. Activities decide what is worth
 * retrying (4xx that will never work are non-retryable failures); these policies decide how long to try.
 */
import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';

export type LiteLLMActivities = ReturnType<typeof createActivities>;

/** One LiteLLM call, including LiteLLM's own slow paths (key/update retries its DB lookup 3 times). */
const ATTEMPT_TIMEOUT = '45s';

const base: ActivityOptions = {
  startToCloseTimeout: ATTEMPT_TIMEOUT,
  /**
   * Activities heartbeat every second while a call is in flight: a cancellation reaches the HTTP call
   * promptly, and an activity whose worker died is retried after 10 s instead of after its start-to-close.
   */
  heartbeatTimeout: '10s',
  /** A cancelled workflow waits for the in-flight call to end before its undo steps start. */
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/**
 * Retry budgets are time, not attempts: a step whose activity makes two or three LiteLLM calls per attempt
 * (updateUser, createTeam) fails an attempt far more often under transient errors than a one-call step, and an
 * attempt count would make its budget shrink accordingly. Retries back off 1s, 2s, 4s, 8s, then every 10s (or
 * after LiteLLM's Retry-After) until the budget is spent; the clock includes time without a running worker.
 */
const transientRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' } as const;

/** One check of a stored key (`GET /v1/models` with it). */
const VERIFY_ATTEMPT_TIMEOUT = '15s';

/** Forward steps: 3 minutes of retries (about 20 attempts), then the failure policy decides. */
const FORWARD_RETRY_BUDGET = '3 minutes';

export const ACTIVITY_OPTIONS = {
  forward: { ...base, scheduleToCloseTimeout: FORWARD_RETRY_BUDGET, retry: transientRetry },
  /** Undo steps: more patient than forward steps, since giving up leaves LiteLLM half-changed. */
  compensation: { ...base, scheduleToCloseTimeout: '15 minutes', retry: { ...transientRetry, maximumInterval: '30s' } },
  /** The irreversible end of a downgrade: retried until it succeeds (only non-retryable errors stop it). */
  untilDone: {
    ...base,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  },
  /**
   * Verifying a stored key: the forward steps' budget, so a burst of transient errors does not leave a dead key
   * in place; only when LiteLLM cannot be asked for that long is the key's validity "unknown" (and it is kept).
   */
  verification: {
    ...base,
    startToCloseTimeout: VERIFY_ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: FORWARD_RETRY_BUDGET,
    retry: transientRetry,
  },
} satisfies Record<string, ActivityOptions>;

export const forward = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.forward);
export const compensation = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.compensation);
export const untilDone = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.untilDone);
export const verification = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.verification);
/** Worker-local reads without I/O (the provisioning settings): recorded in history, so replay sees the same. */
export const local = proxyLocalActivities<LiteLLMActivities>({ startToCloseTimeout: '5s' });

/**
 * LiteLLM reads run as local activities in the workflow task that starts a run: no activity task, no server
 * round trip, one marker in history each. Only reads, and only before the first write is scheduled: a workflow
 * task that times out re-runs them, which is harmless while nothing has been written (issue 9). The forward
 * steps' budget of time and backoff; the worker retries them itself, with a timer for long waits.
 */
export const localRead = proxyLocalActivities<LiteLLMActivities>({
  startToCloseTimeout: ATTEMPT_TIMEOUT,
  scheduleToCloseTimeout: FORWARD_RETRY_BUDGET,
  retry: transientRetry,
});
