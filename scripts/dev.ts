/**
 * `npm run dev`: the whole house on one machine. A Temporal dev server with its Web UI and a SQLite file
 * (workflows survive a restart), the project's search attributes, the LiteLLM emulator seeded with demo
 * users, and the worker. Ctrl-C stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startEmulator, type Emulator } from '../emulator';
import { generateKeySpec, parseEncryptionKeys } from '../src/codec/keys';
import { startCodecServer, type CodecServer } from '../src/codec/server';
import { configOrExit, loadDevConfig } from '../src/config';
import { searchAttributeCliArgs } from '../src/search-attributes';
import { portIsFree, startProcess, waitForPort, type ManagedProcess } from './processes';
import { EAGER_DEV_SERVER_ARGS, requireTemporalCli } from './temporal-cli';

const HOST = '127.0.0.1';
const DEV = configOrExit(loadDevConfig);
const TEMPORAL_PORT = DEV.temporalPort;
const UI_PORT = DEV.uiPort;
const EMULATOR_PORT = DEV.emulatorPort;
const CODEC_PORT = DEV.codecPort;
const MASTER_KEY = DEV.masterKey;
const DEFAULT_TEAM_ID = 'openhands-default';
/** Where workflows and the dev encryption key are kept; tests point it at a temporary directory. */
const STATE_DIR = DEV.stateDir ? resolve(DEV.stateDir) : join(__dirname, '..', '.dev');
const KEYS_FILE = join(STATE_DIR, 'encryption-keys');

/** A path as the hints print it: relative when under the current directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/** The dev encryption key, made once and kept beside the dev server's database so old runs stay readable. */
function devEncryptionKeys(): string {
  if (!existsSync(KEYS_FILE)) writeFileSync(KEYS_FILE, `${generateKeySpec('dev-1')}\n`, { mode: 0o600 });
  return readFileSync(KEYS_FILE, 'utf8').trim();
}

/** Legacy users in the shape OpenHands left them before orgs: a personal budget, keys in the shared team. */
function seedDemo(emulator: Emulator): void {
  emulator.seed.team({ team_id: DEFAULT_TEAM_ID, team_alias: 'OpenHands default' });
  for (const [userId, maxBudget, spend] of [
    ['alice', 20, 4.5],
    ['bob', 10, 0],
    ['carol', 50, 49.75],
  ] as const) {
    emulator.seed.user({ user_id: userId, user_email: `${userId}@example.com`, max_budget: maxBudget, spend });
    emulator.seed.membership({ user_id: userId, team_id: DEFAULT_TEAM_ID });
    emulator.seed.key({ user_id: userId, team_id: DEFAULT_TEAM_ID, key_alias: `legacy key of ${userId}` });
  }
}

async function main(): Promise<void> {
  for (const [what, port] of [
    ['Temporal', TEMPORAL_PORT],
    ['Web UI', UI_PORT],
    ['emulator', EMULATOR_PORT],
    ['codec server', CODEC_PORT],
  ] as const) {
    if (!(await portIsFree(HOST, port))) throw new Error(`Port ${port} (${what}) is in use: stop what holds it first`);
  }
  mkdirSync(STATE_DIR, { recursive: true });
  const temporalCli = requireTemporalCli();
  const keysSpec = devEncryptionKeys();
  const processes: ManagedProcess[] = [];
  let emulator: Emulator | undefined;
  let codecServer: CodecServer | undefined;

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nStopping…\n');
    for (const p of [...processes].reverse()) await p.stop();
    await emulator?.stop();
    await codecServer?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    // The Web UI decrypts payloads through this server (it has no token to forward, hence the dev trust).
    const codecToken = randomBytes(24).toString('base64url');
    codecServer = await startCodecServer({
      keys: parseEncryptionKeys(keysSpec, KEYS_FILE),
      port: CODEC_PORT,
      allowedOrigins: [`http://${HOST}:${UI_PORT}`, `http://localhost:${UI_PORT}`],
      tokens: [codecToken],
      devTrustAllowedOrigins: true,
    });

    const server = startProcess(
      'temporal',
      temporalCli,
      [
        'server',
        'start-dev',
        '--ip',
        HOST,
        '--port',
        String(TEMPORAL_PORT),
        '--ui-port',
        String(UI_PORT),
        '--db-filename',
        join(STATE_DIR, 'temporal.db'),
        '--ui-codec-endpoint',
        codecServer.url,
        '--log-level',
        'warn',
        ...searchAttributeCliArgs(),
        ...EAGER_DEV_SERVER_ARGS,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] }
    );
    processes.push(server);
    await waitForPort(HOST, TEMPORAL_PORT, 60_000);

    emulator = await startEmulator({ port: EMULATOR_PORT, masterKey: MASTER_KEY });
    seedDemo(emulator);

    const worker = startProcess(
      'worker',
      process.execPath,
      // One process (`node --import tsx`), so stopping it by its pid stops the worker itself.
      ['--import', 'tsx', join(__dirname, '..', 'src', 'worker.ts')],
      {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: `${HOST}:${TEMPORAL_PORT}`,
          LITELLM_API_URL: emulator.url,
          LITELLM_API_KEY: MASTER_KEY,
          LITELLM_DEFAULT_TEAM_ID: DEFAULT_TEAM_ID,
          ENABLE_BILLING: 'true',
          DEFAULT_INITIAL_BUDGET: '10',
          LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE: KEYS_FILE,
        },
      }
    );
    processes.push(worker);
    void worker.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`The worker exited (${code}); stopping.\n`);
        void stopAll(1);
      }
    });

    const env =
      `LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE=${shown(KEYS_FILE)} ` +
      (TEMPORAL_PORT === 7233 ? '' : `TEMPORAL_ADDRESS=${HOST}:${TEMPORAL_PORT} `);
    process.stdout.write(
      [
        '',
        `Temporal Web UI   http://${HOST}:${UI_PORT}`,
        `Temporal server   ${HOST}:${TEMPORAL_PORT}   (state in ${shown(join(STATE_DIR, 'temporal.db'))})`,
        `LiteLLM emulator  ${emulator.url}   (demo users alice, bob, carol; master key from DEV_LITELLM_MASTER_KEY)`,
        `Codec server      ${codecServer.url}   (the Web UI shows decrypted payloads; for the temporal CLI: --codec-endpoint ${codecServer.url} --codec-auth "Bearer ${codecToken}")`,
        '',
        'Try:',
        `  ${env}npx tsx src/cli.ts migrate --org alice --user alice --wait`,
        `  ${env}npx tsx src/cli.ts status --org alice --user alice`,
        `  ${env}npx tsx src/cli.ts rollback --org bob --user bob`,
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n')
    );
    await server.exited;
    if (!stopping) await stopAll(1);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll(1);
  }
}

void main();
