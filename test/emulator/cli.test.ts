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

  it('answers as LiteLLM 1.108.5 by default and as 1.80.9 when told', async () => {
    const duplicateUserStatus = async (args: string[]): Promise<number> => {
      const { child, url } = startCli(['--port', '0', '--master-key', 'sk-cli-master-key', ...args]);
      try {
        const base = await url;
        const create = (): Promise<Response> =>
          fetch(`${base}/user/new`, {
            method: 'POST',
            headers: { authorization: 'Bearer sk-cli-master-key', 'content-type': 'application/json' },
            body: JSON.stringify({ user_id: 'twice', auto_create_key: false }),
          });
        expect((await create()).status).toBe(200);
        return (await create()).status;
      } finally {
        const exited = exitCode(child);
        child.kill('SIGTERM');
        await exited;
      }
    };
    expect(await duplicateUserStatus([])).toBe(409);
    expect(await duplicateUserStatus(['--litellm-version', '1.80.9'])).toBe(200);
  });

  it('refuses an unknown --litellm-version, naming the flag', async () => {
    const { child, url } = startCli(['--port', '0', '--litellm-version', '2.0']);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await expect(url).rejects.toThrow(/exited early with 1/);
    expect(stderr).toMatch(/--litellm-version must be one of 1\.80\.9, 1\.108\.5/);
  });
});
