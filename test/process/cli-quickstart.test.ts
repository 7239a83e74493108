/**
 * The README's walkthrough, as a newcomer would run it: `npm run dev` (started here with its own handle, in
 * its own process group so the stop is a Ctrl-C), then each line of the README's "Quick start" block run by
 * bash as printed, each exit code checked (`# exit N` in the line's comment, else 0). Also what `npm run dev`
 * prints: nothing alarming on start, no wall of warnings on Ctrl-C, one line for a second start or a busy port.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portIsFree, startProcess, type ManagedProcess } from '../../scripts/processes';
import { runCommand } from '../helpers/processes';

jest.setTimeout(15 * 60_000);

const ROOT = join(__dirname, '..', '..');

/** The README's quick-start lines: [command as printed, expected exit code]. */
function quickStartCommands(): Array<[string, number]> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Quick start'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README: no bash block under "### Quick start"');
  return block
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => [line.trim(), Number(/#\s*exit (\d+)/.exec(line)?.[1] ?? 0)]);
}

interface Dev {
  process: ManagedProcess;
  output(): string;
  env: NodeJS.ProcessEnv;
}

async function devEnv(stateDir: string): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
    DEV_STATE_DIR: stateDir,
    DEV_TEMPORAL_PORT: String(await freePort()),
    DEV_UI_PORT: String(await freePort()),
    DEV_EMULATOR_PORT: String(await freePort()),
    DEV_CODEC_PORT: String(await freePort()),
  };
}

/** `npm run dev` in its own process group: stopping it is the terminal's Ctrl-C, to the group by its pid. */
function startDev(env: NodeJS.ProcessEnv): Dev {
  const proc = startProcess('npm run dev', 'npm', ['run', 'dev'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: proc, output: () => output, env };
}

function ctrlC(dev: Dev): Promise<number | string> {
  if (dev.process.child.exitCode === null && dev.process.child.pid) process.kill(-dev.process.child.pid, 'SIGINT');
  return dev.process.exited;
}

/** Resolves once the output shows `text`; rejects if the process exits first. */
function printed(dev: Dev, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (dev.output().includes(text)) {
        dev.process.child.stdout?.off('data', check);
        resolve();
      }
    };
    dev.process.child.stdout?.on('data', check);
    void dev.process.exited.then((code) => reject(new Error(`npm run dev exited (${code}):\n${dev.output()}`)));
    check();
  });
}

const ALARMING = /\b(ERROR|WARN)\b|level=(error|warn)|"level":"(error|warn)"|\n\s+at /i;

describe('the README walkthrough against npm run dev', () => {
  let stateDir: string;
  let dev: Dev | undefined;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'litellm-dev-'));
    dev = startDev(await devEnv(stateDir));
    await printed(dev, 'Ctrl-C stops everything.');
  });

  afterAll(async () => {
    if (dev) await ctrlC(dev);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts without an error or a warning, and prints the banner once the worker polls', () => {
    expect(dev!.output()).not.toMatch(ALARMING);
    expect(dev!.output()).toMatch(/The worker is polling/);
  });

  it('a second npm run dev says that one is running, in one line', async () => {
    const second = await runCommand('npm', ['run', '--silent', 'dev'], dev!.env);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([expect.stringMatching(/already running \(pid \d+\)/)]);
  });

  it.each(quickStartCommands())('%s  (exit %i)', async (command, exitCode) => {
    const run = await runCommand('bash', ['-c', command], { ...dev!.env });
    if (run.code !== exitCode) throw new Error(`exit ${run.code}, not ${exitCode}:\n${run.stdout}\n${run.stderr}`);
  });

  it('Ctrl-C stops everything it started, without a wall of warnings', async () => {
    const before = dev!.output().length;
    await ctrlC(dev!);
    const afterStop = dev!.output().slice(before);
    expect(afterStop).not.toMatch(ALARMING);
    expect(afterStop.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(await portIsFree('127.0.0.1', Number(dev!.env.DEV_TEMPORAL_PORT))).toBe(true);
    expect(await portIsFree('127.0.0.1', Number(dev!.env.DEV_EMULATOR_PORT))).toBe(true);
    dev = undefined;
  });
});

describe('npm run dev with a port in use', () => {
  let blocker: Server | undefined;
  afterAll(() => blocker?.close());

  it('says so in one line, naming the variable that moves it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'litellm-dev-'));
    const env = await devEnv(stateDir);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(Number(env.DEV_EMULATOR_PORT), '127.0.0.1', resolve));
    const run = await runCommand('npm', ['run', '--silent', 'dev'], env);
    rmSync(stateDir, { recursive: true, force: true });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/in use: .*set DEV_EMULATOR_PORT$/)]);
  });
});
