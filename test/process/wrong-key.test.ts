/**
 * A worker that cannot decrypt a run's payloads (the caller encrypted with a key id the worker does not
 * have) says so once, clearly, naming the key id and never key material; the run waits and continues
 * once the worker has the key.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { createDataConverter } from '../../src/codec/data-converter';
import { LiteLLMWorkflowsClient } from '../../src/client';
import { eventually, MASTER_KEY, useBench } from '../helpers/harness';
import { primeDefaultUser } from '../helpers/litellm-state';
import { startTsProcess, workerEnv, type CapturedProcess } from '../helpers/processes';
import { TEST_ENCRYPTION_KEYS_SPEC, uniqueTaskQueue } from '../helpers/temporal';

const started: CapturedProcess[] = [];
// Registered before the bench's hooks, so the workers stop before their Temporal server does.
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(2_000)));
});
const bench = useBench({ resetBeforeEach: false });
beforeAll(async () => {
  await primeDefaultUser(bench.emulator, MASTER_KEY);
});

function startWorker(taskQueue: string, keys: string): CapturedProcess {
  const worker = startTsProcess('worker.ts', [], {
    ...workerEnv(bench.env.address, taskQueue, bench.emulator.url),
    LITELLM_WORKFLOWS_ENCRYPTION_KEYS: keys,
  });
  started.push(worker);
  return worker;
}

describe('a payload encrypted with a key the worker does not have', () => {
  it('is logged once, naming the key id; with the key added the run completes', async () => {
    const taskQueue = uniqueTaskQueue('wrong-key');
    const otherKey = randomBytes(32);
    const otherSpec = `caller-key-2:${otherKey.toString('base64')}`;
    const callerClient = new Client({
      connection: bench.env.connection,
      namespace: bench.env.namespace,
      dataConverter: createDataConverter([{ id: 'caller-key-2', key: otherKey }]),
    });
    const client = new LiteLLMWorkflowsClient(callerClient, taskQueue);

    const worker = startWorker(taskQueue, TEST_ENCRYPTION_KEYS_SPEC);
    const handle = await client.startDowngradeEntries({ orgId: 'no-such-org', userId: 'u' });
    // Wait for a retried workflow task: the error must not be repeated on every attempt.
    await eventually(async () => {
      const attempt = (await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0;
      return attempt >= 2 ? true : undefined;
    }, 60_000);
    const ours = worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; message: string; meta?: Record<string, unknown> })
      .filter((entry) => entry.message.includes('unknown encryption key id "caller-key-2"'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ level: 'error', meta: { keyId: 'caller-key-2' } });
    expect(ours[0]?.message).toContain('LITELLM_WORKFLOWS_ENCRYPTION_KEYS');
    expect(worker.output()).not.toContain(otherKey.toString('base64'));
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // The operator's fix: the worker gets the key list its callers use (the caller's key first), and restarts.
    await worker.stop(5_000);
    startWorker(taskQueue, `${otherSpec},${TEST_ENCRYPTION_KEYS_SPEC}`);
    expect(await handle.result()).toMatchObject({ status: 'team_not_found' });
  });
});
