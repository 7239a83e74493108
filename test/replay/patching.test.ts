/**
 * How a change to a running workflow ships (README, "Changing a workflow"): behind `patched()`, the changed
 * code replays a history recorded before the change; the same change without the patch does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { installCapturingRuntime, testDataConverter } from '../helpers/temporal';

installCapturingRuntime();

/** A migration recorded with today's code (test/histories, `npm run record-histories`). */
const recorded = historyFromJSON(
  JSON.parse(readFileSync(join(__dirname, '..', 'histories', 'migrate-completed.json'), 'utf8'))
);

async function replay(workflowsPath: string): Promise<void> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  await Worker.runReplayHistory({ workflowBundle, dataConverter: testDataConverter() }, recorded);
}

describe('changing a workflow that has runs in flight', () => {
  it('the change behind patched() replays a history recorded before it', async () => {
    await expect(replay(require.resolve('./patched-workflows'))).resolves.toBeUndefined();
  });

  it('the same change without patched() fails that replay with a determinism violation', async () => {
    await expect(replay(require.resolve('./unpatched-workflows'))).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
