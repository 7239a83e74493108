import { freePort } from '../../scripts/processes';
import type { HealthReport } from '../../src/health';
import { MASTER_KEY, useBench } from '../helpers/harness';
import { runCli, runScript, workerEnv } from '../helpers/processes';

const bench = useBench({ resetBeforeEach: false });

function env(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...workerEnv(bench.env.address, 'health-check', bench.emulator.url), ...overrides };
}

/** Runs `src/health.ts` as the container's healthcheck runs `lib/src/health.js`: a process, its exit code. */
async function health(overrides: NodeJS.ProcessEnv = {}) {
  const run = await runScript('health.ts', [], env(overrides));
  expect(run.stdout + run.stderr).not.toContain(MASTER_KEY);
  return { code: run.code, report: run.stdout ? (JSON.parse(run.stdout) as HealthReport) : undefined, run };
}

describe('the health check', () => {
  it('exits 0 when Temporal and LiteLLM both answer', async () => {
    const { code, report } = await health();
    expect(report).toEqual({ temporal: 'ok', litellm: 'ok' });
    expect(code).toBe(0);
  });

  it('is also the CLI command `health`', async () => {
    const run = await runCli(['health'], env());
    expect(JSON.parse(run.stdout)).toEqual({ temporal: 'ok', litellm: 'ok' });
    expect(run.code).toBe(0);
  });

  it('exits 1 when LiteLLM refuses the master key, and prints neither key', async () => {
    const wrongKey = 'sk-wrong-master-key-0123456789';
    const { code, report, run } = await health({ LITELLM_API_KEY: wrongKey });
    expect(report?.temporal).toBe('ok');
    expect(report?.litellm).toMatch(/^error: .*\/key\/list answered 401/);
    expect(run.stdout + run.stderr).not.toContain(wrongKey);
    expect(code).toBe(1);
  });

  it('exits 1 when nothing listens at TEMPORAL_ADDRESS', async () => {
    const { code, report } = await health({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    expect(report?.temporal).toMatch(/^error: /);
    expect(report?.litellm).toBe('ok');
    expect(code).toBe(1);
  });

  it('exits 1 when the namespace does not exist (Temporal answers, but not for this worker)', async () => {
    const { code, report } = await health({ TEMPORAL_NAMESPACE: 'no-such-namespace' });
    expect(report?.temporal).toMatch(/^error: .*no-such-namespace/);
    expect(code).toBe(1);
  });

  it('exits 1 naming the variable when the configuration is incomplete', async () => {
    const { code, report, run } = await health({ LITELLM_API_URL: undefined });
    expect(report).toBeUndefined();
    expect(run.stderr).toContain('LITELLM_API_URL');
    expect(code).toBe(1);
  });

  // Last: it stops the bench's emulator.
  it('exits 1 when LiteLLM is down', async () => {
    await bench.emulator.stop();
    const { code, report } = await health();
    expect(report?.temporal).toBe('ok');
    expect(report?.litellm).toMatch(/^error: .*connection/);
    expect(code).toBe(1);
  });
});
