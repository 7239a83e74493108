import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installCapturingRuntime, testDataConverter, workflowBundle } from '../helpers/temporal';

const HISTORIES = join(__dirname, '..', 'histories');
installCapturingRuntime();
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
}

describe('replay of recorded histories', () => {
  it('has a history for every path', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(
      [
        'add-credits-completed',
        'create-entries-completed',
        'create-entries-completed-activity-reads',
        'downgrade-completed',
        'downgrade-completed-activity-reads',
        'migrate-already-migrated',
        'migrate-cancelled',
        'migrate-completed',
        // Recorded before migrations and downgrades read locally and moved keys together: their patches keep them replaying.
        'migrate-completed-activity-reads',
        'migrate-failure-then-rollback-activity-reads',
        'migrate-failure-then-operator-retry',
        'migrate-failure-then-rollback',
        'migrate-half-migrated-completed',
        'migrate-fleet-continued-as-new',
        'team-budget-continued-as-new',
      ].sort()
    );
  });

  it('today’s workflow code replays every one of them', async () => {
    const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle(), dataConverter: testDataConverter() },
      histories
    )) {
      results.push({ workflowId: result.workflowId, error: result.error?.message });
    }
    expect(results).toEqual(files.map((file) => ({ workflowId: file, error: undefined })));
  });

  it('a workflow whose steps changed fails replay with a determinism violation', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: require.resolve('./changed-workflows') });
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: changed, dataConverter: testDataConverter() },
        load('migrate-completed.json')
      )
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
