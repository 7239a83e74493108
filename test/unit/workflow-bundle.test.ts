import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { INPUT_CHECK_PATH, workflowBundleOptions } from '../../src/workflow-bundle';

const options = workflowBundleOptions(new DefaultLogger('ERROR'));

/**
 * The modules of a development bundle, each by the header webpack writes above it (`./src/x.ts`, or
 * `./src/x.ts + 19 modules` when it concatenated others into it, each marked `;// ./path` inside).
 */
function bundleModules(code: string): Array<{ header: string; body: string }> {
  const headers = [...code.matchAll(/^ {2}!\*{3} (.+) \*{3}!$/gm)];
  return headers.map((m, i) => ({
    header: m[1] as string,
    body: code.slice(m.index, headers[i + 1]?.index ?? code.length),
  }));
}
const holdsSchemas = (text: string) => /zod|src\/inputs\.ts/.test(text);

describe('the workflow bundle', () => {
  let code: string;
  beforeAll(async () => {
    ({ code } = await bundleWorkflowCode(options));
  });

  it('preloads the input check, so a workflow thread evaluates it once for all its runs', () => {
    expect(options.preloadModules).toEqual([INPUT_CHECK_PATH]);
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1];
    expect(preload).toContain('"./src/workflows/input-check.ts"');
  });

  it('holds zod and src/inputs.ts in that one module only (nothing a run would evaluate again)', () => {
    const modules = bundleModules(code);
    const inputCheck = modules.filter((m) => m.header.startsWith('./src/workflows/input-check.ts + '));
    expect(inputCheck).toHaveLength(1);
    expect(inputCheck[0]?.body).toContain(';// ./src/inputs.ts\n');
    expect(inputCheck[0]?.body).toContain(';// ./node_modules/zod/v4/core/core.js\n');
    const others = modules.filter((m) => m !== inputCheck[0]);
    expect(others.filter((m) => holdsSchemas(m.header)).map((m) => m.header)).toEqual([]);
    const parts = others.flatMap((m) => [...m.body.matchAll(/^;\/\/ (\.\/\S+)$/gm)].map((p) => p[1] as string));
    expect(parts.filter(holdsSchemas)).toEqual([]);
  });

  it('fails to build when workflow code imports the schemas around the input check', async () => {
    const logged: string[] = [];
    const direct = bundleWorkflowCode({
      ...options,
      workflowsPath: require.resolve('./direct-inputs-workflows'),
      logger: new DefaultLogger('ERROR', (entry) => logged.push(entry.message)),
    });
    await expect(direct).rejects.toThrow(/Webpack finished with errors/);
    expect(logged.join('\n')).toMatch(/outside the input-check module \(evaluated per run\): \S+\/src\/inputs\.ts/);
  });
});
