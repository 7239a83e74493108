/**
 * The worker and the CLI as real processes, for tests of what only a process shows: signals, kill -9,
 * exit codes, what gets printed.
 */
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from '../../scripts/processes';
import { MASTER_KEY } from './harness';
import { TEST_ENCRYPTION_KEYS_SPEC } from './temporal';

const ROOT = join(__dirname, '..', '..');
/**
 * `node --import tsx`: one process. The `tsx` command would run the script in a child process, which a
 * SIGKILL to the parent would leave running.
 */
const NODE_ARGS = ['--import', 'tsx'];

export interface CapturedProcess extends ManagedProcess {
  output(): string;
}

/** What the CLI needs to reach a test's Temporal server and task queue, and read its payloads. */
export function cliEnv(temporalAddress: string, taskQueue: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: temporalAddress,
    LITELLM_TASK_QUEUE: taskQueue,
    LITELLM_WORKFLOWS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_SPEC,
  };
}

export function workerEnv(temporalAddress: string, taskQueue: string, liteLLMUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: temporalAddress,
    LITELLM_TASK_QUEUE: taskQueue,
    LITELLM_API_URL: liteLLMUrl,
    LITELLM_API_KEY: MASTER_KEY,
    LITELLM_DEFAULT_TEAM_ID: 'openhands-default',
    LITELLM_KEY_DERIVATION_SECRET: 'test-key-derivation-secret',
    WORKER_SHUTDOWN_GRACE_MS: '5000',
    LITELLM_WORKFLOWS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_SPEC,
  };
}

/** Starts `src/<script>` under tsx with output captured (stopped by its own handle in the test's cleanup). */
export function startTsProcess(script: string, args: string[], env: NodeJS.ProcessEnv): CapturedProcess {
  const managed = startProcess(script, process.execPath, [...NODE_ARGS, join(ROOT, 'src', script), ...args], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  managed.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  managed.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { ...managed, output: () => output };
}

/** Runs a command to completion (from the checkout's root unless told): its exit code and what it printed. */
export async function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = ROOT
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = startProcess(command, command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await proc.exited;
  return { code, stdout, stderr };
}

/** Runs `src/<script>` to completion: its exit code and what it printed. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return runCommand(process.execPath, [...NODE_ARGS, join(ROOT, 'src', script), ...args], env);
}

/** Runs the CLI to completion: its exit code and what it printed. */
export function runCli(args: string[], env: NodeJS.ProcessEnv) {
  return runScript('cli.ts', args, env);
}
