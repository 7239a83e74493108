/**
 * Every way a worker process starts applies the worker's memory settings (src/worker.ts WORKER_NODE_FLAGS and
 * WORKER_MALLOC_ENV; README, "Worker memory"): npm start / npm run worker, the image, compose, `npm run dev`
 * and the bench. The files are read as their tools read them; the TypeScript launchers are run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { forkWorker, type ChildHandle } from '../../bench/ipc';
import { startWorkerProcess } from '../../scripts/processes';
import { WORKER_MALLOC_ENV, WORKER_NODE_FLAGS } from '../../src/worker';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** `A=1 B=2 node --x lib/y.js` → the variables and the command's words (what sh runs). */
function shellCommand(line: string): { env: Record<string, string>; argv: string[] } {
  const words = line.split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  while (/^\w+=/.test(words[0] ?? '')) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name as string] = value.join('=');
  }
  return { env, argv: words };
}

/** The Dockerfile's last stage: its `ENV A=1 B=2` variables and its `CMD [...]`. */
function finalStage(dockerfile: string): { env: Record<string, string>; cmd: string[] } {
  const stage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, vars] of stage.matchAll(/^ENV (.+)$/gm)) {
    for (const pair of (vars as string).split(/\s+/)) {
      const [name, value] = pair.split('=');
      env[name as string] = value as string;
    }
  }
  const cmd = /^CMD (\[.*\])$/m.exec(stage)?.[1];
  return { env, cmd: cmd ? (JSON.parse(cmd) as string[]) : [] };
}

describe('the worker memory settings', () => {
  it('are V8 flags this Node knows and accepts', () => {
    const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of WORKER_NODE_FLAGS) expect(known).toContain(`\n  ${flag.split('=')[0]} (`);
    // An unknown flag would make node refuse to start.
    expect(execFileSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', 'process.stdout.write("ok")'])).toEqual(
      Buffer.from('ok')
    );
  });

  it.each(['start', 'worker'])('npm run %s: the variables, then node with the flags', (script) => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const { env, argv } = shellCommand(scripts[script] as string);
    // The compiled worker (npm start) runs only the bundle the build wrote.
    expect(env).toEqual(script === 'start' ? { NODE_ENV: 'production', ...WORKER_MALLOC_ENV } : WORKER_MALLOC_ENV);
    expect(argv.slice(0, 1 + WORKER_NODE_FLAGS.length)).toEqual(['node', ...WORKER_NODE_FLAGS]);
  });

  it('the image: its environment, and node with the flags', () => {
    const { env, cmd } = finalStage(read('Dockerfile'));
    expect(env).toMatchObject(WORKER_MALLOC_ENV);
    expect(cmd).toEqual(['node', ...WORKER_NODE_FLAGS, 'lib/src/worker.js']);
  });

  it("compose's worker: its environment, and node with the flags", () => {
    const compose = parse(read('docker-compose.yml')) as {
      services: { worker: { command: string[]; environment: Record<string, string | number> } };
    };
    const { command, environment } = compose.services.worker;
    expect(command).toEqual(['node', ...WORKER_NODE_FLAGS, 'lib/src/worker.js']);
    for (const [name, value] of Object.entries(WORKER_MALLOC_ENV)) expect(String(environment[name])).toBe(value);
  });

  it('npm run dev starts its worker with startWorkerProcess, which passes both', async () => {
    expect(read('scripts/dev.ts')).toMatch(/startWorkerProcess\(\s*'worker',/);
    const probe = startWorkerProcess(
      'probe',
      ['-e', 'process.stdout.write(JSON.stringify([process.execArgv, process.env.MALLOC_ARENA_MAX]))'],
      { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'inherit'] }
    );
    let output = '';
    probe.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await probe.exited).toBe(0);
    const [execArgv, mallocArenaMax] = JSON.parse(output) as [string[], string];
    expect(execArgv.slice(0, WORKER_NODE_FLAGS.length)).toEqual(WORKER_NODE_FLAGS);
    expect(mallocArenaMax).toBe(WORKER_MALLOC_ENV.MALLOC_ARENA_MAX);
  });

  it('the bench forks its worker with forkWorker, which passes both', async () => {
    expect(read('bench/run.ts')).toMatch(/forkWorker\(require\.resolve\('\.\/worker-process'\)/);
    let child: ChildHandle | undefined;
    try {
      child = await forkWorker(require.resolve('./launch-probe'), {});
      const launch = await child.call<{ execArgv: string[]; env: Record<string, string> }>('launch');
      expect(launch.execArgv.slice(0, WORKER_NODE_FLAGS.length)).toEqual(WORKER_NODE_FLAGS);
      expect(launch.env).toEqual(WORKER_MALLOC_ENV);
    } finally {
      await child?.stop();
    }
  });
});
