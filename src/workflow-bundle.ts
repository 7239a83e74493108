/**
 * How the workflow code is bundled, in one place for every bundle: the build's (scripts/build-workflow-bundle.ts),
 * the worker's own at start outside production (src/worker.ts), the bench's and the tests'.
 *
 * zod and the input schemas are evaluated once per workflow thread instead of once per run: the bundle
 * preloads src/workflows/input-check.ts (see there why that is safe), and webpack concatenates zod and
 * src/inputs.ts into that one module. A plugin fails the build when any of them lands in another module,
 * where every run would evaluate its own copy again (e.g. a workflow importing `../inputs` directly).
 */
import type { BundleOptions, WorkerOptions } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from './codec/data-converter';

type BundlerOptions = NonNullable<WorkerOptions['bundlerOptions']>;
type WebpackConfiguration = Parameters<NonNullable<BundlerOptions['webpackConfigHook']>>[0];
type PluginFunction = Extract<NonNullable<WebpackConfiguration['plugins']>[number], (...args: never[]) => void>;
type Compiler = Parameters<PluginFunction>[0];
type Compilation = Parameters<Parameters<Compiler['hooks']['compilation']['tap']>[1]>[0];
type Module = Parameters<Compilation['chunkGraph']['getModuleChunks']>[0];

export const WORKFLOWS_PATH: string = require.resolve('./workflows');
/** Preloaded: the only module of the bundle that holds zod and the input schemas. */
export const INPUT_CHECK_PATH: string = require.resolve('./workflows/input-check');
const INPUTS_PATH: string = require.resolve('./inputs');
const PLUGIN_NAME = 'litellm-workflows/input-check-shared';

/** The modules that must be evaluated once per thread, i.e. only inside the input-check module. */
function isSharedSource(path: string | null): boolean {
  return path !== null && (path === INPUTS_PATH || /[\\/]node_modules[\\/]zod[\\/]/.test(path));
}

/**
 * What is wrong with where zod and src/inputs.ts ended up in `compilation`: each must be inside the module
 * built around the input-check module, once; anywhere else a run would evaluate it again.
 */
function sharingProblems(compilation: Compilation): string[] {
  const emitted = new Set<Module>();
  for (const chunk of compilation.chunks) {
    for (const module of compilation.chunkGraph.getChunkModulesIterable(chunk)) emitted.add(module);
  }
  const copies = new Map<string, number>();
  const outside = new Set<string>();
  let inputCheckModules = 0;
  for (const module of emitted) {
    const isInputCheck = module.getRootModule().nameForCondition() === INPUT_CHECK_PATH;
    if (isInputCheck) inputCheckModules++;
    for (const source of module.getSourceModules()) {
      const path = source.nameForCondition();
      if (!isSharedSource(path)) continue;
      copies.set(path as string, (copies.get(path as string) ?? 0) + 1);
      if (!isInputCheck) outside.add(path as string);
    }
  }
  const problems: string[] = [];
  if (inputCheckModules !== 1) problems.push(`${INPUT_CHECK_PATH} is in ${inputCheckModules} modules, not 1`);
  if (!copies.has(INPUTS_PATH)) problems.push(`${INPUTS_PATH} is not in the bundle`);
  const duplicated = [...copies].filter(([, n]) => n > 1).map(([path]) => path);
  if (duplicated.length > 0) problems.push(`in several modules: ${duplicated.slice(0, 5).join(', ')}`);
  if (outside.size > 0) {
    problems.push(`outside the input-check module (evaluated per run): ${[...outside].slice(0, 5).join(', ')}`);
  }
  return problems;
}

/** Fails the build when zod or the input schemas are not all in the one preloaded module. */
class InputCheckSharedPlugin {
  apply(compiler: Compiler): void {
    compiler.hooks.compilation.tap(PLUGIN_NAME, (compilation) => {
      compilation.hooks.afterSeal.tap(PLUGIN_NAME, () => {
        for (const problem of sharingProblems(compilation)) {
          compilation.errors.push(
            new compiler.webpack.WebpackError(
              `zod and src/inputs.ts must be evaluated once per workflow thread: ${problem}. ` +
                'Workflow code imports them through src/workflows/input-check.ts only.'
            )
          );
        }
      });
    });
  }
}

function webpackConfigHook(config: WebpackConfiguration): WebpackConfiguration {
  return {
    ...config,
    // Scope hoisting puts input-check, src/inputs.ts and zod (all ES modules) into one module. CommonJS
    // (the SDK's own modules) is left as the SDK expects it: which of those a run shares is the SDK's choice.
    optimization: { ...config.optimization, concatenateModules: { commonjs: false } },
    plugins: [...(config.plugins ?? []), new InputCheckSharedPlugin()],
  };
}

/** For a worker that bundles at start (`workflowsPath`). */
export const workflowBundlerOptions: BundlerOptions = {
  preloadModules: [INPUT_CHECK_PATH],
  webpackConfigHook,
};

/** For `bundleWorkflowCode`: the workflows, the failure converter (messages encrypted in the sandbox too). */
export function workflowBundleOptions(logger?: BundleOptions['logger']): BundleOptions {
  return {
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    ...workflowBundlerOptions,
    ...(logger ? { logger } : {}),
  };
}
