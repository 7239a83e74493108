/**
 * `npm run dev`: the whole house on one machine. A Temporal dev server with its Web UI and a SQLite file
 * (workflows survive a restart), the project's search attributes, the LiteLLM emulator seeded with demo
 * users, and the worker. Ctrl-C stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startEmulator, type Emulator } from '../emulator';
import { generateKeySpec, parseEncryptionKeys } from '../src/codec/keys';
import { startCodecServer, type CodecServer } from '../src/codec/server';
import { configOrExit, loadDevConfig } from '../src/config';
import { readDevSession, removeDevSession, writeDevSession } from '../src/dev-session';
import { searchAttributeCliArgs } from '../src/search-attributes';
import { portIsFree, startProcess, startWorkerProcess, waitForPort, type ManagedProcess } from './processes';
import { FAST_DEV_SERVER_ARGS, requireTemporalCli } from './temporal-cli';

const HOST = '127.0.0.1';
const DEV = configOrExit(loadDevConfig);
const TEMPORAL_PORT = DEV.temporalPort;
const UI_PORT = DEV.uiPort;
const EMULATOR_PORT = DEV.emulatorPort;
const CODEC_PORT = DEV.codecPort;
const MASTER_KEY = DEV.masterKey;
const TASK_QUEUE = DEV.taskQueue;
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

/**
 * Legacy users in the shape OpenHands left them before orgs (a personal budget, keys in the shared team),
 * and an org team `acme` that alice and carol belong to: every entity the README's walkthrough names.
 */
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
  emulator.seed.team({ team_id: 'acme', team_alias: 'Acme', max_budget: 100 });
  for (const userId of ['alice', 'carol']) {
    emulator.seed.membership({ user_id: userId, team_id: 'acme', max_budget_in_team: 100 });
  }
}

const PORTS = [
  ['Temporal', TEMPORAL_PORT, 'DEV_TEMPORAL_PORT'],
  ['Web UI', UI_PORT, 'DEV_UI_PORT'],
  ['emulator', EMULATOR_PORT, 'DEV_EMULATOR_PORT'],
  ['codec server', CODEC_PORT, 'DEV_CODEC_PORT'],
] as const;

/** Why this start cannot go ahead, in one line, or undefined when it can. */
async function startRefusal(): Promise<string | undefined> {
  const running = readDevSession(STATE_DIR);
  if (running) return `npm run dev is already running (pid ${running.pid}): Web UI ${running.webUi}`;
  for (const [what, port, variable] of PORTS) {
    if (!(await portIsFree(HOST, port)))
      return `Port ${port} (${what}) is in use: stop what holds it, or set ${variable}`;
  }
  return undefined;
}

/** Resolves once a worker polls the task queue: only then are the printed commands worth trying. */
async function workerPolling(exited: Promise<unknown>): Promise<void> {
  const connection = await Connection.connect({ address: `${HOST}:${TEMPORAL_PORT}` });
  let workerExited = false;
  void exited.then(() => (workerExited = true));
  try {
    for (;;) {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: TASK_QUEUE },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      if ((pollers?.length ?? 0) > 0 || workerExited) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const refusal = await startRefusal();
  if (refusal) {
    process.stderr.write(`${refusal}\n`);
    process.exit(1);
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
    removeDevSession(STATE_DIR);
    // The worker first, so it never polls a server that is gone (no wall of warnings on Ctrl-C).
    for (const p of [...processes].reverse()) await p.stop();
    await emulator?.stop();
    await codecServer?.stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
  // `npm run dev` does not pass its own SIGTERM on: when npm goes, this script stops what it started.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stopAll(0), 1000).unref();

  try {
    // The Web UI decrypts payloads through this server (it has no token to forward, hence the dev trust).
    const codecToken = randomBytes(24).toString('base64url');
    codecServer = await startCodecServer({
      keys: parseEncryptionKeys(keysSpec, KEYS_FILE),
      port: CODEC_PORT,
      allowedOrigins: [`http://${HOST}:${UI_PORT}`, `http://localhost:${UI_PORT}`],
      tokens: [codecToken],
      trustAllowedOrigins: 'loopback',
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
        'error',
        ...searchAttributeCliArgs(),
        ...FAST_DEV_SERVER_ARGS,
      ],
      // Its own process group: Ctrl-C reaches only this script, which stops the worker before the server.
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true }
    );
    processes.push(server);
    // While stopping, the server's complaints about its own internal pollers are noise.
    server.child.stderr?.on('data', (chunk: Buffer) => stopping || process.stderr.write(chunk));
    await waitForPort(HOST, TEMPORAL_PORT, 60_000);

    emulator = await startEmulator({ port: EMULATOR_PORT, masterKey: MASTER_KEY });
    seedDemo(emulator);

    const worker = startWorkerProcess(
      'worker',
      // One process (`node --import tsx`), so stopping it by its pid stops the worker itself.
      ['--import', 'tsx', join(__dirname, '..', 'src', 'worker.ts')],
      {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: `${HOST}:${TEMPORAL_PORT}`,
          LITELLM_TASK_QUEUE: TASK_QUEUE,
          LITELLM_API_URL: emulator.url,
          LITELLM_API_KEY: MASTER_KEY,
          LITELLM_DEFAULT_TEAM_ID: DEFAULT_TEAM_ID,
          ENABLE_BILLING: 'true',
          DEFAULT_INITIAL_BUDGET: '10',
          LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE: KEYS_FILE,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
        },
        detached: true,
      }
    );
    processes.push(worker);
    void worker.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`The worker exited (${code}); stopping.\n`);
        void stopAll(1);
      }
    });

    await workerPolling(worker.exited);
    if (stopping) return;
    const session = {
      pid: process.pid,
      temporalAddress: `${HOST}:${TEMPORAL_PORT}`,
      webUi: `http://${HOST}:${UI_PORT}`,
      emulatorUrl: emulator.url,
      codecUrl: codecServer.url,
      keysFile: KEYS_FILE,
    };
    writeDevSession(STATE_DIR, session);
    process.stdout.write(
      [
        '',
        `Temporal Web UI   ${session.webUi}`,
        `Temporal server   ${session.temporalAddress}   (state in ${shown(join(STATE_DIR, 'temporal.db'))})`,
        `LiteLLM emulator  ${emulator.url}   (demo users alice, bob, carol; team acme)`,
        `Codec server      ${codecServer.url}   (the Web UI shows decrypted payloads; for the temporal CLI: --codec-endpoint ${codecServer.url} --codec-auth "Bearer ${codecToken}")`,
        '',
        'The worker is polling. Try (the CLI finds this dev server and its keys through .dev/session.json):',
        '  npx litellm-workflows migrate --org alice --user alice --wait',
        '  npx litellm-workflows status --org alice --user alice',
        '  npm run dev-fault -- add-to-team      # LiteLLM now refuses to add a member, until `npm run dev-fault -- clear`',
        '  npx litellm-workflows migrate --org bob --user bob --on-failure pause --wait    # exit 4: awaits you',
        '  npx litellm-workflows rollback --org bob --user bob     # or: npm run dev-fault -- clear, then resume',
        'The whole walkthrough is in the README (Quick start).',
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
