/**
 * Test helpers for activities: a capturing logger, running an activity in MockActivityEnvironment, and a
 * small retry loop that re-invokes on retryable failures (what Temporal would do).
 */
import { ApplicationFailure, type Logger, type LogLevel, type LogMetadata } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ProvisioningConfig } from '../../src/config';
import { PROVISIONING as SHARED_PROVISIONING } from '../helpers/fixtures';

export interface LogLine {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.lines.push({ level, message, meta });
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
  /** Everything logged, as one string (to search for leaked secrets). */
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta ?? {})}`).join('\n');
  }
}

/** The shared provisioning with billing off (new teams unlimited) and a default team of these tests' own. */
export const PROVISIONING: ProvisioningConfig = {
  ...SHARED_PROVISIONING,
  defaultTeamId: 'default-team',
  defaultInitialBudget: null,
};

export const DERIVATION_SECRET = 'derivation-secret-for-tests-0123456789';

/** Run one activity call inside a fresh MockActivityEnvironment (its logger captured). */
export async function inActivity<T>(
  logger: CapturingLogger,
  fn: () => Promise<T>,
  info: { attempt?: number; isLocal?: boolean } = {}
): Promise<T> {
  const env = new MockActivityEnvironment(info, { logger });
  return env.run(fn);
}

/** Every failure message and detail produced, as text (to search for leaked secrets). */
export function failureText(e: unknown): string {
  if (e instanceof ApplicationFailure) return `${e.type} ${e.message} ${JSON.stringify(e.details ?? [])}`;
  if (e instanceof Error) return `${e.name} ${e.message}`;
  return String(e);
}

export async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/**
 * Re-invoke `fn` while it fails with a retryable ApplicationFailure (as Temporal's retry policy would),
 * at most `attempts` times. Returns the result and the failures seen.
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  attempts = 50
): Promise<{ result: T; failures: ApplicationFailure[] }> {
  const failures: ApplicationFailure[] = [];
  for (let i = 0; i < attempts; i++) {
    try {
      return { result: await fn(), failures };
    } catch (e) {
      if (e instanceof ApplicationFailure && !e.nonRetryable) {
        failures.push(e);
        continue;
      }
      throw e;
    }
  }
  throw new Error(`still failing after ${attempts} attempts: ${failures.map((f) => f.type).join(', ')}`);
}
