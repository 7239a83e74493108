/**
 * Access to the running activity's context (cancellation signal, logger, metrics) that also works when an
 * activity function is called outside Temporal (scripts, plain unit tests): then there is no signal, no log
 * and no metric.
 */
import { Context } from '@temporalio/activity';
import { redact, redactText } from '../redact';

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * LiteLLM's audit attribution of a call made inside an activity: `<configured>/<operation>/<workflow id>`
 * (the operation is the workflow type, e.g. `migrateEntries`), so LiteLLM's audit log says which run changed
 * what. Characters a header cannot carry are percent-encoded. Outside an activity: undefined.
 */
export function activityChangedBy(configured: string): string | undefined {
  const info = currentContext()?.info;
  const workflowId = info?.workflowExecution?.workflowId;
  if (!info?.workflowType || !workflowId) return undefined;
  const headerSafe = (s: string): string => (/^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s));
  return `${configured}/${headerSafe(info.workflowType)}/${headerSafe(workflowId)}`;
}

/** What the previous attempt of this activity last heartbeated (its progress), if any. */
export function lastHeartbeatDetails(): unknown {
  return currentContext()?.info.heartbeatDetails;
}

/** True inside a local activity (run by the worker in a workflow task, retried by the worker). */
export function isLocalActivity(): boolean {
  return currentContext()?.info.isLocal ?? false;
}

/** True on an activity's first attempt, and outside Temporal (no attempt was made before). */
export function isFirstAttempt(): boolean {
  return (currentContext()?.info.attempt ?? 1) === 1;
}

/** The activity's cancellation signal (aborted when the activity is cancelled), if running as an activity. */
export function activitySignal(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/** How often a running activity heartbeats (the worker throttles what it actually sends). */
const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Heartbeat while an activity body runs. Temporal delivers a cancellation to an activity only in the answer
 * to a heartbeat, so without this a cancelled activity would not abort its HTTP call. The first beat comes
 * after an interval, not at once: most LiteLLM calls end sooner, and each beat is a write on the server.
 * Returns the stop.
 */
export function startHeartbeats(details?: () => unknown): () => void {
  const ctx = currentContext();
  // A local activity cannot heartbeat: its cancellation reaches the signal without one.
  if (!ctx || ctx.info.isLocal) return () => undefined;
  // With `details`, each beat carries the activity's progress: a retry reads it back and resumes there.
  const timer = setInterval(() => ctx.heartbeat(details?.()), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Log through the activity logger; message and attributes always pass through `redact`. */
export function logEvent(level: LogLevel, message: string, attributes: Record<string, unknown> = {}): void {
  const ctx = currentContext();
  if (!ctx) return;
  ctx.log[level](redactText(message), redact(attributes) as Record<string, unknown>);
}

/**
 * Count one LiteLLM call as `litellm_calls_total{route,status}` through the activity's metric meter, so it
 * lands in the SDK's registry (the Prometheus endpoint of METRICS_BIND_ADDRESS) with the activity type,
 * namespace and task queue as further labels. `status` is the HTTP status or `timeout`/`connection`/`aborted`.
 */
export function countLiteLLMCall(route: string, status: string): void {
  currentContext()
    ?.metricMeter.createCounter('litellm_calls_total', 'calls', 'LiteLLM admin API calls by route and status')
    .add(1, { route, status });
}
