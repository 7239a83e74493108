import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKFLOW_BUNDLE_PATH, WorkflowBundleMissingError, workflowSource } from '../../src/worker';
import { workflowBundlerOptions } from '../../src/workflow-bundle';

describe('the workflow code a worker runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));

  it('in production, the bundle the build wrote, and nothing else', () => {
    const bundle = join(dir, 'workflow-bundle.js');
    writeFileSync(bundle, '// bundled workflow code');
    expect(workflowSource(true, bundle)).toEqual({ workflowBundle: { codePath: bundle } });
  });

  it('in production without the bundle, an error naming the build command (no bundling of the sources)', () => {
    const missing = join(dir, 'missing.js');
    expect(() => workflowSource(true, missing)).toThrow(WorkflowBundleMissingError);
    expect(() => workflowSource(true, missing)).toThrow(/missing\.js is missing: run `npm run build`/);
  });

  it("elsewhere, the sources, bundled at start with the build's bundler options", () => {
    expect(workflowSource(false)).toEqual({
      workflowsPath: require.resolve('../../src/workflows'),
      bundlerOptions: workflowBundlerOptions,
    });
  });

  it('looks for the bundle where `npm run build` writes it: lib/workflow-bundle.js beside lib/src', () => {
    // From the sources (src/worker.ts) the path is <checkout>/workflow-bundle.js; compiled (lib/src/worker.js)
    // the same expression is lib/workflow-bundle.js, where scripts/build-workflow-bundle.ts writes.
    expect(WORKFLOW_BUNDLE_PATH).toBe(join(__dirname, '..', '..', 'workflow-bundle.js'));
  });
});
