// Standalone emulator: `npx tsx emulator/main.ts --port 4000 [--host 127.0.0.1] [--master-key sk-master]
// [--auth-header NAME] [--seed-demo]`. The master key may also come from LITELLM_API_KEY.
import { startEmulator, type Emulator } from './index';

interface CliOptions {
  port: number;
  host: string;
  masterKey: string;
  authHeader?: string;
  seedDemo: boolean;
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    port: 4000,
    host: '127.0.0.1',
    masterKey: process.env.LITELLM_API_KEY || 'sk-emulator-master-key',
    seedDemo: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--port') options.port = Number(value());
    else if (flag === '--host') options.host = value();
    else if (flag === '--master-key') options.masterKey = value();
    else if (flag === '--auth-header') options.authHeader = value();
    else if (flag === '--seed-demo') options.seedDemo = true;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new Error('--port must be 0-65535');
  return options;
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
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator({
    port: options.port,
    host: options.host,
    masterKey: options.masterKey,
    customAuthHeader: options.authHeader,
  });
  if (options.seedDemo) process.stderr.write(`Seeded demo tenancy; demo virtual key: ${seedDemo(emulator)}\n`);
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
