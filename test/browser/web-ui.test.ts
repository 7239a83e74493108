/**
 * The Temporal Web UI in a real browser, on the stack `npm run dev` starts (as a process, on free ports, with
 * its state in a temporary directory): runs found by the LiteLLMState search attribute, and a completed
 * migration's result shown in plaintext, decrypted by the dev codec server the UI calls from the browser.
 * Screenshots go to artifacts/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort, startProcess, type ManagedProcess } from '../../scripts/processes';
import { eventually } from '../helpers/harness';
import { runCli } from '../helpers/processes';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');
/** scripts/dev.ts' default master key of the emulator. */
const DEV_MASTER_KEY = 'sk-dev-master-key';
const ALICE = 'litellm-tenancy:alice:alice';
const BOB = 'litellm-tenancy:bob:bob';
/** What the UI shows in place of a payload the codec server did not decrypt: "binary/encrypted" in base64. */
const STILL_ENCRYPTED = [/binary\/encrypted/, /YmluYXJ5L2VuY3J5cHRlZA/];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `Skipping the Web UI browser test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it).`
  );
}

interface Ports {
  temporal: number;
  ui: number;
  emulator: number;
  codec: number;
}

async function distinctFreePorts(): Promise<Ports> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [temporal, ui, emulator, codec] = [...ports] as [number, number, number, number];
  return { temporal, ui, emulator, codec };
}

let stateDir: string;
let ports: Ports;
let dev: ManagedProcess | undefined;
let devOutput = '';
let browser: BrowserContext | undefined;
let profileDir: string | undefined;

/** Starts scripts/dev.ts as one process (`node --import tsx`, stopped by its pid) and waits for its banner. */
async function startDev(): Promise<void> {
  const proc = startProcess('dev', process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'dev.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DEV_STATE_DIR: stateDir,
      DEV_TEMPORAL_PORT: String(ports.temporal),
      DEV_UI_PORT: String(ports.ui),
      DEV_EMULATOR_PORT: String(ports.emulator),
      DEV_CODEC_PORT: String(ports.codec),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev = proc; // stopped in afterAll, whatever happens next
  proc.child.stdout?.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  proc.child.stderr?.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run dev did not come up in 120 s:\n${devOutput}`)), 120_000);
    proc.child.stdout?.on('data', () => {
      if (!devOutput.includes('Ctrl-C stops everything.')) return;
      clearTimeout(timer);
      resolve();
    });
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm run dev exited (${code}):\n${devOutput}`));
    });
  });
}

function cli(...args: string[]) {
  return runCli(args, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE: join(stateDir, 'encryption-keys'),
  });
}

/** Fails the next call of a route on dev's emulator, through its control endpoint. */
async function injectFault(fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${ports.emulator}/_emulator/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(res.status).toBe(200);
}

function workflowsUrl(query: string): string {
  return `http://127.0.0.1:${ports.ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
}

/** Opens the list for `query` until it shows `workflowId` (visibility catches up within moments). */
async function openList(page: Page, query: string, workflowId: string): Promise<void> {
  await eventually(async () => {
    await page.goto(workflowsUrl(query));
    await page.getByRole('link', { name: workflowId, exact: true }).first().waitFor({ timeout: 5_000 });
    return true;
  }, 60_000);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

(hasChromium ? describe : describe.skip)('the Temporal Web UI of npm run dev, in Chromium', () => {
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'litellm-workflows-dev-'));
    ports = await distinctFreePorts();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await startDev();

    const migrated = await cli('migrate', '--org', 'alice', '--user', 'alice', '--wait');
    expect({ code: migrated.code, stderr: migrated.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(migrated.stdout)).toMatchObject({ status: 'completed', result: { status: 'migrated' } });

    await injectFault({ route: '/team/member_add', kind: 'status', status: 400, times: 1 });
    const paused = await cli('migrate', '--org', 'bob', '--user', 'bob', '--on-failure', 'pause');
    expect(paused.code).toBe(0);
    await eventually(async () => {
      const status = await cli('status', '--org', 'bob', '--user', 'bob');
      return (JSON.parse(status.stdout) as { phase: string }).phase === 'awaiting_operator' ? true : undefined;
    });

    profileDir = mkdtempSync(join(tmpdir(), 'litellm-workflows-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    // SIGTERM: dev stops the worker, the Temporal server, the emulator and the codec server it started.
    await dev?.stop(30_000);
    for (const dir of [profileDir, stateDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function newPage(): Promise<Page> {
    return browser!.newPage();
  }

  it('finds the completed migration by LiteLLMState="Completed"', async () => {
    const page = await newPage();
    await openList(page, 'LiteLLMState="Completed"', ALICE);
    expect(await page.getByRole('link', { name: BOB, exact: true }).count()).toBe(0);
    await screenshot(page, 'web-ui-completed');
    await page.close();
  });

  it('finds the paused migration by LiteLLMState="AwaitingOperator"', async () => {
    const page = await newPage();
    await openList(page, 'LiteLLMState="AwaitingOperator"', BOB);
    expect(await page.getByRole('link', { name: ALICE, exact: true }).count()).toBe(0);
    await screenshot(page, 'web-ui-awaiting-operator');
    await page.close();
  });

  it('tells the operator of the paused run which step failed, its error and the decisions to take', async () => {
    const page = await newPage();
    await openList(page, 'LiteLLMState="AwaitingOperator"', BOB);
    await page.getByRole('link', { name: BOB, exact: true }).first().click();
    // The static summary (set by the client) and the current details (kept by the saga).
    await page
      .getByText('migrateEntries · org bob · user bob · on failure: pause')
      .first()
      .waitFor({ timeout: 30_000 });
    // The current details are on the run's "User Metadata" tab (Web UI 2.42), in sandboxed iframes.
    await page.getByText('User Metadata', { exact: true }).first().click();
    const framesText = async () => {
      const texts = await Promise.all(
        page.frames().map((f) =>
          f
            .locator('body')
            .innerText({ timeout: 2_000 })
            .catch(() => '')
        )
      );
      return texts.join('\n');
    };
    const text = await eventually(async () => {
      const all = await framesText();
      return all.includes(`litellm-workflows rollback --workflow-id ${BOB}`) ? all : undefined;
    }, 60_000);
    await screenshot(page, 'web-ui-paused-details');
    expect(text).toMatch(/Failed step\s*add user to team: LiteLLM\w*Error/);
    expect(text).toContain(`litellm-workflows resume --workflow-id ${BOB}`);
    expect(text).toMatch(/Deadline\s*\d{4}-\d\d-\d\dT[\d:.]+Z, then rollback is taken/);
    expect(text).toMatch(/On failure\s*pause for an operator/);
    await page.close();
  });

  it("shows the completed migration's input and result decrypted by the codec server", async () => {
    const page = await newPage();
    const decodes: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`http://127.0.0.1:${ports.codec}/`)) decodes.push(response.status());
    });
    await openList(page, 'LiteLLMState="Completed"', ALICE);
    await page.getByRole('link', { name: ALICE, exact: true }).first().click();
    await page.getByText('"migrated"').first().waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'web-ui-decrypted-result');

    const text = await page.locator('body').innerText();
    expect(text).toMatch(/"status": "migrated"/);
    expect(text).toMatch(/"credits": 15\.5/);
    expect(text).toMatch(/"orgId": "alice"/);
    for (const encrypted of STILL_ENCRYPTED) expect(text).not.toMatch(encrypted);
    // The UI asked the codec server, and every answer was a decryption.
    expect(decodes.length).toBeGreaterThan(0);
    expect(decodes.filter((status) => status !== 200)).toEqual([]);
    await page.close();
  });
});
