/**
 * The ONE place that turns LiteLLM client errors into Temporal failures. Every activity runs through
 * `runActivity`, which logs (redacted) and converts whatever escaped the activity body. Which error becomes
 * which failure type, and whether it is retried, is the table in docs/activities.md (tested against this
 * module by test/unit/failure-table.test.ts).
 *
 * "Already so" outcomes (already exists, already in team, not found on delete) never reach here: each
 * activity recognises them with the predicates in src/litellm/errors.ts and returns success.
 * Failures carry one detail object with safe context only (route, status, LiteLLM's error type/param).
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  isNoDatabase,
  LiteLLMHttpError,
  LiteLLMInputError,
  LiteLLMResponseError,
  LiteLLMTransportError,
} from '../litellm/errors';
import { redact, redactText } from '../redact';
import { activitySignal, isLocalActivity, logEvent, startHeartbeats } from './context';

export const FailureType = {
  Validation: 'LiteLLMValidationError',
  /** 401: the master key (or a virtual key being checked) is not accepted. */
  Auth: 'LiteLLMAuthError',
  /**
   * 403 with the master key: LiteLLM refuses the change itself (a key moved into a team whose tpm limit it
   * exceeds, or whose member its user is not), whatever type label LiteLLM gives it (often `auth_error`).
   */
  ChangeRefused: 'LiteLLMChangeRefused',
  NotFound: 'LiteLLMNotFound',
  Conflict: 'LiteLLMConflict',
  ResponseInvalid: 'LiteLLMResponseInvalid',
  Input: 'LiteLLMInputError',
  RateLimited: 'LiteLLMRateLimited',
  Unavailable: 'LiteLLMUnavailable',
  Timeout: 'LiteLLMTimeout',
  Connection: 'LiteLLMConnectionError',
  /** createUser: LiteLLM said the user exists, but it cannot be found. */
  UserMissing: 'LiteLLMUserMissing',
  /** generateKey: the alias belongs to another key. */
  KeyAliasTaken: 'LiteLLMKeyAliasTaken',
  /** Anything else (a bug): retryable, message redacted. */
  Internal: 'LiteLLMActivityError',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export interface FailureDetails {
  activity: string;
  route?: string;
  status?: number;
  errorType?: string;
  param?: string;
  kind?: string;
  field?: string;
  path?: string;
  [extra: string]: unknown;
}

function nonRetryable(message: string, type: FailureType, details: FailureDetails): ApplicationFailure {
  return ApplicationFailure.create({ message: redactText(message), type, nonRetryable: true, details: [details] });
}

/**
 * Longest wait a local activity's retry takes from `Retry-After`. The worker, not the server, retries a local
 * activity, and it waits out the whole delay before it notices the schedule-to-close budget is spent: an
 * hour-long `Retry-After` would hold a local read for an hour instead of its 3 minutes.
 */
export const LOCAL_ACTIVITY_MAX_RETRY_DELAY_MS = 10_000;

function retryable(message: string, type: FailureType, details: FailureDetails, delayMs?: number) {
  const delay =
    delayMs !== undefined && isLocalActivity() ? Math.min(delayMs, LOCAL_ACTIVITY_MAX_RETRY_DELAY_MS) : delayMs;
  return ApplicationFailure.create({
    message: redactText(message),
    type,
    nonRetryable: false,
    details: [details],
    ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
  });
}

/** createUser: LiteLLM claimed the user exists, but reading the user does not find it (seed: F5). */
export function userMissingFailure(activity: string, userId: string): ApplicationFailure {
  return nonRetryable(
    `LiteLLM reported user ${userId} as existing, but it cannot be found`,
    FailureType.UserMissing,
    redact({ activity, userId }) as FailureDetails
  );
}

/** generateKey: the alias is held by a key that is not the one this issuance derived. */
export function keyAliasTakenFailure(activity: string, keyAlias: string): ApplicationFailure {
  return nonRetryable(
    `Key alias "${keyAlias}" belongs to another key`,
    FailureType.KeyAliasTaken,
    redact({ activity, keyAlias }) as FailureDetails
  );
}

/** A precondition found missing by the activity itself (e.g. updateUser on a user LiteLLM does not know). */
export function notFoundFailure(activity: string, what: string, details: Record<string, unknown>): ApplicationFailure {
  return nonRetryable(
    `${activity}: ${what} not found`,
    FailureType.NotFound,
    redact({ activity, ...details }) as FailureDetails
  );
}

/** Convert anything thrown inside an activity into what Temporal should see. */
export function toFailure(err: unknown, activity: string, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof CancelledFailure ? reason : new CancelledFailure('Activity cancelled');
  }
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  const prefix = `${activity}: `;

  if (err instanceof LiteLLMInputError) {
    return nonRetryable(prefix + err.message, FailureType.Input, { activity, field: err.field });
  }
  if (err instanceof LiteLLMResponseError) {
    return nonRetryable(prefix + err.message, FailureType.ResponseInvalid, {
      activity,
      route: err.route,
      status: err.status,
      path: err.path,
    });
  }
  if (err instanceof LiteLLMTransportError) {
    const details: FailureDetails = { activity, route: err.route, kind: err.kind };
    if (err.code) details.code = err.code;
    if (err.kind === 'timeout') return retryable(prefix + err.message, FailureType.Timeout, details);
    if (err.kind === 'aborted') return new CancelledFailure(redactText(prefix + err.message));
    return retryable(prefix + err.message, FailureType.Connection, details);
  }
  if (err instanceof LiteLLMHttpError) {
    const details: FailureDetails = { activity, route: err.route, status: err.status };
    if (err.errorType) details.errorType = err.errorType;
    if (err.param) details.param = err.param;
    const message = prefix + err.message;
    const s = err.status;
    if (s === 429) return retryable(message, FailureType.RateLimited, details, err.retryAfterMs);
    if (s >= 500 || s === 408 || isNoDatabase(err)) {
      return retryable(message, FailureType.Unavailable, details, err.retryAfterMs);
    }
    if (s === 401) return nonRetryable(message, FailureType.Auth, details);
    if (s === 403) return nonRetryable(message, FailureType.ChangeRefused, details);
    if (s === 404) return nonRetryable(message, FailureType.NotFound, details);
    if (s === 409) return nonRetryable(message, FailureType.Conflict, details);
    return nonRetryable(message, FailureType.Validation, details);
  }
  const message = err instanceof Error ? err.message : String(err);
  return retryable(prefix + message, FailureType.Internal, { activity });
}

/**
 * Run an activity body: hands it the activity's cancellation signal, heartbeats meanwhile (so that a
 * cancellation reaches it), logs the outcome (redacted), and converts every error through `toFailure`.
 */
export async function runActivity<T>(
  activity: string,
  attributes: Record<string, unknown>,
  body: (signal: AbortSignal | undefined) => Promise<T>,
  options: { heartbeatDetails?: () => unknown } = {}
): Promise<T> {
  const signal = activitySignal();
  const stopHeartbeats = startHeartbeats(options.heartbeatDetails);
  try {
    const result = await body(signal);
    logEvent('debug', `${activity}: done`, attributes);
    return result;
  } catch (err) {
    const failure = toFailure(err, activity, signal);
    const retry = failure instanceof ApplicationFailure ? !failure.nonRetryable : false;
    const level = failure instanceof CancelledFailure ? 'info' : retry ? 'warn' : 'error';
    logEvent(level, failure instanceof CancelledFailure ? `${activity}: cancelled` : `${activity}: failed`, {
      ...attributes,
      failureType: failure instanceof ApplicationFailure ? failure.type : failure.name,
      retryable: retry,
      error: failure.message,
    });
    throw failure;
  } finally {
    stopHeartbeats();
  }
}
