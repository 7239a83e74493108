// The contract scripts against each configured real LiteLLM (targets.ts) and against the emulator answering
// as the same version: every step must be read the same way by the client, and what it relies on must hold.
import { startEmulator } from '../../emulator';
import { LiteLLMClient } from '../../src/litellm/client';
import { dialectFor, realProxies } from './targets';
import { checkClientReliance, SCRIPTS, ScriptRun, type Observation, type Target } from './scripts';
import { clientConfig } from './client-config';

const proxies = realProxies('contract suite against a real LiteLLM');

async function runScripts(target: Target): Promise<Map<string, Observation[]>> {
  const byScript = new Map<string, Observation[]>();
  for (const script of SCRIPTS) {
    const run = new ScriptRun(target);
    try {
      await script.run(run);
    } finally {
      await run.dispose();
    }
    byScript.set(script.name, run.observations);
  }
  return byScript;
}

if (proxies.length === 0) {
  it('is not configured (see the line above)', () => undefined);
}

for (const proxy of proxies)
  describe(`contract against the real LiteLLM at ${proxy.url}`, () => {
    let version: string | null = null;
    beforeAll(async () => {
      const client = new LiteLLMClient(clientConfig(proxy.url, proxy.masterKey));
      version = await client.proxyVersion();
      await client.close();
      process.stdout.write(`contract: ${proxy.url} runs LiteLLM ${version ?? '(version not reported)'}\n`);
    });

    it('answers as the emulator of its version does, and as the client relies on', async () => {
      const emu = await startEmulator({ masterKey: proxy.masterKey, litellmVersion: dialectFor(version) });
      try {
        const real = await runScripts(proxy);
        const emulated = await runScripts({ url: emu.url, masterKey: proxy.masterKey });
        for (const script of SCRIPTS) {
          expect({ script: script.name, steps: real.get(script.name) }).toEqual({
            script: script.name,
            steps: emulated.get(script.name),
          });
        }
        checkClientReliance([...real.values()].flat(), dialectFor(version));
      } finally {
        await emu.stop();
      }
    });
  });
