// LiteLLM admin API emulator (1.80.9 or 1.108.5 answers): an in-process stand-in for the proxy in tests, the benchmark and
// `npm run dev`. It is deliberately outside src/ (the worker never imports it, and it never imports src/).
import { Faults } from './faults';
import { Journal } from './journal';
import { createSeeder } from './seed';
import { EmulatorServer } from './server';
import { Store } from './state';
import { LITELLM_VERSIONS, type Emulator, type EmulatorOptions } from './types';

export type * from './types';
export { LITELLM_VERSIONS } from './types';

const DEFAULT_MODELS = ['gpt-4o-mini', 'claude-sonnet-4'];

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (typeof options.masterKey !== 'string' || options.masterKey.length === 0) {
    throw new Error('startEmulator: masterKey is required');
  }
  const host = options.host ?? '127.0.0.1';
  const litellmVersion = options.litellmVersion ?? '1.80.9';
  if (!(LITELLM_VERSIONS as readonly string[]).includes(litellmVersion)) {
    throw new Error(`startEmulator: litellmVersion must be one of ${LITELLM_VERSIONS.join(', ')}`);
  }
  const store = new Store(litellmVersion);
  const faults = new Faults();
  const journal = new Journal(options.masterKey);
  const reset = (): void => {
    store.clear();
    faults.clear();
    journal.clear();
  };
  const server = new EmulatorServer({
    store,
    faults,
    journal,
    settings: { masterKey: options.masterKey, customAuthHeader: options.customAuthHeader },
    models: [...(options.models ?? DEFAULT_MODELS)],
    reset,
  });
  const port = await server.listen(options.port ?? 0, host);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    litellmVersion,
    port,
    stop: () => server.stop(),
    reset,
    snapshot: (options) => store.snapshot(options),
    journal: () => journal.list(),
    clearJournal: () => journal.clear(),
    faults,
    seed: createSeeder(store),
  };
}
