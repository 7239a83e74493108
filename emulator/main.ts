// Standalone emulator: `npm run emulator -- --port 4000 [--host 127.0.0.1] [--master-key sk-master]
// [--auth-header NAME] [--litellm-version 1.80.9|1.108.5] [--seed-demo]`. The master key may also come from
// LITELLM_API_KEY. It answers as LiteLLM 1.108.5 unless told otherwise.
import { parseArgs } from 'node:util';
import { LITELLM_VERSIONS, startEmulator, type Emulator, type LiteLLMVersion } from './index';

interface CliOptions {
  port: number;
  host: string;
  masterKey: string;
  authHeader?: string;
  litellmVersion: LiteLLMVersion;
  seedDemo: boolean;
}

function readOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      'master-key': { type: 'string' },
      'auth-header': { type: 'string' },
      'litellm-version': { type: 'string', default: '1.108.5' },
      'seed-demo': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new Error('--port must be 0-65535');
  const version = values['litellm-version'];
  if (!(LITELLM_VERSIONS as readonly string[]).includes(version)) {
    throw new Error(`--litellm-version must be one of ${LITELLM_VERSIONS.join(', ')}`);
  }
  return {
    port,
    host: values.host,
    masterKey: values['master-key'] ?? (process.env.LITELLM_API_KEY || 'sk-emulator-master-key'),
    authHeader: values['auth-header'],
    litellmVersion: version as LiteLLMVersion,
    seedDemo: values['seed-demo'],
  };
}

/** A small tenancy to click around in during `npm run dev`. */
function seedDemo(emulator: Emulator): string {
  emulator.seed.team({
    team_id: 'demo-team',
    team_alias: 'Demo team',
    max_budget: 100,
    members: [{ user_id: 'demo-user', role: 'admin' }],
  });
  emulator.seed.user({ user_id: 'demo-user', user_email: 'demo@example.com', max_budget: 50 });
  emulator.seed.membership({ user_id: 'demo-user', team_id: 'demo-team', max_budget_in_team: 25 });
  return emulator.seed.key({ user_id: 'demo-user', team_id: 'demo-team', key_alias: 'demo-key' }).key;
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const emulator = await startEmulator({
    port: options.port,
    host: options.host,
    masterKey: options.masterKey,
    customAuthHeader: options.authHeader,
    litellmVersion: options.litellmVersion,
  });
  if (options.seedDemo) process.stderr.write(`Seeded demo tenancy; demo virtual key: ${seedDemo(emulator)}\n`);
  process.stderr.write(`Answering as LiteLLM ${emulator.litellmVersion}\n`);
  process.stdout.write(`LiteLLM emulator listening on ${emulator.url}\n`);
  const shutdown = (): void => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1)
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
