/**
 * One way for every test file to get a real Temporal server: an existing one when TEMPORAL_ADDRESS is set,
 * otherwise a dev server started from the CLI that scripts/temporal-cli.ts found or built.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createDataConverter } from '../../src/codec/data-converter';
import { parseEncryptionKeys } from '../../src/codec/keys';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/search-attributes';
import { workflowBundleOptions } from '../../src/workflow-bundle';
import { resolveTemporalCli } from '../../scripts/temporal-cli';

/** The fixed test key: recorded histories in test/histories are encrypted with it. Never a production key. */
export const TEST_ENCRYPTION_KEYS_SPEC = 'test-key-1:bGl0ZWxsbS13b3JrZmxvd3MtdGVzdC1rZXktMzJieXQ=';
export const TEST_ENCRYPTION_KEYS = parseEncryptionKeys(TEST_ENCRYPTION_KEYS_SPEC, 'test');
export const testDataConverter = (): DataConverter => createDataConverter(TEST_ENCRYPTION_KEYS);

let runtimeInstalled = false;
const logLines: string[] = [];

/** Every line the SDK, the workflows and the activities logged in this test file (for the secret scan). */
export function capturedLogLines(): readonly string[] {
  return logLines;
}

/**
 * Logs are captured, not printed (failures under test are expected); LOG_TESTS=1 prints them too.
 */
export function installCapturingRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const print = process.env.LOG_TESTS === '1';
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const line = `${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`;
      logLines.push(line);
      if (print) process.stderr.write(`${line}\n`);
    }),
  });
}

async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const searchAttributes = Object.fromEntries(
    ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])
  );
  try {
    await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace, searchAttributes });
  } catch (err) {
    if (!(err instanceof Error) || !/already exists/i.test(err.message)) throw err;
  }
}

/**
 * A real Temporal server with the project's search attributes and the test data converter. The caller installs
 * the Runtime first (tests: {@link installCapturingRuntime}). `extraArgs` go to `temporal server start-dev`.
 */
export async function createTestEnvironment(options: { extraArgs?: string[] } = {}): Promise<TestWorkflowEnvironment> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (address) {
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      client: { dataConverter: testDataConverter() },
    });
    await registerSearchAttributes(env);
    return env;
  }
  // Built beforehand by `npm test` (scripts/temporal-cli.ts), so no test waits for a Go build.
  const resolved = resolveTemporalCli({ build: false });
  try {
    return await TestWorkflowEnvironment.createLocal({
      server: {
        executable: resolved.path ? { type: 'existing-path', path: resolved.path } : { type: 'cached-download' },
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        log: { format: 'pretty', level: 'error' },
        extraArgs: options.extraArgs ?? [],
      },
      client: { dataConverter: testDataConverter() },
    });
  } catch (err) {
    if (resolved.path) throw err;
    throw new Error(
      `No Temporal CLI found and the SDK could not download one (${String(err)}). ` +
        'Install Go and run `npm run temporal-cli`, or set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS.'
    );
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file (webpack takes a few seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  // The production bundle's options: runs share the preloaded input check as they do in the worker.
  bundle ??= bundleWorkflowCode(workflowBundleOptions(new DefaultLogger('WARN')));
  return bundle;
}

export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${randomUUID()}`;
}
