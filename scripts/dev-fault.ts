/**
 * `npm run dev-fault -- <step>|clear|list`: make one LiteLLM call of the running `npm run dev` fail for good
 * (a 400, which no retry fixes), so pause → status → resume and pause → rollback can be tried by hand; `clear`
 * lifts it. It speaks to the emulator's fault API with the dev master key.
 */
import { configOrExit, loadDevConfig } from '../src/config';
import { devStateDir, readDevSession } from '../src/dev-session';

/** Steps as `status` names them, by the LiteLLM call that makes them fail. */
const STEPS: Record<string, { route: string; steps: string }> = {
  'add-to-team': { route: '/team/member_add', steps: '"add user to team" (create, migrate, downgrade)' },
  'create-team': { route: '/team/new', steps: '"create or update team" (create, migrate)' },
  'move-key': { route: '/key/update', steps: '"move key …" (migrate, downgrade)' },
  'update-user': { route: '/user/update', steps: 'the user budget steps (migrate, downgrade)' },
  'update-team': { route: '/team/update', steps: '"set team budget" (set-team-budget, add-credits)' },
  'generate-key': { route: '/key/generate', steps: '"generate key" (create-entries)' },
};

const USAGE = [
  'Usage: npm run dev-fault -- <step> | clear | list',
  '',
  'Makes every call of one step fail with a 400 until `clear`:',
  ...Object.entries(STEPS).map(([name, { route, steps }]) => `  ${name.padEnd(13)} ${route.padEnd(18)} ${steps}`),
].join('\n');

async function emulator(path: string, init: { method: string; body?: unknown }): Promise<unknown> {
  const session = readDevSession(devStateDir(process.env, process.cwd()));
  if (!session) throw new Error('npm run dev is not running (no .dev/session.json): start it first');
  const response = await fetch(`${session.emulatorUrl}${path}`, {
    method: init.method,
    // The emulator's master key under `npm run dev` (DEV_LITELLM_MASTER_KEY): a dev value, never a real LiteLLM's.
    headers: { authorization: `Bearer ${configOrExit(loadDevConfig).masterKey}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!response.ok) throw new Error(`the emulator answered ${response.status} to ${init.method} ${path}`);
  return response.json();
}

async function main(argv: string[]): Promise<number> {
  const [what, ...extra] = argv;
  if (what === undefined || what === 'help' || what === '--help' || extra.length > 0) {
    process.stdout.write(`${USAGE}\n`);
    return what === undefined || extra.length > 0 ? 2 : 0;
  }
  if (what === 'clear') {
    await emulator('/_emulator/faults', { method: 'DELETE' });
    process.stdout.write('Faults cleared: LiteLLM answers normally again.\n');
    return 0;
  }
  if (what === 'list') {
    process.stdout.write(`${JSON.stringify(await emulator('/_emulator/faults', { method: 'GET' }), null, 2)}\n`);
    return 0;
  }
  const step = STEPS[what];
  if (!step) {
    process.stderr.write(`unknown step "${what.slice(0, 80)}"\n\n${USAGE}\n`);
    return 2;
  }
  await emulator('/_emulator/faults', {
    method: 'POST',
    body: {
      route: step.route,
      kind: 'status',
      status: 400,
      body: {
        error: { message: 'fault set by npm run dev-fault', type: 'bad_request_error', param: 'None', code: '400' },
      },
    },
  });
  process.stdout.write(`${step.route} now fails for good: ${step.steps}. Lift it with: npm run dev-fault -- clear\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  );
}
