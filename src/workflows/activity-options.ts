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

const base: ActivityOptions = {
  /** One LiteLLM call, including LiteLLM's own slow paths (key/update retries its DB lookup 3 times). */
  startToCloseTimeout: '45s',
  /**
   * Activities heartbeat every second while a call is in flight: a cancellation reaches the HTTP call
   * promptly, and an activity whose worker died is retried after 10 s instead of after its start-to-close.
   */
  heartbeatTimeout: '10s',
  /** A cancelled workflow waits for the in-flight call to end before its undo steps start. */
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

export const ACTIVITY_OPTIONS = {
  /** Forward steps: about 2 minutes of retries (1s, 2s, 4s … capped at 30s), then the failure policy decides. */
  forward: {
    ...base,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
  },
  /** Undo steps: more patient than forward steps, since giving up leaves LiteLLM half-changed. */
  compensation: {
    ...base,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 20 },
  },
  /** The irreversible end of a downgrade: retried until it succeeds (only non-retryable errors stop it). */
  untilDone: {
    ...base,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  },
  /** Verifying a stored key: a few quick tries; if LiteLLM stays unreachable the key's validity is "unknown". */
  verification: {
    ...base,
    startToCloseTimeout: '15s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
  },
} satisfies Record<string, ActivityOptions>;

export const forward = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.forward);
export const compensation = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.compensation);
export const untilDone = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.untilDone);
export const verification = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.verification);
/** Worker-local reads without I/O (the provisioning settings): recorded in history, so replay sees the same. */
export const local = proxyLocalActivities<LiteLLMActivities>({ startToCloseTimeout: '5s' });
