/**
 * Finds a `temporal` CLI (the dev server behind tests and `npm run dev`), building it from source when needed.
 *
 * Order: TEMPORAL_CLI_PATH; `temporal` on PATH; the per-user cache; a fresh `go install` into that cache
 * (pinned to v1.5.1: later tags carry a `replace` directive that breaks `go install`); last, the SDK's own
 * download, which needs internet. Run directly (`npm run temporal-cli`) it prints the path it resolved.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/**
 * `temporal server start-dev` settings that save round trips and waits: an activity scheduled by a workflow
 * task is handed back to the same worker in the answer (eager activity dispatch); a client sharing its
 * connection with a worker gets the first workflow task in the start answer (eager workflow start); and the
 * history shard loads its new transfer tasks (the dispatch of every workflow and activity task) up to 500
 * times a second instead of 20. The dev server has ONE history shard, so at 20 loads a second a busy server
 * holds each workflow task 30–50 ms before dispatching it (a 400-user fleet: 18.4 → 25 migrations/s; a
 * cluster with hundreds of shards has that rate per shard). Production servers: the same dynamic-config keys
 * (see the README).
 */
export const FAST_DEV_SERVER_ARGS = [
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--dynamic-config-value',
  'system.enableEagerWorkflowStart=true',
  '--dynamic-config-value',
  'history.transferProcessorMaxPollRPS=500',
];
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install';
export type ResolvedTemporalCli =
  { path: string; source: TemporalCliSource } | { path: undefined; source: 'sdk download' };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Per-user cache folder for the built CLI, e.g. ~/.cache/litellm-workflows/temporal-cli-v1.5.1. */
export function temporalCliCacheDir(): string {
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheRoot, 'litellm-workflows', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function goInstall(cacheDir: string, log: (line: string) => void): string | undefined {
  const go = onPath('go');
  if (!go) return undefined;
  mkdirSync(cacheDir, { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir} (first time only; a few minutes)…`);
  const result = spawnSync(go, ['install', GO_PACKAGE], {
    env: { ...process.env, GOBIN: cacheDir, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const built = join(cacheDir, 'temporal');
  return result.status === 0 && isExecutable(built) ? built : undefined;
}

export interface ResolveOptions {
  /** Build with Go when nothing is found (default true). */
  build?: boolean;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
}

export function resolveTemporalCli(options: ResolveOptions = {}): ResolvedTemporalCli {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = join(temporalCliCacheDir(), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  if (options.build !== false) {
    const built = goInstall(temporalCliCacheDir(), log);
    if (built) return { path: built, source: 'go install' };
  }
  return { path: undefined, source: 'sdk download' };
}

/** The resolved path, or a clear error that says what to install. */
export function requireTemporalCli(options: ResolveOptions = {}): string {
  const resolved = resolveTemporalCli(options);
  if (resolved.path) return resolved.path;
  throw new Error(
    'No Temporal CLI found. Install Go (https://go.dev/dl) so it can be built with ' +
      `"go install ${GO_PACKAGE}", or put a temporal binary on PATH, or set TEMPORAL_CLI_PATH.`
  );
}

if (require.main === module) {
  const quiet = process.argv.includes('--quiet');
  if (process.env.TEMPORAL_ADDRESS) {
    // Tests use that server; no CLI needed.
    if (!quiet) console.error(`TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} is set: using that server`);
    process.exit(0);
  }
  try {
    const resolved = resolveTemporalCli();
    if (!resolved.path) {
      console.error(
        'No Temporal CLI found and Go is not installed: tests will try the SDK download (needs internet). ' +
          `Install Go, or set TEMPORAL_CLI_PATH to a temporal binary (${TEMPORAL_CLI_VERSION} or later).`
      );
      // Under `npm test` the SDK download is the last resort; asked for a path, there is none to print.
      process.exit(quiet ? 0 : 1);
    }
    const version = execFileSync(resolved.path, ['--version'], { encoding: 'utf8' }).trim();
    console.error(`Temporal CLI from ${resolved.source}: ${resolved.path} (${version})`);
    if (!quiet) console.log(resolved.path);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
