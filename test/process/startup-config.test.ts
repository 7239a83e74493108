/**
 * The worker (and the codec server) refuse a bad start-up once, before connecting to anything: exit 2 and a
 * message that names the variable (or the build command), never the value. No Temporal server is needed:
 * nothing gets that far.
 */
import { runScript, workerEnv } from '../helpers/processes';

/** A valid worker environment pointing at nothing that listens (the process must stop before dialling). */
const valid = workerEnv('127.0.0.1:1', 'worker-startup', 'http://127.0.0.1:1');

async function start(overrides: NodeJS.ProcessEnv) {
  const run = await runScript('worker.ts', [], { ...valid, ...overrides });
  return { code: run.code, output: run.stdout + run.stderr };
}

describe('start-up configuration of the processes', () => {
  it.each([
    ['ENABLE_BILLING', 'yes'],
    ['LITELLM_API_URL', 'ftp://llm.example.com'],
    ['LITELLM_AUTH_HEADER', 'bad header:'],
    ['METRICS_BIND_ADDRESS', 'metrics:nine'],
    ['LITELLM_DEFAULT_TEAM_ID', 'team\u0007one'],
    ['LOG_LEVEL', 'chatty'],
  ])('exits 2 naming %s when it is invalid', async (name, value) => {
    const { code, output } = await start({ [name]: value });
    expect(code).toBe(2);
    expect(output).toContain(`${name}: `);
    expect(output).not.toContain(value);
  });

  it('in production, exits 2 naming `npm run build` when the workflow bundle is missing (no bundling fallback)', async () => {
    // Run from the sources, the bundle path is <checkout>/workflow-bundle.js, which the build never writes.
    const { code, output } = await start({ NODE_ENV: 'production' });
    expect(code).toBe(2);
    expect(output).toMatch(/workflow bundle .*workflow-bundle\.js is missing: run `npm run build`/);
  });

  it('the codec server refuses a bad setting the same way: exit 2 naming the variable', async () => {
    const run = await runScript('codec/server.ts', [], {
      PATH: process.env.PATH,
      LITELLM_WORKFLOWS_ENCRYPTION_KEYS: valid.LITELLM_WORKFLOWS_ENCRYPTION_KEYS,
      CODEC_SERVER_TOKENS: 'codec-test-token-0123456789',
      CODEC_SERVER_PORT: '0x22b8',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CODEC_SERVER_PORT: must be a port number');
  });
});
