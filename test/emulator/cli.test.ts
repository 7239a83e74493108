// emulator/main.ts as a process: the listening line, the master key from flags or env, clean SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(TSX, [join(ROOT, 'emulator', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^LiteLLM emulator listening on (http:\/\/\S+)\n/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited early with ${String(code)}`)));
  });
  return { child, url };
}

const exitCode = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => child.once('exit', (code) => resolve(code)));

describe('emulator CLI', () => {
  it('prints its url, serves with --master-key, and exits 0 on SIGTERM', async () => {
    const { child, url } = startCli(['--port', '0', '--master-key', 'sk-cli-master-key', '--seed-demo']);
    const base = await url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await fetch(`${base}/team/info?team_id=demo-team`, {
      headers: { authorization: 'Bearer sk-cli-master-key' },
    });
    expect(reply.status).toBe(200);
    const exited = exitCode(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('takes the master key from LITELLM_API_KEY and honours --auth-header', async () => {
    const { child, url } = startCli(['--port', '0', '--auth-header', 'X-Key'], {
      LITELLM_API_KEY: 'sk-env-master-key',
    });
    const base = await url;
    const reply = await fetch(`${base}/v1/models`, { headers: { 'x-key': 'Bearer sk-env-master-key' } });
    expect(reply.status).toBe(200);
    const exited = exitCode(child);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
