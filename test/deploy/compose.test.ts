/**
 * docker-compose.yml checked against the code, without a Docker engine: the file is read with the `yaml`
 * package (`docker compose config` needs the compose plugin), variables are interpolated as compose does, and
 * each service's environment goes through the service's own configuration loader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireEncryptionKeys } from '../../src/codec/keys';
import { ConfigError, loadCodecServerConfig, loadWorkerConfig, type Env } from '../../src/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/search-attributes';
import { TEST_ENCRYPTION_KEYS_SPEC } from '../helpers/temporal';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };
type Mapping = { [key: string]: YamlValue };

/** YAML with `<<` merges; numbers and booleans as the strings compose hands a container (`5432`, `true`). */
function parseYaml(text: string): YamlValue {
  return parse(
    text,
    (_key, value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value),
    {
      merge: true,
    }
  ) as YamlValue;
}

function mapping(value: YamlValue | undefined, what: string): Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function strings(value: YamlValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`expected a list, got ${JSON.stringify(value)}`);
  return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}

/** `.env`: `KEY=VALUE` lines, `#` comments. */
function parseDotEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && !line.trimStart().startsWith('#')) vars[match[1]!] = match[2]!;
  }
  return vars;
}

/** Compose's interpolation: `${V}`, `${V:-default}`, `${V-default}`, `${V:?error}`, `${V?error}`, `$V`, `$$`. */
function interpolate(value: string, vars: Env): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}|\$(\w+)/g,
    (match: string, braced?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const current = vars[name];
      const unset = current === undefined || (colon === ':' && current === '');
      if (op === '-') return unset ? (arg ?? '') : current;
      if (op === '?' && unset) throw new Error(`compose refuses to start: ${name}: ${arg}`);
      return current ?? '';
    }
  );
}

/** Compose durations: `30s`, `1m30s`, `500ms`, `1h`. */
function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== text) throw new Error(`not a compose duration: ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

const compose = mapping(parseYaml(read('docker-compose.yml')), 'docker-compose.yml');
const services = mapping(compose.services, 'services');
const service = (name: string) => mapping(services[name], `service ${name}`);
const dotEnv = parseDotEnv(read('.env'));
/** What the operator exports before `docker compose up` (the file's header), with test values. */
const operatorShell: Env = {
  LITELLM_MASTER_KEY: 'sk-compose-test-master-key',
  LITELLM_WORKFLOWS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_SPEC,
  CODEC_SERVER_TOKENS: 'compose-test-token-0123456789',
};

/** A service's environment as its container sees it (mapping or `KEY=VALUE` list form). */
function environmentOf(name: string): Env {
  const environment = service(name).environment;
  const entries = Array.isArray(environment)
    ? strings(environment).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])
    : Object.entries(mapping(environment ?? {}, `${name}.environment`));
  const vars = { ...dotEnv, ...operatorShell };
  // A key without a value is passed through from the shell, or left unset.
  return Object.fromEntries(entries.map(([k, v]) => [k, typeof v === 'string' ? interpolate(v, vars) : vars[k]]));
}

/**
 * The variables `load` cannot do without, found by asking it: start from nothing, and each time it throws a
 * ConfigError, take the variable it names (or its `_FILE` twin) from the service's environment. Fails when
 * the service does not set one.
 */
function requiredVariables(load: (env: Env) => unknown, serviceEnv: Env): string[] {
  const env: Env = {};
  const required: string[] = [];
  for (;;) {
    try {
      load(env);
      return required;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const candidates = err.variables.flatMap((v) => [v, `${v}_FILE`]);
      const provided = candidates.find((v) => serviceEnv[v] !== undefined && env[v] === undefined);
      if (!provided) throw new Error(`required but not set by the service: ${err.message}`);
      env[provided] = serviceEnv[provided];
      required.push(provided);
    }
  }
}

/** `host` of `host:port` or of a URL. */
function hostOf(address: string): string {
  return address.includes('://') ? new URL(address).hostname : address.split(':')[0]!;
}

/** Host ports a service publishes, by container port (`'127.0.0.1:8888:8888'`, `'8080:8080'`). */
function publishedPort(name: string, containerPort: string): string | undefined {
  for (const entry of strings(service(name).ports)) {
    const parts = entry.split(':');
    if (parts.at(-1) === containerPort) return parts.at(-2);
  }
  return undefined;
}

const loadWorker = (env: Env) => {
  requireEncryptionKeys(env);
  return loadWorkerConfig(env);
};

describe('docker-compose.yml', () => {
  it('gives the worker every variable its configuration requires, and a valid configuration', () => {
    const env = environmentOf('worker');
    expect(requiredVariables(loadWorker, env).length).toBeGreaterThan(0);
    const config = loadWorker(env);
    // Defaults are for a laptop: in a container, Temporal and LiteLLM are other services.
    expect(Object.keys(services)).toContain(hostOf(config.temporal.address));
    expect(Object.keys(services)).toContain(hostOf(config.litellm.baseUrl));
    expect(config.litellm.masterKey).toBe(operatorShell.LITELLM_MASTER_KEY);
  });

  it("gives the codec server what it requires, and the worker's encryption keys", () => {
    const env = environmentOf('codec-server');
    expect(requiredVariables(loadCodecServerConfig, env).length).toBeGreaterThan(0);
    expect(loadCodecServerConfig(env).keys).toEqual(requireEncryptionKeys(environmentOf('worker')));
  });

  it('lets in-flight LiteLLM calls finish: stop_grace_period is longer than WORKER_SHUTDOWN_GRACE_MS', () => {
    const { shutdownGraceMs } = loadWorker(environmentOf('worker')).worker;
    // Docker's default when unset is 10s.
    const stopGrace = durationMs((service('worker').stop_grace_period as string | undefined) ?? '10s');
    expect(stopGrace).toBeGreaterThan(shutdownGraceMs);
  });

  it('exposes the metrics port the worker binds', () => {
    const { metricsBindAddress } = loadWorker(environmentOf('worker')).worker;
    expect(metricsBindAddress).toBeDefined();
    expect(strings(service('worker').expose)).toContain(metricsBindAddress!.split(':').at(-1));
  });

  it('pins every pulled image with a variable that .env defines', () => {
    const used = new Set<string>();
    for (const [name, value] of Object.entries(services)) {
      const { image, build, pull_policy: pullPolicy } = mapping(value, name);
      if (build !== undefined || pullPolicy === 'never') continue; // built from this repository
      const pinnedBy = typeof image === 'string' ? /^[^:\s]+:\$\{(\w+)\}$/.exec(image)?.[1] : undefined;
      const defined = pinnedBy !== undefined && /\S/.test(dotEnv[pinnedBy] ?? '');
      expect({ service: name, image, pinnedBy, defined }).toEqual({
        service: name,
        image,
        pinnedBy: expect.any(String),
        defined: true,
      });
      used.add(pinnedBy!);
    }
    expect(Object.keys(dotEnv).sort()).toEqual([...used].sort());
  });

  it('builds one image, once, for the worker and the codec server', () => {
    const builders = Object.entries(services).filter(([name, value]) => mapping(value, name).build !== undefined);
    expect(builders.map(([name]) => name)).toEqual(['worker']);
    const image = mapping(builders[0]![1], 'worker').image;
    const codec = service('codec-server');
    expect(codec.image).toBe(image);
    // Compose would otherwise try to pull the local tag before the worker's build made it.
    expect(codec.pull_policy).toBe('never');
  });

  it('keeps the build context small and free of secrets, with everything the Dockerfile copies', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.dev', 'lib', '.git']));
    const copied = [...read('Dockerfile').matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'src']));
    for (const path of copied) {
      expect({ path, ignored: ignored.some((pattern) => pattern === path || pattern === path.split('/')[0]) }).toEqual({
        path,
        ignored: false,
      });
    }
  });

  it('points the Web UI at the codec server, which lets the UI origin in', () => {
    const ui = environmentOf('temporal-ui');
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBeDefined();
    // The browser calls the codec server: through the port it publishes on the host.
    const endpoint = new URL(ui.TEMPORAL_CODEC_ENDPOINT!);
    const codec = loadCodecServerConfig(environmentOf('codec-server'));
    expect(endpoint.port).toBe(publishedPort('codec-server', String(codec.port)));
    const uiOrigin = `http://localhost:${publishedPort('temporal-ui', '8080')}`;
    expect(codec.allowedOrigins).toContain(uiOrigin);
  });

  it("lets the UI decrypt without sign-in only while the codec server's port stays on the host's loopback", () => {
    const codec = loadCodecServerConfig(environmentOf('codec-server'));
    // The UI has no token to forward until sign-in is configured, so the codec server trusts its origin.
    expect(codec.trustAllowedOrigins).toBe('published-loopback');
    // That is only safe while nothing beyond the operator's machine reaches the port.
    const ports = strings(service('codec-server').ports);
    expect(ports.length).toBeGreaterThan(0);
    for (const published of ports) expect(published).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('creates every search attribute of src/search-attributes.ts before the worker starts', () => {
    const job = service('temporal-namespace');
    expect(strings(job.entrypoint).join(' ')).toContain('/scripts/create-namespace.sh');
    expect(strings(job.volumes)).toContain('./deploy/scripts:/scripts:ro');
    const script = read('deploy/scripts/create-namespace.sh');
    const loop = /for attribute in ([^;]+);/.exec(script);
    expect(loop?.[1]?.trim().split(/\s+/).sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    expect(new Set(ALL_SEARCH_ATTRIBUTES.map((k) => k.type))).toEqual(new Set(['KEYWORD']));
    expect(script).toContain('--type Keyword');
    expect(mapping(service('worker').depends_on, 'worker.depends_on')['temporal-namespace']).toEqual({
      condition: 'service_completed_successfully',
    });
  });

  it('runs only commands the build produces (node lib/src/X.js from src/X.ts)', () => {
    const commands = Object.entries(services).flatMap(([name, value]) => {
      const { command, healthcheck } = mapping(value, name);
      return [strings(command), strings(healthcheck === undefined ? null : mapping(healthcheck, name).test)];
    });
    const scripts = commands.flat().filter((part) => part.startsWith('lib/'));
    expect(scripts).toEqual(expect.arrayContaining(['lib/src/worker.js', 'lib/src/health.js']));
    for (const script of scripts) {
      expect(existsSync(join(ROOT, script.replace(/^lib\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });
});

describe('reading compose YAML', () => {
  it('reads anchors, merges, flow sequences over lines and quoted scalars, scalars as strings', () => {
    const doc = parseYaml(
      [
        'base: &base',
        '  a: 1',
        '  b: two # comment',
        'derived:',
        '  <<: *base',
        "  b: 'it''s'",
        'list:',
        '  [',
        '    "x # not a comment",',
        "    'y',",
        '  ]',
        'items:',
        '  - one',
        '  - host:/path',
        'empty:',
      ].join('\n')
    );
    expect(doc).toEqual({
      base: { a: '1', b: 'two' },
      derived: { a: '1', b: "it's" },
      list: ['x # not a comment', 'y'],
      items: ['one', 'host:/path'],
      empty: null,
    });
  });
});
