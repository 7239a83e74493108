// The contract scripts against the emulator in both dialects: every answer the client relies on holds.
import { LITELLM_VERSIONS, startEmulator, type Emulator } from '../../emulator';
import { LiteLLMClient } from '../../src/litellm/client';
import { clientConfig } from './client-config';
import { checkClientReliance, SCRIPTS, ScriptRun } from './scripts';

const MASTER_KEY = 'sk-contract-master-key';

describe.each(LITELLM_VERSIONS)('contract on the emulator answering as LiteLLM %s', (version) => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ masterKey: MASTER_KEY, litellmVersion: version });
  });
  afterAll(() => emu.stop());

  it('every answer the client and the activities rely on', async () => {
    const observations = [];
    for (const script of SCRIPTS) {
      const run = new ScriptRun({ url: emu.url, masterKey: MASTER_KEY });
      await script.run(run);
      await run.dispose();
      observations.push(...run.observations);
    }
    checkClientReliance(observations, version);
  });
});

describe.each(LITELLM_VERSIONS)('the proxy version, as the client reads it at start-up (%s)', (version) => {
  it('is the dialect the emulator answers in', async () => {
    const emu = await startEmulator({ masterKey: MASTER_KEY, litellmVersion: version });
    const client = new LiteLLMClient(clientConfig(emu.url, MASTER_KEY));
    try {
      await expect(client.proxyVersion()).resolves.toBe(version);
    } finally {
      await client.close();
      await emu.stop();
    }
  });
});
