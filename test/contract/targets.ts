/**
 * Where the real-proxy suites find a real LiteLLM: `LITELLM_CONTRACT_URL` (one URL, or several separated by
 * commas, e.g. one per version) and `LITELLM_CONTRACT_MASTER_KEY`. Without them the suites print one line
 * saying so and how to point them at a LiteLLM, and pass; with `CI=true` they must run, so they fail instead.
 */
import { LITELLM_VERSIONS, type LiteLLMVersion } from '../../emulator';

export interface RealProxy {
  url: string;
  masterKey: string;
}

export const HOW_TO =
  'set LITELLM_CONTRACT_URL (comma-separated for several) and LITELLM_CONTRACT_MASTER_KEY to a LiteLLM proxy, ' +
  'e.g. the compose one: LITELLM_CONTRACT_URL=http://localhost:4000 LITELLM_CONTRACT_MASTER_KEY=$LITELLM_MASTER_KEY';

export function realProxies(suite: string): RealProxy[] {
  const urls = (process.env.LITELLM_CONTRACT_URL ?? '')
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter((u) => u !== '');
  const masterKey = process.env.LITELLM_CONTRACT_MASTER_KEY ?? '';
  if (urls.length > 0 && masterKey !== '') return urls.map((url) => ({ url, masterKey }));
  const message = `${suite}: no real LiteLLM configured, not run; ${HOW_TO}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: the real-proxy suites must run)`);
  process.stdout.write(`${message}\n`);
  return [];
}

/** The emulator dialect that answers as `version` does: the same version, else the nearer of the two. */
export function dialectFor(version: string | null): LiteLLMVersion {
  if (version && (LITELLM_VERSIONS as readonly string[]).includes(version)) return version as LiteLLMVersion;
  const minor = Number(/^1\.(\d+)\./.exec(version ?? '')?.[1] ?? 0);
  return minor >= 100 ? '1.108.5' : '1.80.9';
}
